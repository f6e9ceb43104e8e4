//! Access-log queries and the follow-up, for log auditors only. A log auditor is the acting
//! user in an assignment whose purpose is `Uppföljning av åtkomst`
//! ([`npo_security::access_log::PURPOSE_LOG_FOLLOW_UP`]); they see the entries of their own
//! care giver's users only. Every read is recorded (who, assignment, system, time, purpose, what
//! was asked) before anything is returned. The patient's own view is not here: it goes through
//! the citizen channel (GetAccessLogsForPatient through the service platform).

use crate::SecurityApi;
use crate::dto::{ActingUserHeaders, FollowUpQuery, FollowUpReport, LogEntry, LogPage, LogQuery};
use crate::http::{AuditingUser, QueryParams, invalid_patient, log_error, ok, problem};
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use npo_pki::PeerIdentity;
use npo_security::access_log::{AuditQuery, MAX_PAGE, Page};
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

/// The calling system (the guard has let only known systems through).
fn system(peer: &PeerIdentity) -> &str {
    peer.hsa_id.as_deref().unwrap_or_default()
}

/// Query the access log
///
/// For log auditors (an assignment whose purpose is `Uppföljning av åtkomst`): the entries of
/// the users of the auditor's own care giver about one patient, of one user, or of all of the
/// care giver's users, newest first. Exactly one of `patient`, `user` and `care_giver` (which
/// must be the auditor's own) must be given. The read is itself logged.
#[utoipa::path(
    get,
    path = "/api/v1/access-log",
    tag = "access-log",
    params(ActingUserHeaders, LogQuery),
    responses(
        (status = 200, description = "A page of entries, newest first", body = LogPage),
        (status = 400, description = "Not exactly one of patient, user and care_giver, or an invalid value", body = Problem),
        (status = 403, description = "The calling system is not allowed, the user is not a log auditor, or asked for another care giver", body = Problem),
        (status = 500, description = "The log holds an entry this version cannot read", body = Problem),
        (status = 503, description = "The access log is unavailable, or the read could not be logged", body = Problem),
    )
)]
pub(crate) async fn query_access_log(
    State(api): State<Arc<SecurityApi>>,
    Extension(peer): Extension<PeerIdentity>,
    AuditingUser(actor): AuditingUser,
    QueryParams(q): QueryParams<LogQuery>,
) -> Response {
    let page = page(q.offset, q.limit);
    let query = match (q.patient, q.user, q.care_giver) {
        (Some(patient), None, None) => {
            if let Some(r) = invalid_patient(&patient) {
                return r;
            }
            AuditQuery::Patient(patient)
        }
        (None, Some(user), None) => {
            if !npo_riv::ids::is_hsa_id(&user) {
                return problem(StatusCode::BAD_REQUEST, "user must be an HSA-id");
            }
            AuditQuery::User(user)
        }
        (None, None, Some(care_giver)) => {
            if !npo_riv::ids::is_hsa_id(&care_giver) {
                return problem(StatusCode::BAD_REQUEST, "care_giver must be an HSA-id");
            }
            AuditQuery::CareGiver(care_giver)
        }
        _ => {
            return problem(
                StatusCode::BAD_REQUEST,
                "give exactly one of patient, user and care_giver",
            );
        }
    };
    match api.log.audit(&actor, system(&peer), &query, page).await {
        Ok(entries) => ok(LogPage {
            offset: page.offset,
            limit: page.limit,
            entries: entries.into_iter().map(LogEntry::from).collect(),
        }),
        Err(e) => log_error(e),
    }
}

/// Follow-up report
///
/// For log auditors: in `[from, to]`, of the users of the auditor's own care giver, the
/// emergency accesses (including blocks lifted under emergency access), the accesses to other
/// care givers' information, and the users who opened more than `threshold` distinct patients.
/// The read is itself logged.
#[utoipa::path(
    get,
    path = "/api/v1/access-log/follow-up",
    tag = "access-log",
    params(ActingUserHeaders, FollowUpQuery),
    responses(
        (status = 200, description = "The report", body = FollowUpReport),
        (status = 400, description = "from or to missing or not YYYYMMDDhhmmss / YYYYMMDD", body = Problem),
        (status = 403, description = "The calling system is not allowed, or the user is not a log auditor", body = Problem),
        (status = 500, description = "The log holds an entry this version cannot read", body = Problem),
        (status = 503, description = "The access log is unavailable, or the read could not be logged", body = Problem),
    )
)]
pub(crate) async fn access_log_follow_up(
    State(api): State<Arc<SecurityApi>>,
    Extension(peer): Extension<PeerIdentity>,
    AuditingUser(actor): AuditingUser,
    QueryParams(q): QueryParams<FollowUpQuery>,
) -> Response {
    let threshold = q.threshold.unwrap_or(DEFAULT_FOLLOW_UP_THRESHOLD);
    match api
        .log
        .audit_follow_up(&actor, system(&peer), &q.from, &q.to, threshold as usize)
        .await
    {
        Ok(report) => ok(FollowUpReport::from(report)),
        Err(e) => log_error(e),
    }
}
