//! Consents and emergency access.

use crate::SecurityApi;
use crate::dto::{ActingUserHeaders, Consent, ConsentDeletion, NewConsent, NewEmergencyAccess};
use crate::http::{
    ActingUser, JsonBody, PathParam, consent_error, created, invalid_patient, no_content, ok,
    problem, refusal,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use std::sync::Arc;

/// Register a consent
///
/// The patient's consent to coherent record keeping, for the acting user's care unit
/// (`CareUnit`: all its staff) or the acting user personally (`Person`), for a period that
/// starts now (never backdated). Through the PDL gate: rights, available patient and relation
/// are checked first.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{patientId}/consents",
    tag = "consents",
    params(
        ActingUserHeaders,
        ("patientId" = String, Path, description = "The patient's id: 12 digits", example = "191212121212", pattern = "^[0-9]{12}$"),
    ),
    request_body = NewConsent,
    responses(
        (status = 201, description = "Registered", body = Consent),
        (status = 400, description = "Invalid patient id, period or text; nothing registered", body = Problem),
        (status = 403, description = "The calling system is not allowed, the acting user is missing, unknown or not in that assignment, has no rights or relation, or the patient is not available", body = Problem),
        (status = 503, description = "A store or check is unavailable", body = Problem),
    )
)]
pub(crate) async fn register_consent(
    State(api): State<Arc<SecurityApi>>,
    PathParam(patient_id): PathParam,
    ActingUser(actor): ActingUser,
    JsonBody(body): JsonBody<NewConsent>,
) -> Response {
    match api
        .gate
        .register_consent(&actor, &body.into_service(patient_id))
        .await
    {
        Ok(c) => created(Consent::from(c)),
        Err(r) => refusal(r),
    }
}

/// Register an emergency access
///
/// Emergency access (nödöppning) for the acting user personally, from now for 1 to 24 hours,
/// when the patient cannot consent. Every record read under it is logged as `Nödöppning` and
/// followed up.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{patientId}/emergency-access",
    tag = "consents",
    params(
        ActingUserHeaders,
        ("patientId" = String, Path, description = "The patient's id: 12 digits", example = "191212121212", pattern = "^[0-9]{12}$"),
    ),
    request_body = NewEmergencyAccess,
    responses(
        (status = 201, description = "Registered", body = Consent),
        (status = 400, description = "Invalid patient id, no readable reason, or not 1 to 24 hours; nothing registered", body = Problem),
        (status = 403, description = "The calling system is not allowed, the acting user is missing, unknown or not in that assignment, has no rights or relation, or the patient is not available", body = Problem),
        (status = 503, description = "A store or check is unavailable", body = Problem),
    )
)]
pub(crate) async fn register_emergency_access(
    State(api): State<Arc<SecurityApi>>,
    PathParam(patient_id): PathParam,
    ActingUser(actor): ActingUser,
    JsonBody(body): JsonBody<NewEmergencyAccess>,
) -> Response {
    match api
        .gate
        .register_emergency(&actor, &patient_id, &body.reason, body.hours)
        .await
    {
        Ok(c) => created(Consent::from(c)),
        Err(r) => refusal(r),
    }
}

/// Check consent
///
/// The consent or emergency access that lets the acting user see other care givers' records
/// of the patient now (a consent is preferred over an emergency access).
#[utoipa::path(
    get,
    path = "/api/v1/patients/{patientId}/consents/check",
    tag = "consents",
    params(
        ActingUserHeaders,
        ("patientId" = String, Path, description = "The patient's id: 12 digits", example = "191212121212", pattern = "^[0-9]{12}$"),
    ),
    responses(
        (status = 200, description = "The active consent or emergency access", body = Consent),
        (status = 400, description = "Invalid patient id", body = Problem),
        (status = 403, description = "The calling system is not allowed, or the acting user is missing, unknown or not in that assignment", body = Problem),
        (status = 404, description = "No active consent or emergency access covers the acting user", body = Problem),
        (status = 503, description = "A store is unavailable", body = Problem),
    )
)]
pub(crate) async fn check_consent(
    State(api): State<Arc<SecurityApi>>,
    PathParam(patient_id): PathParam,
    ActingUser(actor): ActingUser,
) -> Response {
    if let Some(r) = invalid_patient(&patient_id) {
        return r;
    }
    let now = npo_riv::time::now_timestamp();
    match api.consents.check(&patient_id, &actor, &now).await {
        Ok(Some(c)) => ok(Consent::from(c)),
        Ok(None) => problem(
            StatusCode::NOT_FOUND,
            "no active consent or emergency access",
        ),
        Err(e) => consent_error(e),
    }
}

/// Consent history
///
/// Every consent and emergency access of the patient, cancelled and deleted ones included,
/// newest first. The acting user needs a current relation with the patient.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{patientId}/consents",
    tag = "consents",
    params(
        ActingUserHeaders,
        ("patientId" = String, Path, description = "The patient's id: 12 digits", example = "191212121212", pattern = "^[0-9]{12}$"),
    ),
    responses(
        (status = 200, description = "The patient's consents", body = [Consent]),
        (status = 400, description = "Invalid patient id", body = Problem),
        (status = 403, description = "The calling system is not allowed, or the acting user is missing, unknown, not in that assignment, or has no rights or relation with the patient", body = Problem),
        (status = 503, description = "A store is unavailable", body = Problem),
    )
)]
pub(crate) async fn consent_history(
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
    match api.consents.history(&patient_id).await {
        Ok(list) => ok(list.into_iter().map(Consent::from).collect::<Vec<_>>()),
        Err(e) => consent_error(e),
    }
}

/// Cancel a consent
///
/// At the patient's wish, at the care giver that registered it (a user of that care giver with
/// a relation to the patient); permanent, kept as history. The acting user is recorded.
#[utoipa::path(
    post,
    path = "/api/v1/consents/{id}/cancel",
    tag = "consents",
    params(
        ActingUserHeaders,
        ("id" = String, Path, description = "The consent's id"),
    ),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 403, description = "The calling system is not allowed, the acting user is missing, unknown or not in that assignment, is not at the care giver that registered it, or has no relation with the patient", body = Problem),
        (status = 404, description = "No consent with that id", body = Problem),
        (status = 409, description = "Already cancelled or deleted", body = Problem),
        (status = 503, description = "A store is unavailable", body = Problem),
    )
)]
pub(crate) async fn cancel_consent(
    State(api): State<Arc<SecurityApi>>,
    PathParam(id): PathParam,
    ActingUser(actor): ActingUser,
) -> Response {
    match api.gate.end_consent(&actor, &id, None).await {
        Ok(()) => no_content(),
        Err(r) => refusal(r),
    }
}

/// Delete a consent
///
/// A wrong registration, at the care giver that registered it (a user of that care giver with a
/// relation to the patient); permanent, kept as history with the reason. The acting user is
/// recorded.
#[utoipa::path(
    post,
    path = "/api/v1/consents/{id}/delete",
    tag = "consents",
    params(
        ActingUserHeaders,
        ("id" = String, Path, description = "The consent's id"),
    ),
    request_body = ConsentDeletion,
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "No readable reason given", body = Problem),
        (status = 403, description = "The calling system is not allowed, the acting user is missing, unknown or not in that assignment, is not at the care giver that registered it, or has no relation with the patient", body = Problem),
        (status = 404, description = "No consent with that id", body = Problem),
        (status = 409, description = "Already cancelled or deleted", body = Problem),
        (status = 503, description = "A store is unavailable", body = Problem),
    )
)]
pub(crate) async fn delete_consent(
    State(api): State<Arc<SecurityApi>>,
    PathParam(id): PathParam,
    ActingUser(actor): ActingUser,
    JsonBody(body): JsonBody<ConsentDeletion>,
) -> Response {
    let reason = body.reason.trim();
    if reason.is_empty() {
        return problem(StatusCode::BAD_REQUEST, "a deletion needs a reason");
    }
    if !npo_security::is_readable_text(reason, npo_security::MAX_TEXT_CHARS) {
        return problem(
            StatusCode::BAD_REQUEST,
            "the reason must be readable text of at most 500 characters",
        );
    }
    match api.gate.end_consent(&actor, &id, Some(reason)).await {
        Ok(()) => no_content(),
        Err(r) => refusal(r),
    }
}
