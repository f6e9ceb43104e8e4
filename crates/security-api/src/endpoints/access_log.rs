//! Access-log queries: by patient, user or care giver; the patient's own view; follow-up.

use crate::SecurityApi;
use crate::dto::{
    FollowUpQuery, FollowUpReport, LogEntry, LogPage, LogQuery, PageQuery, PatientLogEntry,
    PatientLogPage,
};
use crate::http::{PathParam, QueryParams, invalid_patient, log_error, ok, problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use npo_security::access_log::{MAX_PAGE, Page};
use std::sync::Arc;

/// Users who opened more than this many distinct patients in a follow-up window are listed,
/// unless the query says otherwise.
pub const DEFAULT_FOLLOW_UP_THRESHOLD: u32 = 50;

fn page(offset: Option<u32>, limit: Option<u32>) -> Page {
    let default = Page::default();
    Page::new(
        offset.unwrap_or(default.offset),
        limit.unwrap_or(default.limit).min(MAX_PAGE),
    )
}

/// Query the access log
///
/// The entries of one patient, one user (person HSA-id) or the users of one care giver,
/// newest first. Exactly one of `patient`, `user` and `care_giver` must be given.
#[utoipa::path(
    get,
    path = "/api/v1/access-log",
    tag = "access-log",
    params(LogQuery),
    responses(
        (status = 200, description = "A page of entries, newest first", body = LogPage),
        (status = 400, description = "Not exactly one of patient, user and care_giver, or an invalid value", body = Problem),
        (status = 403, description = "The calling system is not allowed", body = Problem),
        (status = 500, description = "The log holds an entry this version cannot read", body = Problem),
        (status = 503, description = "The access log is unavailable", body = Problem),
    )
)]
pub(crate) async fn query_access_log(
    State(api): State<Arc<SecurityApi>>,
    QueryParams(q): QueryParams<LogQuery>,
) -> Response {
    let page = page(q.offset, q.limit);
    let found = match (q.patient, q.user, q.care_giver) {
        (Some(patient), None, None) => {
            if let Some(r) = invalid_patient(&patient) {
                return r;
            }
            api.log.by_patient(&patient, page).await
        }
        (None, Some(user), None) => {
            if !npo_riv::ids::is_hsa_id(&user) {
                return problem(StatusCode::BAD_REQUEST, "user must be an HSA-id");
            }
            api.log.by_user(&user, page).await
        }
        (None, None, Some(care_giver)) => {
            if !npo_riv::ids::is_hsa_id(&care_giver) {
                return problem(StatusCode::BAD_REQUEST, "care_giver must be an HSA-id");
            }
            api.log.by_care_giver(&care_giver, page).await
        }
        _ => {
            return problem(
                StatusCode::BAD_REQUEST,
                "give exactly one of patient, user and care_giver",
            );
        }
    };
    match found {
        Ok(entries) => ok(LogPage {
            offset: page.offset,
            limit: page.limit,
            entries: entries.into_iter().map(LogEntry::from).collect(),
        }),
        Err(e) => log_error(e),
    }
}

/// The patient's view of the access log
///
/// What the patient may see of the accesses to their records, newest first: when, from which
/// care unit and care giver, why and what kind of information; never who the user was.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{patientId}/access-log",
    tag = "access-log",
    params(
        ("patientId" = String, Path, description = "The patient's id: 12 digits", example = "191212121212", pattern = "^[0-9]{12}$"),
        PageQuery,
    ),
    responses(
        (status = 200, description = "A page of entries, newest first", body = PatientLogPage),
        (status = 400, description = "Invalid patient id or page", body = Problem),
        (status = 403, description = "The calling system is not allowed", body = Problem),
        (status = 500, description = "The log holds an entry this version cannot read", body = Problem),
        (status = 503, description = "The access log is unavailable", body = Problem),
    )
)]
pub(crate) async fn patient_access_log(
    State(api): State<Arc<SecurityApi>>,
    PathParam(patient_id): PathParam,
    QueryParams(q): QueryParams<PageQuery>,
) -> Response {
    if let Some(r) = invalid_patient(&patient_id) {
        return r;
    }
    let page = page(q.offset, q.limit);
    match api.log.patient_view(&patient_id, page).await {
        Ok(entries) => ok(PatientLogPage {
            offset: page.offset,
            limit: page.limit,
            entries: entries.into_iter().map(PatientLogEntry::from).collect(),
        }),
        Err(e) => log_error(e),
    }
}

/// Follow-up report
///
/// For auditors: in `[from, to]`, the emergency accesses, the accesses to other care givers'
/// information, and the users who opened more than `threshold` distinct patients.
#[utoipa::path(
    get,
    path = "/api/v1/access-log/follow-up",
    tag = "access-log",
    params(FollowUpQuery),
    responses(
        (status = 200, description = "The report", body = FollowUpReport),
        (status = 400, description = "from or to missing or not YYYYMMDDhhmmss / YYYYMMDD", body = Problem),
        (status = 403, description = "The calling system is not allowed", body = Problem),
        (status = 500, description = "The log holds an entry this version cannot read", body = Problem),
        (status = 503, description = "The access log is unavailable", body = Problem),
    )
)]
pub(crate) async fn access_log_follow_up(
    State(api): State<Arc<SecurityApi>>,
    QueryParams(q): QueryParams<FollowUpQuery>,
) -> Response {
    let threshold = q.threshold.unwrap_or(DEFAULT_FOLLOW_UP_THRESHOLD);
    match api.log.follow_up(&q.from, &q.to, threshold as usize).await {
        Ok(report) => ok(FollowUpReport::from(report)),
        Err(e) => log_error(e),
    }
}
