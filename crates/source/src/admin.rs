//! The admin API: create, replace and delete records (JSON), for the care giver's own tools.
//! Only systems named in `admin_hsa_ids` may use it.

use crate::{SourceError, SourceSystem};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use npo_pki::PeerIdentity;
use std::sync::Arc;

fn problem(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

fn authorized(source: &SourceSystem, peer: &PeerIdentity) -> bool {
    peer.hsa_id
        .as_ref()
        .is_some_and(|h| source.cfg.admin_hsa_ids.contains(h))
}

fn forbidden() -> Response {
    problem(StatusCode::FORBIDDEN, "this system may not change records")
}

fn error(e: SourceError) -> Response {
    match e {
        SourceError::Invalid(m) => problem(StatusCode::BAD_REQUEST, m),
        SourceError::UnknownContract(c) => problem(
            StatusCode::NOT_FOUND,
            format!(
                "no contract named {c} (where npo implements two versions, name one: e.g. GetCareDocumentation_2.1)"
            ),
        ),
        SourceError::Store(e) => {
            tracing::error!(error = %e, "admin: store unavailable");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "the record store is unavailable",
            )
        }
    }
}

/// `PUT /admin/records/{contract}/{documentId}` with the record as JSON.
pub async fn put_record(
    State(source): State<Arc<SourceSystem>>,
    Extension(peer): Extension<PeerIdentity>,
    Path((contract, document_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if !authorized(&source, &peer) {
        return forbidden();
    }
    let Some(service) = source.service_named(&contract) else {
        return error(SourceError::UnknownContract(contract));
    };
    match service.put_json(&source, &document_id, &body).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(e),
    }
}

/// `DELETE /admin/records/{contract}/{documentId}`.
pub async fn delete_record(
    State(source): State<Arc<SourceSystem>>,
    Extension(peer): Extension<PeerIdentity>,
    Path((contract, document_id)): Path<(String, String)>,
) -> Response {
    if !authorized(&source, &peer) {
        return forbidden();
    }
    let Some(service) = source.service_named(&contract) else {
        return error(SourceError::UnknownContract(contract));
    };
    match source.delete(service.namespace(), &document_id).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => problem(StatusCode::NOT_FOUND, "no such record"),
        Err(e) => error(e),
    }
}
