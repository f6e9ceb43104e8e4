//! Patient relations: the user attests a current care relation with the patient.

use crate::SecurityApi;
use crate::dto::{ActingUserHeaders, NewRelation, Relation};
use crate::http::{
    ActingUser, JsonBody, PathParam, created, invalid_patient, no_content, ok, problem, refusal,
    relation_error,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use std::sync::Arc;

/// Attest a patient relation
///
/// The acting user attests a care relation with the patient at their assignment's care unit,
/// from now until `valid_to` (at most 90 days ahead). Through the PDL gate: the assignment's
/// rights and the available patient (a care engagement at the user's care giver) are checked
/// first.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{patientId}/relations",
    tag = "relations",
    params(
        ActingUserHeaders,
        ("patientId" = String, Path, description = "The patient's id: 12 digits", example = "191212121212", pattern = "^[0-9]{12}$"),
    ),
    request_body = NewRelation,
    responses(
        (status = 201, description = "Registered", body = Relation),
        (status = 400, description = "Invalid patient id or valid_to; nothing registered", body = Problem),
        (status = 403, description = "The calling system is not allowed, the acting user is missing, unknown or not in that assignment, has no rights, or the patient is not available", body = Problem),
        (status = 503, description = "A store or check is unavailable", body = Problem),
    )
)]
pub(crate) async fn register_relation(
    State(api): State<Arc<SecurityApi>>,
    PathParam(patient_id): PathParam,
    ActingUser(actor): ActingUser,
    JsonBody(body): JsonBody<NewRelation>,
) -> Response {
    match api
        .gate
        .attest_relation(&actor, &patient_id, &body.valid_to)
        .await
    {
        Ok(r) => created(Relation::from(r)),
        Err(r) => refusal(r),
    }
}

/// The acting user's current relation
///
/// The acting user's current relation with the patient at their assignment's care unit.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{patientId}/relations/current",
    tag = "relations",
    params(
        ActingUserHeaders,
        ("patientId" = String, Path, description = "The patient's id: 12 digits", example = "191212121212", pattern = "^[0-9]{12}$"),
    ),
    responses(
        (status = 200, description = "The current relation", body = Relation),
        (status = 400, description = "Invalid patient id", body = Problem),
        (status = 403, description = "The calling system is not allowed, or the acting user is missing, unknown or not in that assignment", body = Problem),
        (status = 404, description = "No current relation", body = Problem),
        (status = 503, description = "A store is unavailable", body = Problem),
    )
)]
pub(crate) async fn current_relation(
    State(api): State<Arc<SecurityApi>>,
    PathParam(patient_id): PathParam,
    ActingUser(actor): ActingUser,
) -> Response {
    if let Some(r) = invalid_patient(&patient_id) {
        return r;
    }
    let now = npo_riv::time::now_timestamp();
    match api.relations.check(&patient_id, &actor, &now).await {
        Ok(Some(r)) => ok(Relation::from(r)),
        Ok(None) => problem(StatusCode::NOT_FOUND, "no current relation"),
        Err(e) => relation_error(e),
    }
}

/// End a relation
///
/// Ends a relation early; only the user who attested it, at that care unit. The acting user is
/// recorded as who ended it. It is kept as history.
#[utoipa::path(
    delete,
    path = "/api/v1/relations/{id}",
    tag = "relations",
    params(
        ActingUserHeaders,
        ("id" = String, Path, description = "The relation's id"),
    ),
    responses(
        (status = 204, description = "Ended"),
        (status = 403, description = "The calling system is not allowed, the acting user is missing, unknown or not in that assignment, or the relation is another user's", body = Problem),
        (status = 404, description = "No active relation with that id", body = Problem),
        (status = 503, description = "A store is unavailable", body = Problem),
    )
)]
pub(crate) async fn cancel_relation(
    State(api): State<Arc<SecurityApi>>,
    PathParam(id): PathParam,
    ActingUser(actor): ActingUser,
) -> Response {
    match api.gate.end_relation(&actor, &id).await {
        Ok(()) => no_content(),
        Err(r) => refusal(r),
    }
}
