//! What every endpoint shares: JSON problems, the guard (calling system, `Cache-Control`),
//! extractors that answer with JSON problems, and the mapping of the services' errors to
//! statuses.

use crate::SecurityApi;
use crate::dto::Problem;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use npo_gate::Refusal;
use npo_pki::PeerIdentity;
use npo_security::access_log::LogError;
use npo_security::blocks::BlockError;
use npo_security::consent::ConsentError;
use npo_security::directory::DirectoryError;
use npo_security::relation::RelationError;
use npo_security::{Actor, PURPOSE_CARE};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The header naming the acting user's person HSA-id.
pub const USER_HEADER: &str = "x-npo-user-hsaid";
/// The header naming the HSA-id of the employee assignment the user acts in.
pub const ASSIGNMENT_HEADER: &str = "x-npo-assignment-hsaid";

/// A JSON problem: `{"error": message}`. The message must never hold personal data.
pub(crate) fn problem(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(Problem {
            error: message.into(),
        }),
    )
        .into_response()
}

pub(crate) fn ok<T: Serialize>(value: T) -> Response {
    Json(value).into_response()
}

pub(crate) fn created<T: Serialize>(value: T) -> Response {
    (StatusCode::CREATED, Json(value)).into_response()
}

pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// 503 for a store that failed; the cause goes to the log only. (Service errors and sqlx
/// errors carry no patient data: sqlx reports what failed, not the values bound.)
fn unavailable(store: &'static str, cause: &dyn std::fmt::Display) -> Response {
    tracing::error!(store, error = %cause, "security API: store unavailable");
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("the {store} store is unavailable"),
    )
}

/// 500 for a store that holds what this version cannot read.
fn corrupt(store: &'static str, message: String) -> Response {
    tracing::error!(store, "security API: {message}");
    problem(StatusCode::INTERNAL_SERVER_ERROR, message)
}

pub(crate) fn directory_error(e: DirectoryError) -> Response {
    match e {
        DirectoryError::Store(cause) => unavailable("directory", &cause),
        e @ (DirectoryError::HsaId(_)
        | DirectoryError::Duplicate(_)
        | DirectoryError::Reference { .. }
        | DirectoryError::Right(_)
        | DirectoryError::Empty
        | DirectoryError::Shrinks { .. }) => problem(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

pub(crate) fn relation_error(e: RelationError) -> Response {
    match e {
        RelationError::Store(cause) => unavailable("relation", &cause),
        e @ RelationError::NotFound => problem(StatusCode::NOT_FOUND, e.to_string()),
        e @ (RelationError::PatientId | RelationError::ValidTo) => {
            problem(StatusCode::BAD_REQUEST, e.to_string())
        }
    }
}

pub(crate) fn consent_error(e: ConsentError) -> Response {
    match e {
        ConsentError::Store(cause) => unavailable("consent", &cause),
        e @ ConsentError::NotFound => problem(StatusCode::NOT_FOUND, e.to_string()),
        e @ ConsentError::AlreadyEnded => problem(StatusCode::CONFLICT, e.to_string()),
        e @ (ConsentError::PatientId
        | ConsentError::Time(_)
        | ConsentError::Period
        | ConsentError::NoReason
        | ConsentError::Backdated
        | ConsentError::Text(_)
        | ConsentError::TooLong) => problem(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

pub(crate) fn block_error(e: BlockError) -> Response {
    match e {
        BlockError::Store(cause) => unavailable("block", &cause),
        e @ BlockError::Corrupt => corrupt("block", e.to_string()),
        e @ BlockError::NotFound => problem(StatusCode::NOT_FOUND, e.to_string()),
        e @ BlockError::AlreadyEnded => problem(StatusCode::CONFLICT, e.to_string()),
        e @ (BlockError::PatientId
        | BlockError::HsaId(_)
        | BlockError::InnerWithoutUnit
        | BlockError::OuterWithUnit
        | BlockError::Time(_)
        | BlockError::Period
        | BlockError::ExcludedType
        | BlockError::RevokeInPast
        | BlockError::RevokeTooLong) => problem(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

pub(crate) fn log_error(e: LogError) -> Response {
    match e {
        e @ (LogError::Write | LogError::Read | LogError::Unavailable) => {
            unavailable("access log", &e)
        }
        e @ LogError::Corrupt => corrupt("access log", e.to_string()),
        e @ (LogError::Missing(_) | LogError::Time(_)) => {
            problem(StatusCode::BAD_REQUEST, e.to_string())
        }
        e @ (LogError::NotAuditor | LogError::OtherCareGiver) => {
            problem(StatusCode::FORBIDDEN, e.to_string())
        }
    }
}

/// The gate's refusal as a problem: 403 for what the user may not do, 400 for invalid input,
/// 404, 409, 503 for a check or store that could not be made. The messages are the gate's,
/// which never hold personal data.
pub(crate) fn refusal(r: Refusal) -> Response {
    let status = match &r {
        Refusal::NoRights
        | Refusal::NotAvailablePatient
        | Refusal::NoRelation
        | Refusal::NotPermitted(_) => StatusCode::FORBIDDEN,
        Refusal::InvalidPatient | Refusal::Invalid(_) => StatusCode::BAD_REQUEST,
        Refusal::NotFound(_) => StatusCode::NOT_FOUND,
        Refusal::AlreadyEnded(_) => StatusCode::CONFLICT,
        Refusal::CheckUnavailable(_) | Refusal::LogUnavailable | Refusal::NotSaved(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
    };
    let message = match &r {
        Refusal::InvalidPatient => PATIENT_ID_MESSAGE.to_owned(),
        r => r.to_string(),
    };
    problem(status, message)
}

const PATIENT_ID_MESSAGE: &str =
    "the patient id must be a valid personnummer or samordningsnummer (12 digits)";

/// A 400 problem unless `p` is a valid personnummer or samordningsnummer (12 digits, a real
/// date, the check digit): the one check of `npo_riv::ids`.
pub(crate) fn invalid_patient(p: &str) -> Option<Response> {
    if npo_riv::ids::is_valid_personal_identity(p) {
        None
    } else {
        Some(problem(StatusCode::BAD_REQUEST, PATIENT_ID_MESSAGE))
    }
}

/// The HSA-id of the calling system's verified certificate.
fn calling_system(parts: &Parts) -> Option<&str> {
    parts
        .extensions
        .get::<PeerIdentity>()
        .and_then(|peer| peer.hsa_id.as_deref())
}

/// An administrator: the calling system's certificate is one of
/// [`SecurityApi::admin_systems`]. Anything else is 403: consumer systems never change (or
/// read) the whole directory.
pub(crate) struct Administrator(pub String);

impl FromRequestParts<Arc<SecurityApi>> for Administrator {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        api: &Arc<SecurityApi>,
    ) -> Result<Self, Response> {
        match calling_system(parts) {
            Some(system) if api.admin_systems.iter().any(|a| a == system) => {
                Ok(Administrator(system.to_owned()))
            }
            _ => Err(problem(
                StatusCode::FORBIDDEN,
                "only an administrator's certificate may use the directory administration",
            )),
        }
    }
}

/// Runs around every request: only the systems in `allowed_systems` get through (the HSA-id
/// of their verified client certificate; without one, nobody); every error is a JSON problem;
/// every response is `Cache-Control: no-store`.
pub(crate) async fn guard(
    State(api): State<Arc<SecurityApi>>,
    request: Request,
    next: Next,
) -> Response {
    let allowed = request
        .extensions()
        .get::<PeerIdentity>()
        .and_then(|peer| peer.hsa_id.as_deref())
        .is_some_and(|system| {
            api.allowed_systems
                .iter()
                .chain(&api.admin_systems)
                .any(|a| a == system)
        });
    let mut response = if allowed {
        next.run(request).await
    } else {
        problem(
            StatusCode::FORBIDDEN,
            "this system may not use the security API",
        )
    };
    let status = response.status();
    if (status.is_client_error() || status.is_server_error()) && !is_json(response.headers()) {
        // Axum's own answers (405, a body that could not be read, ...) are plain text.
        let allow = response.headers().get(ALLOW).cloned();
        response = problem(
            status,
            status
                .canonical_reason()
                .unwrap_or("request failed")
                .to_lowercase(),
        );
        if let Some(allow) = allow {
            response.headers_mut().insert(ALLOW, allow);
        }
    }
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// For routes that match no endpoint.
pub(crate) async fn no_such_endpoint() -> Response {
    problem(StatusCode::NOT_FOUND, "no such endpoint")
}

/// The user the calling system acts for, from [`USER_HEADER`] and [`ASSIGNMENT_HEADER`],
/// resolved in the directory on every request. 403 if either is missing, unknown, the
/// assignment is not the user's, or the calling system is not registered in the directory as
/// serving the assignment's care giver. The purpose is checked by the extractors below.
async fn resolve_user(parts: &Parts, api: &SecurityApi) -> Result<Actor, Response> {
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let (Some(user), Some(assignment)) = (header(USER_HEADER), header(ASSIGNMENT_HEADER)) else {
        return Err(problem(
            StatusCode::FORBIDDEN,
            format!("this operation acts for a user: send {USER_HEADER} and {ASSIGNMENT_HEADER}"),
        ));
    };
    let actor = match api.directory.actor(user, assignment).await {
        Ok(Some(actor)) => actor,
        Ok(None) => {
            return Err(problem(
                StatusCode::FORBIDDEN,
                "unknown user or assignment, or the assignment is not the user's",
            ));
        }
        Err(e) => return Err(directory_error(e)),
    };
    let system = calling_system(parts).unwrap_or_default();
    match api.directory.system(system).await {
        Ok(Some(s)) if s.serves(&actor.assignment.care_giver_hsa_id) => Ok(actor),
        Ok(_) => Err(problem(
            StatusCode::FORBIDDEN,
            "the calling system is not registered in the directory for the user's care giver",
        )),
        Err(e) => Err(directory_error(e)),
    }
}

/// A user acting in an assignment for care and treatment ([`resolve_user`]): what every
/// registration and every patient list needs.
pub(crate) struct ActingUser(pub Actor);

impl FromRequestParts<Arc<SecurityApi>> for ActingUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        api: &Arc<SecurityApi>,
    ) -> Result<Self, Response> {
        let actor = resolve_user(parts, api).await?;
        if actor.assignment.purpose != PURPOSE_CARE {
            return Err(problem(
                StatusCode::FORBIDDEN,
                "the assignment's purpose is not care and treatment (Vård och behandling)",
            ));
        }
        Ok(ActingUser(actor))
    }
}

/// A user reading the access log ([`resolve_user`]); the access log itself checks that the
/// assignment is a log auditor's and scopes the answer to its care giver.
pub(crate) struct AuditingUser(pub Actor);

impl FromRequestParts<Arc<SecurityApi>> for AuditingUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        api: &Arc<SecurityApi>,
    ) -> Result<Self, Response> {
        resolve_user(parts, api).await.map(AuditingUser)
    }
}

/// A JSON request body; 400 with a problem if it does not parse. Serde's messages can quote
/// the input, so only the kind of error and its position are told (and for a missing field,
/// which field: the name is the schema's).
pub(crate) struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            let status = e.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                problem(status, "the request body is too large")
            } else {
                problem(status, "the request body could not be read")
            }
        })?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| problem(StatusCode::BAD_REQUEST, body_error_message(&e)))
    }
}

fn body_error_message(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {}, column {}", e.line(), e.column());
    match e.classify() {
        Category::Data => {
            let message = e.to_string();
            match message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split_once('`'))
            {
                Some((field, _)) => format!("the request body lacks the field {field} ({at})"),
                None => format!(
                    "the request body does not match the schema of this operation ({at}); see /api/v1/openapi.json"
                ),
            }
        }
        Category::Syntax | Category::Eof => format!("the request body is not valid JSON ({at})"),
        Category::Io => "the request body could not be read".to_owned(),
    }
}

/// The query string; 400 with a problem if it does not parse (serde_urlencoded tells the
/// field and what is wrong with it, never the value).
pub(crate) struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(QueryParams(value)),
            Err(e) => Err(problem(StatusCode::BAD_REQUEST, e.body_text())),
        }
    }
}

/// The one parameter of a path; 400 with a problem if it cannot be decoded.
pub(crate) struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(PathParam(value)),
            Err(_) => Err(problem(
                StatusCode::BAD_REQUEST,
                "a path parameter could not be decoded",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_errors_never_quote_the_input() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct B {
            n: u32,
            s: String,
        }
        for (input, want) in [
            (r#"{"n": "191212121212", "s": "x"}"#, "does not match"),
            (r#"{"n": 1, "s": "x", "191212121212": 1}"#, "does not match"),
            (r#"{"n": 1"#, "not valid JSON"),
            (r#"{"n": 1}"#, "lacks the field s"),
            ("191212121212x", "does not match"),
            ("[1, ", "not valid JSON"),
        ] {
            let e = serde_json::from_str::<B>(input).unwrap_err();
            let m = body_error_message(&e);
            assert!(m.contains(want), "{input}: {m}");
            assert!(!m.contains("1912"), "{m}");
        }
    }
}
