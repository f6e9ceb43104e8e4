//! Blocks (spärrar) and their temporary revokes.

use crate::SecurityApi;
use crate::dto::{ActingUserHeaders, Block, NewBlock, NewTemporaryRevoke, TemporaryRevoke};
use crate::http::{
    ActingUser, JsonBody, PathParam, block_error, created, invalid_patient, no_content, ok, refusal,
};
use axum::extract::State;
use axum::response::Response;
use std::sync::Arc;

/// Register a block
///
/// An outer block (a care giver's records, for everyone outside it) or an inner block (one
/// care unit's records, for everyone outside the unit), optionally limited to a period of
/// registration time and optionally leaving `lak` and `upp` uncovered. At the patient's wish,
/// at the acting user's own care giver: the block is on that care giver or one of its units, as
/// the HSA directory has them. Through the PDL gate (rights, available patient, relation). The
/// acting user is recorded as who registered it.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{patientId}/blocks",
    tag = "blocks",
    params(
        ActingUserHeaders,
        ("patientId" = String, Path, description = "The patient's id: 12 digits", example = "191212121212", pattern = "^[0-9]{12}$"),
    ),
    request_body = NewBlock,
    responses(
        (status = 201, description = "Registered", body = Block),
        (status = 400, description = "Invalid block (a care giver or unit not in the directory, a unit of another care giver); nothing registered", body = Problem),
        (status = 403, description = "The calling system is not allowed, the acting user is missing, unknown or not in that assignment, has no rights or relation, the patient is not available, or the block is on another care giver", body = Problem),
        (status = 503, description = "A store or check is unavailable", body = Problem),
    )
)]
pub(crate) async fn register_block(
    State(api): State<Arc<SecurityApi>>,
    PathParam(patient_id): PathParam,
    ActingUser(actor): ActingUser,
    JsonBody(body): JsonBody<NewBlock>,
) -> Response {
    match api
        .gate
        .register_block(&actor, &body.into_service(patient_id))
        .await
    {
        Ok(b) => created(Block::from(b)),
        Err(r) => refusal(r),
    }
}

/// Block history
///
/// Every block of the patient with its temporary revokes, revoked and deleted ones included,
/// oldest first. The acting user needs a current relation with the patient.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{patientId}/blocks",
    tag = "blocks",
    params(
        ActingUserHeaders,
        ("patientId" = String, Path, description = "The patient's id: 12 digits", example = "191212121212", pattern = "^[0-9]{12}$"),
    ),
    responses(
        (status = 200, description = "The patient's blocks", body = [Block]),
        (status = 400, description = "Invalid patient id", body = Problem),
        (status = 403, description = "The calling system is not allowed, or the acting user is missing, unknown, not in that assignment, or has no rights or relation with the patient", body = Problem),
        (status = 500, description = "The block store holds a row this version cannot read", body = Problem),
        (status = 503, description = "The block store is unavailable", body = Problem),
    )
)]
pub(crate) async fn block_history(
    State(api): State<Arc<SecurityApi>>,
    PathParam(patient_id): PathParam,
    ActingUser(actor): ActingUser,
) -> Response {
    if let Some(r) = invalid_patient(&patient_id) {
        return r;
    }
    if let Err(r) = api.gate.may_list(&actor, &patient_id).await {
        return refusal(r);
    }
    match api.blocks.history(&patient_id).await {
        Ok(list) => ok(list.into_iter().map(Block::from).collect::<Vec<_>>()),
        Err(e) => block_error(e),
    }
}

/// Revoke a block
///
/// At the patient's wish (hävning), at the care giver the block is on (a user of that care
/// giver with a relation to the patient): the block no longer applies. Permanent, kept as
/// history.
#[utoipa::path(
    post,
    path = "/api/v1/blocks/{id}/revoke",
    tag = "blocks",
    params(
        ActingUserHeaders,
        ("id" = String, Path, description = "The block's id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "The calling system is not allowed, or the acting user is missing, unknown or not in that assignment", body = Problem),
        (status = 404, description = "No block with that id", body = Problem),
        (status = 409, description = "Already revoked or deleted", body = Problem),
        (status = 503, description = "A store is unavailable", body = Problem),
    )
)]
pub(crate) async fn revoke_block(
    State(api): State<Arc<SecurityApi>>,
    PathParam(id): PathParam,
    ActingUser(actor): ActingUser,
) -> Response {
    match api.gate.end_block(&actor, &id, false).await {
        Ok(()) => no_content(),
        Err(r) => refusal(r),
    }
}

/// Delete a block
///
/// A wrong registration, at the care giver the block is on (a user of that care giver with a
/// relation to the patient): the block no longer applies. Permanent, kept as history.
#[utoipa::path(
    post,
    path = "/api/v1/blocks/{id}/delete",
    tag = "blocks",
    params(
        ActingUserHeaders,
        ("id" = String, Path, description = "The block's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The calling system is not allowed, or the acting user is missing, unknown or not in that assignment", body = Problem),
        (status = 404, description = "No block with that id", body = Problem),
        (status = 409, description = "Already revoked or deleted", body = Problem),
        (status = 503, description = "A store is unavailable", body = Problem),
    )
)]
pub(crate) async fn delete_block(
    State(api): State<Arc<SecurityApi>>,
    PathParam(id): PathParam,
    ActingUser(actor): ActingUser,
) -> Response {
    match api.gate.end_block(&actor, &id, true).await {
        Ok(()) => no_content(),
        Err(r) => refusal(r),
    }
}

/// Revoke a block temporarily
///
/// Lifts an active block that hides records from the acting user, for the acting user's own
/// care unit or the acting user at that unit, until `valid_until` (at most 30 days ahead),
/// with the patient's consent or in an emergency. Through the PDL gate (rights, available
/// patient, relation with the block's patient). The acting user is recorded.
#[utoipa::path(
    post,
    path = "/api/v1/blocks/{id}/temporary-revokes",
    tag = "blocks",
    params(
        ActingUserHeaders,
        ("id" = String, Path, description = "The block's id"),
    ),
    request_body = NewTemporaryRevoke,
    responses(
        (status = 201, description = "Registered", body = TemporaryRevoke),
        (status = 400, description = "Invalid revoke, or the block hides nothing from the acting user; nothing registered", body = Problem),
        (status = 403, description = "The calling system is not allowed, the acting user is missing, unknown or not in that assignment, has no rights or relation, the patient is not available, or the revoke is for another unit or person", body = Problem),
        (status = 404, description = "No block with that id", body = Problem),
        (status = 409, description = "The block was revoked or deleted", body = Problem),
        (status = 503, description = "A store is unavailable", body = Problem),
    )
)]
pub(crate) async fn revoke_block_temporarily(
    State(api): State<Arc<SecurityApi>>,
    PathParam(id): PathParam,
    ActingUser(actor): ActingUser,
    JsonBody(body): JsonBody<NewTemporaryRevoke>,
) -> Response {
    match api
        .gate
        .revoke_block_temporarily(
            &actor,
            &id,
            body.for_.into(),
            body.reason.into(),
            &body.valid_until,
        )
        .await
    {
        Ok(r) => created(TemporaryRevoke::from(r)),
        Err(r) => refusal(r),
    }
}
