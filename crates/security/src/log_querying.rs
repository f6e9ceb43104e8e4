//! GetAccessLogsForPatient 1.0 (`ehr:log:querying`) answered from npo's own access log: which
//! care givers and care units accessed the patient's information in an interval, when, why and
//! what kind of information (PDL 8 kap. 1 §; DOMAIN.md §4.6 and §5).
//!
//! - **Only the patient's view.** Entries come from [`AccessLog::patient_view_between`], which
//!   never selects the user (HSA-id, name, assignment) or the consuming system. Care giver and
//!   care unit are those the *user acted for* (who looked), not those holding the information.
//!   The contract has no place for the activity (Läsa, Nödöppning, Hävd spärr), so it is not
//!   reported; the purpose is reported as logged, and the resource type is the PDL information
//!   type as logged (`dia`, `voo`, …).
//! - **Synchronous.** npo builds the report at once and never queues one, so it never answers
//!   `REPORT_ON_QUEUE`/`REPORT_IN_PROCESS`, and any `QueuedReportId` is unknown:
//!   `REPORT_NOT_FOUND` (as the schema says for an unknown id; no new report is made).
//! - **Interval.** `FromDate` and `ToDate` are converted to Swedish local time (the log's time)
//!   and both are inclusive, to the second (fractions are dropped). A value without an offset
//!   is Swedish local time. Every answer echoes them as `StartInterval`/`EndInterval`.
//! - **Order.** Newest first, as every access-log query.
//! - **Limit.** More than `max_entries` entries in the interval → `MAX_QUERY_RESULT_EXCEEDED`
//!   without entries (the schema's rule; [`DEFAULT_MAX_ENTRIES`] = 10 000); the citizen narrows
//!   the interval.
//! - **Invalid requests** → `VALIDATION_ERROR` with a Swedish text naming the element: a patient
//!   id that is not a valid personnummer or samordningsnummer (checksum included), `ToDate`
//!   before `FromDate`.
//! - **Server-side failures** (the log cannot be read, or holds a row this version cannot
//!   read) → result code `ERROR` with a generic Swedish text, not a SOAP fault: the schema's
//!   result is the contract's channel for "not done, show this message", the consumer (1177)
//!   shows it, and [`answer`] therefore never fails. The cause is logged with `tracing` (without
//!   personal data). A platform that prefers a fault can map `ERROR` to `soap:Server` itself.
//!   Requests that do not follow the schema never reach [`answer`]: parsing fails first, and the
//!   platform answers with a `soap:Client` fault.
//!
//! - **Every extract is recorded** before it is built, as a read of the access log
//!   ([`AccessLog::record_read`]) with the purpose [`PURPOSE_PATIENT_EXTRACT`], the consumer
//!   system it came from, the patient asked for and the interval; if it cannot be recorded the
//!   answer is `ERROR` and nothing is shown.
//! - **Looks, not records.** The gate logs one entry per information type, care giver and care
//!   unit of a read (not one per record), so each entry here is one look. The contract has no
//!   place for record ids; they stay in the log for auditors.
//!
//! Every result text is fixed Swedish text (plus the configured limit): never a patient id, a
//! name or a value from the request.
//!
//! [`answer`] does not decide who may ask: the platform must only accept the consumer systems
//! allowed to call this contract, and those must only ask for the citizen they authenticated
//! (answering `ACCESSDENIED` otherwise is the caller's part).

use crate::access_log::{
    AccessLog, LogError, NewLogRead, PURPOSE_PATIENT_EXTRACT, PatientViewEntry,
};
use npo_riv::contracts::access_logs_for_patient_v1::{
    AccessLogRecord, AccessLogsResult, GetAccessLogsForPatientRequest,
    GetAccessLogsForPatientResponse, LogResultCode, XsDateTime,
};
use npo_riv::ids::is_valid_personal_identity;

pub use npo_riv::contracts::access_logs_for_patient_v1::DEFAULT_MAX_ENTRIES;

/// Text of `VALIDATION_ERROR` for a patient id that is not a valid identity.
pub const TEXT_INVALID_PATIENT: &str =
    "PatientId är inte ett giltigt personnummer eller samordningsnummer (12 siffror).";
/// Text of `VALIDATION_ERROR` for an interval that ends before it starts.
pub const TEXT_INVALID_INTERVAL: &str = "ToDate är före FromDate.";
/// Text of `REPORT_NOT_FOUND`.
pub const TEXT_REPORT_NOT_FOUND: &str =
    "Det finns inget loggutdrag med angivet QueuedReportId. Fråga igen utan QueuedReportId.";
/// Text of `ERROR` when the log cannot be read.
pub const TEXT_UNAVAILABLE: &str =
    "Loggutdraget kan inte tas fram just nu på grund av ett tekniskt fel. Försök igen senare.";

/// Answers a GetAccessLogsForPatient request from the access log, with one
/// `AccessLogsResultType`. Never fails: see the module documentation for every result code.
/// `max_entries` is the most entries returned ([`DEFAULT_MAX_ENTRIES`] by default);
/// `consumer_hsa_id` is the consumer system that asked (recorded with the read).
pub async fn answer(
    log: &AccessLog,
    request: &GetAccessLogsForPatientRequest,
    max_entries: usize,
    consumer_hsa_id: &str,
) -> GetAccessLogsForPatientResponse {
    let mut result = answer_result(log, request, max_entries, consumer_hsa_id).await;
    result.result.start_interval = Some(request.from_date);
    result.result.end_interval = Some(request.to_date);
    GetAccessLogsForPatientResponse::single(result)
}

async fn answer_result(
    log: &AccessLog,
    request: &GetAccessLogsForPatientRequest,
    max_entries: usize,
    consumer_hsa_id: &str,
) -> AccessLogsResult {
    if !is_valid_personal_identity(&request.patient_id) {
        return AccessLogsResult::without_logs(
            LogResultCode::ValidationError,
            TEXT_INVALID_PATIENT,
        );
    }
    if request.to_date.to_utc() < request.from_date.to_utc() {
        return AccessLogsResult::without_logs(
            LogResultCode::ValidationError,
            TEXT_INVALID_INTERVAL,
        );
    }
    if request.queued_report_id.is_some() {
        return AccessLogsResult::without_logs(
            LogResultCode::ReportNotFound,
            TEXT_REPORT_NOT_FOUND,
        );
    }
    let from = log_time(&request.from_date);
    let to = log_time(&request.to_date);
    if let Err(e) = log
        .record_read(NewLogRead {
            system_hsa_id: consumer_hsa_id.into(),
            purpose: PURPOSE_PATIENT_EXTRACT.into(),
            user: None,
            query_kind: "patient_extract",
            query_value: format!("{};{from}-{to}", request.patient_id),
        })
        .await
    {
        return unavailable(&e);
    }
    let entries = match log
        .patient_view_between(
            &request.patient_id,
            &from,
            &to,
            max_entries.saturating_add(1),
        )
        .await
    {
        Ok(entries) => entries,
        Err(e) => return unavailable(&e),
    };
    if entries.len() > max_entries {
        return AccessLogsResult::without_logs(
            LogResultCode::MaxQueryResultExceeded,
            format!(
                "Fler än {max_entries} loggposter finns i det angivna tidsintervallet. \
                 Välj ett kortare tidsintervall."
            ),
        );
    }
    let records = match entries.iter().map(record).collect::<Option<Vec<_>>>() {
        Some(r) => r,
        None => return unavailable(&LogError::Corrupt),
    };
    let text = match records.len() {
        0 => "Inga loggposter finns i det angivna tidsintervallet.".to_owned(),
        1 => "Loggutdraget innehåller 1 loggpost.".to_owned(),
        n => format!("Loggutdraget innehåller {n} loggposter."),
    };
    AccessLogsResult::ok(text, records)
}

fn unavailable(e: &LogError) -> AccessLogsResult {
    tracing::error!(error = %e, "GetAccessLogsForPatient: the access log could not be read");
    AccessLogsResult::without_logs(LogResultCode::Error, TEXT_UNAVAILABLE)
}

/// The instant as the log's time (`YYYYMMDDhhmmss`, Swedish local time). An instant whose
/// Swedish year is not four digits (an offset pushed year 1 or 9999 over the edge) becomes the
/// first or last moment of the 14-digit range, which compares the same with every log time.
fn log_time(t: &XsDateTime) -> String {
    let ts = t.stockholm_timestamp();
    if ts.len() == 14 && ts.bytes().all(|b| b.is_ascii_digit()) {
        ts
    } else if ts.starts_with('-') {
        "00000101000000".to_owned()
    } else {
        "99991231235959".to_owned()
    }
}

/// One entry of the patient's view as the contract's access log entry: the care giver and care
/// unit the user acted for, the time (with its offset), the purpose and the information type.
/// `None` if the entry's time is not a timestamp (a corrupt row).
pub fn record(entry: &PatientViewEntry) -> Option<AccessLogRecord> {
    Some(AccessLogRecord {
        care_provider_id: entry.care_giver_hsa_id.clone(),
        care_provider_name: entry.care_giver_name.clone(),
        care_unit_id: entry.care_unit_hsa_id.clone(),
        care_unit_name: entry.care_unit_name.clone(),
        access_date: XsDateTime::from_stockholm_timestamp(&entry.time)?,
        purpose: entry.purpose.clone(),
        resource_type: entry.information_type.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> XsDateTime {
        XsDateTime::parse(s).unwrap()
    }

    #[test]
    fn log_times_are_swedish_and_clamped() {
        assert_eq!(log_time(&dt("2024-01-15T09:30:00Z")), "20240115103000");
        assert_eq!(log_time(&dt("2024-07-15T10:30:00.9")), "20240715103000");
        let early = log_time(&dt("0001-01-01T00:00:00+14:00"));
        assert!(
            early.len() == 14 && early.as_str() < "00010102000000",
            "{early}"
        );
        assert_eq!(log_time(&dt("9999-12-31T23:59:59-14:00")), "99991231235959");
    }
}
