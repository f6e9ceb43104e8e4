//! The HSA directory: export, import, a person's assignments.

use crate::SecurityApi;
use crate::dto::{Assignment, Directory};
use crate::http::{JsonBody, PathParam, directory_error, no_content, ok, problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use std::sync::Arc;

/// Export the directory
///
/// The whole directory, every list ordered by HSA-id.
#[utoipa::path(
    get,
    path = "/api/v1/directory",
    tag = "directory",
    responses(
        (status = 200, description = "The directory", body = Directory),
        (status = 403, description = "The calling system is not allowed", body = Problem),
        (status = 503, description = "The directory store is unavailable", body = Problem),
    )
)]
pub(crate) async fn export_directory(State(api): State<Arc<SecurityApi>>) -> Response {
    match api.directory.load().await {
        Ok(d) => ok(Directory::from(d)),
        Err(e) => directory_error(e),
    }
}

/// Import the directory
///
/// Replaces the whole directory. It is validated as a whole first (HSA-ids, uniqueness,
/// references, rights); if it is invalid nothing changes.
#[utoipa::path(
    put,
    path = "/api/v1/directory",
    tag = "directory",
    request_body = Directory,
    responses(
        (status = 204, description = "Imported"),
        (status = 400, description = "Invalid directory; nothing changed", body = Problem),
        (status = 403, description = "The calling system is not allowed", body = Problem),
        (status = 413, description = "The directory is larger than 64 MiB", body = Problem),
        (status = 503, description = "The directory store is unavailable", body = Problem),
    )
)]
pub(crate) async fn import_directory(
    State(api): State<Arc<SecurityApi>>,
    JsonBody(d): JsonBody<Directory>,
) -> Response {
    match api.directory.replace(&d.into()).await {
        Ok(()) => no_content(),
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
