//! The HSA directory: export, import, a person's assignments.

use crate::SecurityApi;
use crate::dto::{Assignment, Directory, DirectoryAudit};
use crate::http::{Administrator, JsonBody, PathParam, directory_error, ok, problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use npo_security::directory::{ChangeVia, DirectoryChange};
use std::sync::Arc;

/// Export the directory
///
/// The whole directory, every list ordered by HSA-id. Administrators only.
#[utoipa::path(
    get,
    path = "/api/v1/directory",
    tag = "directory",
    responses(
        (status = 200, description = "The directory", body = Directory),
        (status = 403, description = "The calling system is not an administrator", body = Problem),
        (status = 503, description = "The directory store is unavailable", body = Problem),
    )
)]
pub(crate) async fn export_directory(
    State(api): State<Arc<SecurityApi>>,
    _admin: Administrator,
) -> Response {
    match api.directory.load().await {
        Ok(d) => ok(Directory::from(d)),
        Err(e) => directory_error(e),
    }
}

/// Import the directory
///
/// Replaces the whole directory. Administrators only. It is validated as a whole first
/// (HSA-ids, uniqueness, references, rights); an empty directory is refused, and so is one that
/// drops more than the configured share of the current care givers, care units, persons or
/// assignments (that takes `npo directory import --force`). If it is refused nothing changes.
/// The replacement is written to the audit trail, which the answer is.
#[utoipa::path(
    put,
    path = "/api/v1/directory",
    tag = "directory",
    request_body = Directory,
    responses(
        (status = 200, description = "Imported; the audit trail's entry", body = DirectoryAudit),
        (status = 400, description = "Invalid, empty or half directory; nothing changed", body = Problem),
        (status = 403, description = "The calling system is not an administrator", body = Problem),
        (status = 413, description = "The directory is larger than 64 MiB", body = Problem),
        (status = 503, description = "The directory store is unavailable", body = Problem),
    )
)]
pub(crate) async fn import_directory(
    State(api): State<Arc<SecurityApi>>,
    Administrator(admin): Administrator,
    JsonBody(d): JsonBody<Directory>,
) -> Response {
    let change = DirectoryChange {
        by: admin,
        via: ChangeVia::Api,
        force: false,
        max_drop_percent: api.max_directory_drop_percent,
    };
    match api.directory.replace(&d.into(), &change).await {
        Ok(audit) => {
            tracing::info!(by = %change.by, digest = %audit.digest_after, "directory replaced");
            ok(DirectoryAudit::from(audit))
        }
        Err(e) => directory_error(e),
    }
}

/// The directory's audit trail
///
/// Every replacement of the directory, newest first (at most 1000): who, when, how, the counts
/// before and after and digests. Administrators only.
#[utoipa::path(
    get,
    path = "/api/v1/directory/audit",
    tag = "directory",
    responses(
        (status = 200, description = "The audit trail", body = [DirectoryAudit]),
        (status = 403, description = "The calling system is not an administrator", body = Problem),
        (status = 503, description = "The directory store is unavailable", body = Problem),
    )
)]
pub(crate) async fn directory_audit(
    State(api): State<Arc<SecurityApi>>,
    _admin: Administrator,
) -> Response {
    match api.directory.audit_trail(1000).await {
        Ok(list) => ok(list
            .into_iter()
            .map(DirectoryAudit::from)
            .collect::<Vec<_>>()),
        Err(e) => directory_error(e),
    }
}

/// A person's assignments
///
/// Every employee assignment of the person, resolved with care unit and care giver, whatever
/// its purpose (only `Vård och behandling` gives access to patient information).
#[utoipa::path(
    get,
    path = "/api/v1/persons/{hsaId}/assignments",
    tag = "directory",
    params(("hsaId" = String, Path, description = "The person's HSA-id", example = "SE2321000016-P001")),
    responses(
        (status = 200, description = "The person's assignments", body = [Assignment]),
        (status = 400, description = "Not an HSA-id", body = Problem),
        (status = 403, description = "The calling system is not allowed", body = Problem),
        (status = 404, description = "No such person", body = Problem),
        (status = 503, description = "The directory store is unavailable", body = Problem),
    )
)]
pub(crate) async fn person_assignments(
    State(api): State<Arc<SecurityApi>>,
    PathParam(hsa_id): PathParam,
) -> Response {
    if !npo_riv::ids::is_hsa_id(&hsa_id) {
        return problem(
            StatusCode::BAD_REQUEST,
            "the person's HSA-id is not a valid HSA-id",
        );
    }
    match api.directory.person(&hsa_id).await {
        Ok(Some(_)) => {}
        Ok(None) => return problem(StatusCode::NOT_FOUND, "no person with that HSA-id"),
        Err(e) => return directory_error(e),
    }
    match api.directory.assignments_of(&hsa_id).await {
        Ok(list) => ok(list.into_iter().map(Assignment::from).collect::<Vec<_>>()),
        Err(e) => directory_error(e),
    }
}
