//! The access log (åtkomstlogg): what a user was given, written before it is shown (PDL 4 kap.
//! 3 §; DOMAIN.md §4.6).
//!
//! - **One entry per look.** The gate writes one entry per (read, information type, the
//!   information's care giver and care unit, activity), carrying the ids of the records
//!   delivered ([`RecordRef`]: source system and `documentId`), as the national log service's
//!   resource model does. What was fetched but not delivered is not logged, and nothing is
//!   delivered without its entry.
//! - **Reading the log needs a role.** A log auditor is a user acting in an assignment whose
//!   purpose is [`PURPOSE_LOG_FOLLOW_UP`]; [`AccessLog::audit`] and
//!   [`AccessLog::audit_follow_up`] show them only the entries of users of their own care giver.
//!   The patient's own view goes only through the citizen channel (GetAccessLogsForPatient,
//!   [`crate::log_querying`]). Every such read is recorded first, with its purpose, in a table
//!   of its own ([`AccessLog::record_read`], append-only); if it cannot be recorded, nothing is
//!   shown.
//!
//! - **Durable before shown.** [`AccessLog::append`] returns only when its entries are committed.
//!   If they cannot be written it returns an error and the caller must show nothing (fail closed).
//! - **Group commit.** Every caller hands its entries to one writer task over a bounded channel.
//!   The writer takes everything queued (up to [`LogConfig::max_batch`] entries), writes it in one
//!   transaction with multi-row INSERTs, and then answers each caller. One commit (one fsync)
//!   serves many callers, and a failed transaction fails every caller in it: nothing of a failed
//!   batch is ever visible.
//! - **Append-only.** There is no update; the only deletion is [`AccessLog::purge_expired`], after
//!   the retention period (at least five years).
//! - **Newest first.** Log ids are UUIDv7, ordered by creation within a process, so the queries
//!   page by `ORDER BY id DESC` on the `(key, id)` indexes.
//! - Error messages never carry personal data (patient ids, names).

use crate::model::Actor;
use npo_store::{Backend, Db, sqlx};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most entries one query returns.
pub const MAX_PAGE: u32 = 500;
/// Most entries of each kind a follow-up report lists (it says when there were more).
pub const MAX_REPORT_ROWS: usize = 10_000;
/// The shortest retention: five years, counting up to two leap days.
pub const MIN_RETENTION_DAYS: u32 = 5 * 365 + 2;
/// Most rows per INSERT statement. Statements hold 512 rows or a power of two below it, so a
/// handful of distinct statements serve every batch (and stay prepared).
const MAX_ROWS_PER_STATEMENT: usize = 512;
/// Requests that may wait for the writer before `append` itself waits (back-pressure).
const QUEUE: usize = 1024;

/// The purpose of an employee assignment that makes its holder a **log auditor** for the
/// assignment's care giver: they may read the access-log entries of that care giver's users and
/// its follow-up report (PDL 4 kap. 3 §, systematic follow-up). No other assignment may read the
/// log.
pub const PURPOSE_LOG_FOLLOW_UP: &str = "Uppföljning av åtkomst";
/// The purpose recorded when a patient reads their own log extract (GetAccessLogsForPatient).
pub const PURPOSE_PATIENT_EXTRACT: &str = "Patientens loggutdrag";

/// What the user did with the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Activity {
    /// Read under the ordinary rules (consent, own care giver).
    #[serde(rename = "Läsa")]
    Read,
    /// Read under emergency access (nödöppning); flagged for follow-up.
    #[serde(rename = "Nödöppning")]
    Emergency,
    /// Printed.
    #[serde(rename = "Utskrift")]
    Print,
    /// A block (spärr) was temporarily revoked to read the record.
    #[serde(rename = "Hävd spärr")]
    BlockRevoked,
    /// A block was temporarily revoked under emergency access (the revoke's reason was an
    /// emergency, or another care giver's record read under emergency access): both a lifted
    /// block and an emergency access; flagged for follow-up.
    #[serde(rename = "Nödöppning, hävd spärr")]
    EmergencyBlockRevoked,
}

impl Activity {
    pub const ALL: [Activity; 5] = [
        Activity::Read,
        Activity::Emergency,
        Activity::Print,
        Activity::BlockRevoked,
        Activity::EmergencyBlockRevoked,
    ];

    /// Emergency accesses: what the emergency follow-up lists.
    pub const EMERGENCY: [Activity; 2] = [Activity::Emergency, Activity::EmergencyBlockRevoked];

    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Read => "Läsa",
            Activity::Emergency => "Nödöppning",
            Activity::Print => "Utskrift",
            Activity::BlockRevoked => "Hävd spärr",
            Activity::EmergencyBlockRevoked => "Nödöppning, hävd spärr",
        }
    }

    pub fn parse(s: &str) -> Option<Activity> {
        Activity::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One record delivered: its source system and its `documentId`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordRef {
    pub source_system_hsa_id: String,
    pub document_id: String,
}

/// The records of one entry, stored as a JSON array.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordRefs(pub Vec<RecordRef>);

impl RecordRefs {
    fn to_json(&self) -> String {
        // Strings only: serialising cannot fail.
        serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".into())
    }
}

impl TryFrom<String> for RecordRefs {
    type Error = serde_json::Error;
    fn try_from(s: String) -> Result<Self, serde_json::Error> {
        serde_json::from_str(&s).map(RecordRefs)
    }
}

/// What was looked at: the information type, whose it is, where it comes from, and the records
/// delivered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub information_type: String,
    pub patient_id: String,
    /// The care giver that holds the information.
    pub care_giver_hsa_id: String,
    /// The care unit that holds the information.
    pub care_unit_hsa_id: String,
    /// The records delivered (at least one).
    pub records: Vec<RecordRef>,
}

/// One look (one information type of one care unit, in one read), to be logged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEntry {
    /// The consuming system (its certificate's HSA-id).
    pub system_hsa_id: String,
    pub activity: Activity,
    /// The purpose of the access, e.g. `Vård och behandling`.
    pub purpose: String,
    /// The user, in the assignment they act in.
    pub actor: Actor,
    pub resource: Resource,
}

/// A logged look, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Entry {
    /// The log id (UUIDv7).
    pub id: String,
    /// `YYYYMMDDhhmmss`, Swedish local time.
    pub time: String,
    pub system_hsa_id: String,
    #[sqlx(try_from = "String")]
    pub activity: Activity,
    pub purpose: String,
    pub user_hsa_id: String,
    pub user_name: String,
    pub user_assignment_hsa_id: String,
    pub user_assignment_name: String,
    pub user_care_unit_hsa_id: String,
    pub user_care_unit_name: String,
    pub user_care_giver_hsa_id: String,
    pub user_care_giver_name: String,
    pub information_type: String,
    pub patient_id: String,
    pub resource_care_giver_hsa_id: String,
    pub resource_care_unit_hsa_id: String,
    /// The records delivered.
    #[sqlx(rename = "record_ids", try_from = "String")]
    pub records: RecordRefs,
}

impl TryFrom<String> for Activity {
    type Error = UnknownActivity;
    fn try_from(s: String) -> Result<Self, UnknownActivity> {
        Activity::parse(&s).ok_or(UnknownActivity)
    }
}

/// A stored activity this version does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown access log activity")]
pub struct UnknownActivity;

impl Entry {
    fn new(id: String, time: String, e: NewEntry) -> Entry {
        let a = e.actor.assignment;
        Entry {
            id,
            time,
            system_hsa_id: e.system_hsa_id,
            activity: e.activity,
            purpose: e.purpose,
            user_hsa_id: e.actor.person_hsa_id,
            user_name: e.actor.name,
            user_assignment_hsa_id: a.hsa_id,
            user_assignment_name: a.name,
            user_care_unit_hsa_id: a.care_unit_hsa_id,
            user_care_unit_name: a.care_unit_name,
            user_care_giver_hsa_id: a.care_giver_hsa_id,
            user_care_giver_name: a.care_giver_name,
            information_type: e.resource.information_type,
            patient_id: e.resource.patient_id,
            resource_care_giver_hsa_id: e.resource.care_giver_hsa_id,
            resource_care_unit_hsa_id: e.resource.care_unit_hsa_id,
            records: RecordRefs(e.resource.records),
        }
    }

    /// Whether the user read another care giver's information (coherent record keeping).
    pub fn is_coherent(&self) -> bool {
        self.user_care_giver_hsa_id != self.resource_care_giver_hsa_id
    }
}

/// What the patient may see of an access: when, from which unit and care giver, why and what
/// kind of information; never who the user was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct PatientViewEntry {
    pub id: String,
    pub time: String,
    #[sqlx(try_from = "String")]
    pub activity: Activity,
    pub purpose: String,
    pub information_type: String,
    pub care_unit_hsa_id: String,
    pub care_unit_name: String,
    pub care_giver_hsa_id: String,
    pub care_giver_name: String,
}

/// A user who opened many patients' records in a follow-up window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeavyUser {
    pub user_hsa_id: String,
    pub user_name: String,
    pub distinct_patients: u64,
    pub entries: u64,
}

/// The follow-up (uppföljning) of a time window, for auditors.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpReport {
    pub from: String,
    pub to: String,
    pub threshold: usize,
    /// Emergency accesses (`Nödöppning`, and `Nödöppning, hävd spärr`), newest first.
    pub emergency: Vec<Entry>,
    /// More emergency accesses than [`MAX_REPORT_ROWS`] matched.
    pub emergency_truncated: bool,
    /// Accesses to another care giver's information (the user's care giver differs from the
    /// care giver that holds it), newest first. Emergency accesses can be in both lists.
    pub coherent: Vec<Entry>,
    pub coherent_truncated: bool,
    /// Users who opened more than `threshold` distinct patients, most first.
    pub heavy_users: Vec<HeavyUser>,
}

/// A page of a query: `limit` entries (at most [`MAX_PAGE`]) after skipping `offset`, newest
/// first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub offset: u32,
    pub limit: u32,
}

impl Page {
    pub fn new(offset: u32, limit: u32) -> Page {
        Page { offset, limit }
    }

    /// The first `limit` entries.
    pub fn first(limit: u32) -> Page {
        Page { offset: 0, limit }
    }

    fn bounds(self) -> (i64, i64) {
        (i64::from(self.limit.min(MAX_PAGE)), i64::from(self.offset))
    }
}

impl Default for Page {
    fn default() -> Self {
        Page {
            offset: 0,
            limit: 100,
        }
    }
}

/// What a log auditor asks for (one of).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditQuery {
    /// The accesses to one patient's information (by the auditor's care giver's users).
    Patient(String),
    /// One user's accesses (as a user of the auditor's care giver).
    User(String),
    /// Every access by the users of one care giver: the auditor's own.
    CareGiver(String),
}

/// The care giver whose users' entries `auditor` may read.
fn audited_care_giver(auditor: &Actor) -> Result<&str, LogError> {
    let a = &auditor.assignment;
    if a.purpose == PURPOSE_LOG_FOLLOW_UP && !a.care_giver_hsa_id.trim().is_empty() {
        Ok(a.care_giver_hsa_id.as_str())
    } else {
        Err(LogError::NotAuditor)
    }
}

/// A read of the access log, to be recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLogRead {
    /// The system the read came through.
    pub system_hsa_id: String,
    pub purpose: String,
    /// The user, in their assignment; `None` for the citizen channel.
    pub user: Option<Actor>,
    /// `patient`, `user`, `care_giver`, `follow_up` or `patient_extract`.
    pub query_kind: &'static str,
    /// The value asked for (a patient id, an HSA-id, a window) and the page.
    pub query_value: String,
}

impl NewLogRead {
    fn by_auditor(
        auditor: &Actor,
        system_hsa_id: &str,
        query_kind: &'static str,
        query_value: String,
    ) -> NewLogRead {
        NewLogRead {
            system_hsa_id: system_hsa_id.into(),
            purpose: PURPOSE_LOG_FOLLOW_UP.into(),
            user: Some(auditor.clone()),
            query_kind,
            query_value,
        }
    }
}

/// A recorded read of the access log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct LogRead {
    pub id: String,
    pub time: String,
    pub system_hsa_id: String,
    pub purpose: String,
    pub user_hsa_id: Option<String>,
    pub user_assignment_hsa_id: Option<String>,
    pub user_care_giver_hsa_id: Option<String>,
    pub query_kind: String,
    pub query_value: String,
}

const READ_COLUMNS: &str = "id, time, system_hsa_id, purpose, user_hsa_id, \
     user_assignment_hsa_id, user_care_giver_hsa_id, query_kind, query_value";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogConfig {
    /// Most entries written in one transaction (one request larger than this is written alone).
    pub max_batch: usize,
    /// Days an entry is kept; at least [`MIN_RETENTION_DAYS`].
    pub retention_days: u32,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            max_batch: 2000,
            retention_days: MIN_RETENTION_DAYS,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    /// Nothing was written; nothing may be shown.
    #[error("the access log could not be written")]
    Write,
    #[error("the access log could not be read")]
    Read,
    /// The writer is not running (shut down, or never started outside a Tokio runtime).
    #[error("the access log is not running")]
    Unavailable,
    #[error("an access log entry lacks {0}")]
    Missing(&'static str),
    #[error("{0} must be YYYYMMDDhhmmss or YYYYMMDD")]
    Time(&'static str),
    #[error("the access log holds an entry this version cannot read")]
    Corrupt,
    /// The user's assignment does not make them a log auditor.
    #[error("the assignment gives no right to read the access log")]
    NotAuditor,
    /// A log auditor asked for another care giver's entries.
    #[error("a log auditor reads only the entries of their own care giver")]
    OtherCareGiver,
}

fn read_error(e: sqlx::Error) -> LogError {
    match e {
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => LogError::Corrupt,
        e => {
            tracing::error!(error = %e, "access log query failed");
            LogError::Read
        }
    }
}

struct Request {
    entries: Vec<NewEntry>,
    reply: oneshot::Sender<Result<Vec<Entry>, LogError>>,
}

/// The access log. Cheap to clone; every clone feeds the same writer, which stops when the last
/// clone is dropped (after writing what is queued).
#[derive(Clone, Debug)]
pub struct AccessLog {
    tx: mpsc::Sender<Request>,
    db: Db,
    retention_days: u32,
}

const COLUMNS: &str = "id, time, system_hsa_id, activity, purpose, user_hsa_id, user_name, \
     user_assignment_hsa_id, user_assignment_name, user_care_unit_hsa_id, user_care_unit_name, \
     user_care_giver_hsa_id, user_care_giver_name, information_type, patient_id, \
     resource_care_giver_hsa_id, resource_care_unit_hsa_id, record_ids";
const NCOLUMNS: usize = 18;

const PATIENT_VIEW_COLUMNS: &str = "id, time, activity, purpose, information_type, \
     user_care_unit_hsa_id AS care_unit_hsa_id, user_care_unit_name AS care_unit_name, \
     user_care_giver_hsa_id AS care_giver_hsa_id, user_care_giver_name AS care_giver_name";

impl AccessLog {
    /// Starts the writer task on the current Tokio runtime. Outside a runtime nothing is
    /// started and every append fails (closed).
    pub fn start(db: Db, cfg: LogConfig) -> AccessLog {
        let (tx, rx) = mpsc::channel(QUEUE);
        let retention_days = if cfg.retention_days < MIN_RETENTION_DAYS {
            tracing::warn!(
                configured = cfg.retention_days,
                kept = MIN_RETENTION_DAYS,
                "access log retention raised to the legal minimum"
            );
            MIN_RETENTION_DAYS
        } else {
            cfg.retention_days
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(writer(db.clone(), rx, cfg.max_batch.max(1)));
            }
            Err(_) => tracing::error!("access log started outside a Tokio runtime: not running"),
        }
        AccessLog {
            tx,
            db,
            retention_days,
        }
    }

    /// Appends entries and returns them, with log ids and time, once they are committed. An
    /// error means nothing of them was written: show nothing.
    pub async fn append(&self, entries: Vec<NewEntry>) -> Result<Vec<Entry>, LogError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        for e in &entries {
            check(e)?;
        }
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request { entries, reply })
            .await
            .map_err(|_| LogError::Unavailable)?;
        answer.await.map_err(|_| LogError::Unavailable)?
    }

    /// The patient's entries, newest first.
    pub async fn by_patient(&self, patient_id: &str, page: Page) -> Result<Vec<Entry>, LogError> {
        self.entries_where("patient_id", patient_id, page).await
    }

    /// The user's entries (their person HSA-id), newest first.
    pub async fn by_user(&self, user_hsa_id: &str, page: Page) -> Result<Vec<Entry>, LogError> {
        self.entries_where("user_hsa_id", user_hsa_id, page).await
    }

    /// Entries of users acting for the care giver, newest first.
    pub async fn by_care_giver(
        &self,
        care_giver_hsa_id: &str,
        page: Page,
    ) -> Result<Vec<Entry>, LogError> {
        self.entries_where("user_care_giver_hsa_id", care_giver_hsa_id, page)
            .await
    }

    async fn entries_where(
        &self,
        column: &'static str,
        value: &str,
        page: Page,
    ) -> Result<Vec<Entry>, LogError> {
        let (limit, offset) = page.bounds();
        if limit == 0 {
            return Ok(Vec::new());
        }
        sqlx::query_as::<_, Entry>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sec_access_log WHERE {column} = $1 \
             ORDER BY id DESC LIMIT $2 OFFSET $3"
        )))
        .bind(value)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.db.pool)
        .await
        .map_err(read_error)
    }

    /// What the patient may see of the accesses to their records, newest first: when, from
    /// which care unit and care giver, why, and what kind of information; not the user.
    pub async fn patient_view(
        &self,
        patient_id: &str,
        page: Page,
    ) -> Result<Vec<PatientViewEntry>, LogError> {
        let (limit, offset) = page.bounds();
        if limit == 0 {
            return Ok(Vec::new());
        }
        sqlx::query_as::<_, PatientViewEntry>(sqlx::AssertSqlSafe(format!(
            "SELECT {PATIENT_VIEW_COLUMNS} FROM sec_access_log WHERE patient_id = $1 \
             ORDER BY id DESC LIMIT $2 OFFSET $3"
        )))
        .bind(patient_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.db.pool)
        .await
        .map_err(read_error)
    }

    /// The patient's view (as [`AccessLog::patient_view`]) of the accesses in `[from, to]`
    /// (`YYYYMMDDhhmmss` Swedish local time, or `YYYYMMDD` for the whole day; both inclusive),
    /// newest first, at most `limit` entries. Not capped by [`MAX_PAGE`]: this is for a whole
    /// report (the patient's log extract); ask for one more than you will show to learn whether
    /// there were more.
    pub async fn patient_view_between(
        &self,
        patient_id: &str,
        from: &str,
        to: &str,
        limit: usize,
    ) -> Result<Vec<PatientViewEntry>, LogError> {
        let from = window_bound(from, "000000").ok_or(LogError::Time("from"))?;
        let to = window_bound(to, "235959").ok_or(LogError::Time("to"))?;
        if limit == 0 || from > to {
            return Ok(Vec::new());
        }
        sqlx::query_as::<_, PatientViewEntry>(sqlx::AssertSqlSafe(format!(
            "SELECT {PATIENT_VIEW_COLUMNS} FROM sec_access_log WHERE patient_id = $1 \
             AND time >= $2 AND time <= $3 ORDER BY id DESC LIMIT $4"
        )))
        .bind(patient_id)
        .bind(&from)
        .bind(&to)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.db.pool)
        .await
        .map_err(read_error)
    }

    /// The follow-up of `[from, to]` (`YYYYMMDDhhmmss`, or `YYYYMMDD` for the whole day):
    /// emergency accesses, accesses to other care givers' information, and users who opened
    /// more than `threshold` distinct patients. The whole log: for a log auditor, use
    /// [`AccessLog::audit_follow_up`].
    pub async fn follow_up(
        &self,
        from: &str,
        to: &str,
        threshold: usize,
    ) -> Result<FollowUpReport, LogError> {
        self.follow_up_of(from, to, threshold, None).await
    }

    /// The follow-up, of one care giver's users (`Some`) or of everyone.
    async fn follow_up_of(
        &self,
        from: &str,
        to: &str,
        threshold: usize,
        care_giver: Option<&str>,
    ) -> Result<FollowUpReport, LogError> {
        let from = window_bound(from, "000000").ok_or(LogError::Time("from"))?;
        let to = window_bound(to, "235959").ok_or(LogError::Time("to"))?;
        // Every query binds $1 from, $2 to, $3 the care giver ('' for everyone's users).
        let of_giver = "AND ($3 = '' OR user_care_giver_hsa_id = $3)";
        let giver = care_giver.unwrap_or("");
        let cap = i64::try_from(MAX_REPORT_ROWS + 1).unwrap_or(i64::MAX);
        let mut emergency = sqlx::query_as::<_, Entry>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sec_access_log WHERE time >= $1 AND time <= $2 {of_giver} \
             AND activity IN ($4, $5) ORDER BY id DESC LIMIT $6"
        )))
        .bind(&from)
        .bind(&to)
        .bind(giver)
        .bind(Activity::EMERGENCY[0].as_str())
        .bind(Activity::EMERGENCY[1].as_str())
        .bind(cap)
        .fetch_all(&self.db.pool)
        .await
        .map_err(read_error)?;
        let emergency_truncated = emergency.len() > MAX_REPORT_ROWS;
        emergency.truncate(MAX_REPORT_ROWS);
        let mut coherent = sqlx::query_as::<_, Entry>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sec_access_log WHERE time >= $1 AND time <= $2 {of_giver} \
             AND user_care_giver_hsa_id <> resource_care_giver_hsa_id ORDER BY id DESC LIMIT $4"
        )))
        .bind(&from)
        .bind(&to)
        .bind(giver)
        .bind(cap)
        .fetch_all(&self.db.pool)
        .await
        .map_err(read_error)?;
        let coherent_truncated = coherent.len() > MAX_REPORT_ROWS;
        coherent.truncate(MAX_REPORT_ROWS);
        let heavy_users =
            sqlx::query_as::<_, (String, String, i64, i64)>(sqlx::AssertSqlSafe(format!(
                "SELECT user_hsa_id, MAX(user_name), COUNT(DISTINCT patient_id), COUNT(*) \
                 FROM sec_access_log WHERE time >= $1 AND time <= $2 {of_giver} \
                 GROUP BY user_hsa_id HAVING COUNT(DISTINCT patient_id) > $4 \
                 ORDER BY COUNT(DISTINCT patient_id) DESC, user_hsa_id"
            )))
            .bind(&from)
            .bind(&to)
            .bind(giver)
            .bind(i64::try_from(threshold).unwrap_or(i64::MAX))
            .fetch_all(&self.db.pool)
            .await
            .map_err(read_error)?
            .into_iter()
            .map(|(user_hsa_id, user_name, patients, entries)| HeavyUser {
                user_hsa_id,
                user_name,
                distinct_patients: u64::try_from(patients).unwrap_or(0),
                entries: u64::try_from(entries).unwrap_or(0),
            })
            .collect();
        Ok(FollowUpReport {
            from,
            to,
            threshold,
            emergency,
            emergency_truncated,
            coherent,
            coherent_truncated,
            heavy_users,
        })
    }

    /// A log auditor's query (see [`PURPOSE_LOG_FOLLOW_UP`]): the entries of users of the
    /// auditor's care giver only, newest first. The read is recorded first (who, assignment,
    /// `system_hsa_id`, time, purpose, what was asked); if it cannot be, nothing is returned.
    /// [`LogError::NotAuditor`] for any other assignment; [`LogError::OtherCareGiver`] for
    /// [`AuditQuery::CareGiver`] of another care giver.
    pub async fn audit(
        &self,
        auditor: &Actor,
        system_hsa_id: &str,
        query: &AuditQuery,
        page: Page,
    ) -> Result<Vec<Entry>, LogError> {
        let care_giver = audited_care_giver(auditor)?;
        let (kind, column, value) = match query {
            AuditQuery::Patient(p) => ("patient", "patient_id", p),
            AuditQuery::User(u) => ("user", "user_hsa_id", u),
            AuditQuery::CareGiver(g) => {
                if g != care_giver {
                    return Err(LogError::OtherCareGiver);
                }
                ("care_giver", "user_care_giver_hsa_id", g)
            }
        };
        self.record_read(NewLogRead::by_auditor(
            auditor,
            system_hsa_id,
            kind,
            format!("{value};offset={};limit={}", page.offset, page.limit),
        ))
        .await?;
        let (limit, offset) = page.bounds();
        if limit == 0 {
            return Ok(Vec::new());
        }
        sqlx::query_as::<_, Entry>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sec_access_log WHERE {column} = $1 \
             AND user_care_giver_hsa_id = $2 ORDER BY id DESC LIMIT $3 OFFSET $4"
        )))
        .bind(value.as_str())
        .bind(care_giver)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.db.pool)
        .await
        .map_err(read_error)
    }

    /// A log auditor's follow-up (as [`AccessLog::follow_up`]) of the users of their own care
    /// giver only; recorded first, as [`AccessLog::audit`].
    pub async fn audit_follow_up(
        &self,
        auditor: &Actor,
        system_hsa_id: &str,
        from: &str,
        to: &str,
        threshold: usize,
    ) -> Result<FollowUpReport, LogError> {
        let care_giver = audited_care_giver(auditor)?;
        window_bound(from, "000000").ok_or(LogError::Time("from"))?;
        window_bound(to, "235959").ok_or(LogError::Time("to"))?;
        self.record_read(NewLogRead::by_auditor(
            auditor,
            system_hsa_id,
            "follow_up",
            format!("{from}-{to};threshold={threshold}"),
        ))
        .await?;
        self.follow_up_of(from, to, threshold, Some(care_giver))
            .await
    }

    /// Records one read of the access log, durably, before anything of it is shown.
    pub async fn record_read(&self, read: NewLogRead) -> Result<LogRead, LogError> {
        for (name, v) in [
            ("the system HSA-id", &read.system_hsa_id),
            ("the purpose", &read.purpose),
            ("what was asked", &read.query_value),
        ] {
            if v.trim().is_empty() {
                return Err(LogError::Missing(name));
            }
        }
        let row = LogRead {
            id: uuid::Uuid::now_v7().to_string(),
            time: npo_riv::time::now_timestamp(),
            system_hsa_id: read.system_hsa_id,
            purpose: read.purpose,
            user_hsa_id: read.user.as_ref().map(|a| a.person_hsa_id.clone()),
            user_assignment_hsa_id: read.user.as_ref().map(|a| a.assignment.hsa_id.clone()),
            user_care_giver_hsa_id: read
                .user
                .as_ref()
                .map(|a| a.assignment.care_giver_hsa_id.clone()),
            query_kind: read.query_kind.into(),
            query_value: read.query_value,
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO sec_access_log_reads ({READ_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )))
        .bind(&row.id)
        .bind(&row.time)
        .bind(&row.system_hsa_id)
        .bind(&row.purpose)
        .bind(row.user_hsa_id.as_deref())
        .bind(row.user_assignment_hsa_id.as_deref())
        .bind(row.user_care_giver_hsa_id.as_deref())
        .bind(&row.query_kind)
        .bind(&row.query_value)
        .execute(&self.db.pool)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "a read of the access log could not be recorded: nothing is shown");
            LogError::Write
        })?;
        Ok(row)
    }

    /// The recorded reads of the access log, newest first.
    pub async fn reads(&self, page: Page) -> Result<Vec<LogRead>, LogError> {
        let (limit, offset) = page.bounds();
        sqlx::query_as::<_, LogRead>(sqlx::AssertSqlSafe(format!(
            "SELECT {READ_COLUMNS} FROM sec_access_log_reads ORDER BY id DESC LIMIT $1 OFFSET $2"
        )))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.db.pool)
        .await
        .map_err(read_error)
    }

    /// Deletes the entries older than the retention period; returns how many. The only
    /// deletion there is.
    pub async fn purge_expired(&self) -> Result<u64, LogError> {
        let cutoff = npo_riv::time::timestamp(
            chrono::Utc::now() - chrono::Duration::days(i64::from(self.retention_days)),
        );
        let done = sqlx::query("DELETE FROM sec_access_log WHERE time < $1")
            .bind(&cutoff)
            .execute(&self.db.pool)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "access log purge failed");
                LogError::Write
            })?;
        Ok(done.rows_affected())
    }

    /// Days entries are kept.
    pub fn retention_days(&self) -> u32 {
        self.retention_days
    }
}

/// Every id of an entry must be there; names may be empty.
fn check(e: &NewEntry) -> Result<(), LogError> {
    let a = &e.actor.assignment;
    for (name, v) in [
        ("the system HSA-id", &e.system_hsa_id),
        ("the purpose", &e.purpose),
        ("the user's HSA-id", &e.actor.person_hsa_id),
        ("the assignment's HSA-id", &a.hsa_id),
        ("the user's care unit", &a.care_unit_hsa_id),
        ("the user's care giver", &a.care_giver_hsa_id),
        ("the information type", &e.resource.information_type),
        ("the patient id", &e.resource.patient_id),
        (
            "the information's care giver",
            &e.resource.care_giver_hsa_id,
        ),
        ("the information's care unit", &e.resource.care_unit_hsa_id),
    ] {
        if v.trim().is_empty() {
            return Err(LogError::Missing(name));
        }
    }
    if e.resource.records.is_empty() {
        return Err(LogError::Missing("the records delivered"));
    }
    for r in &e.resource.records {
        if r.source_system_hsa_id.trim().is_empty() || r.document_id.trim().is_empty() {
            return Err(LogError::Missing("a record id"));
        }
    }
    Ok(())
}

/// `YYYYMMDDhhmmss` as is; `YYYYMMDD` completed with `time`.
fn window_bound(s: &str, time: &str) -> Option<String> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match s.len() {
        14 => Some(s.to_owned()),
        8 => Some(format!("{s}{time}")),
        _ => None,
    }
}

/// The writer: takes what is queued, writes it in one transaction, answers every caller.
async fn writer(db: Db, mut rx: mpsc::Receiver<Request>, max_batch: usize) {
    let mut statements = Statements::new(db.backend);
    let mut carry: Option<Request> = None;
    loop {
        let first = match carry.take() {
            Some(r) => r,
            None => match rx.recv().await {
                Some(r) => r,
                None => break,
            },
        };
        let mut size = first.entries.len();
        let mut batch = vec![first];
        while size < max_batch {
            match rx.try_recv() {
                Ok(r) if size + r.entries.len() > max_batch => {
                    carry = Some(r);
                    break;
                }
                Ok(r) => {
                    size += r.entries.len();
                    batch.push(r);
                }
                Err(_) => break,
            }
        }
        let time = npo_riv::time::now_timestamp();
        let done: Vec<(Vec<Entry>, oneshot::Sender<_>)> = batch
            .into_iter()
            .map(|r| {
                let entries = r
                    .entries
                    .into_iter()
                    .map(|e| Entry::new(uuid::Uuid::now_v7().to_string(), time.clone(), e))
                    .collect();
                (entries, r.reply)
            })
            .collect();
        let rows: Vec<&Entry> = done.iter().flat_map(|(e, _)| e.iter()).collect();
        let written = write(&db, &mut statements, &rows).await;
        drop(rows);
        match written {
            Ok(()) => {
                for (entries, reply) in done {
                    // A caller that went away still has its entries logged.
                    let _ = reply.send(Ok(entries));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, callers = done.len(), entries = size, "access log write failed");
                for (_, reply) in done {
                    let _ = reply.send(Err(LogError::Write));
                }
            }
        }
    }
}

/// The INSERT statement for each row count in use.
struct Statements {
    /// SQLite gets anonymous `?` placeholders: it looks a numbered parameter's name up by a
    /// linear scan, which makes binding 8,704 `$n` parameters quadratic (measured: 5x slower).
    positional: bool,
    sql: HashMap<usize, Arc<str>>,
}

impl Statements {
    fn new(backend: Backend) -> Statements {
        Statements {
            positional: backend == Backend::Sqlite,
            sql: HashMap::new(),
        }
    }

    fn insert(&mut self, rows: usize) -> Arc<str> {
        let positional = self.positional;
        self.sql
            .entry(rows)
            .or_insert_with(|| {
                let mut sql = format!("INSERT INTO sec_access_log ({COLUMNS}) VALUES ");
                for r in 0..rows {
                    sql.push_str(if r == 0 { "(" } else { ", (" });
                    for c in 0..NCOLUMNS {
                        if c > 0 {
                            sql.push_str(", ");
                        }
                        if positional {
                            sql.push('?');
                        } else {
                            sql.push('$');
                            sql.push_str(&(r * NCOLUMNS + c + 1).to_string());
                        }
                    }
                    sql.push(')');
                }
                sql.into()
            })
            .clone()
    }
}

/// Rows in the next statement: 512, or the largest power of two that fits.
fn chunk(left: usize) -> usize {
    if left >= MAX_ROWS_PER_STATEMENT {
        MAX_ROWS_PER_STATEMENT
    } else {
        1 << left.ilog2()
    }
}

/// Batches up to this many rows are written as one statement of exactly their size: a single
/// INSERT is atomic by itself, so no BEGIN/COMMIT round trips are needed (one overview of ~50
/// records is one round trip and one commit). The statements for these sizes stay small enough
/// to keep all of them.
const SINGLE_STATEMENT_ROWS: usize = 64;

async fn write(db: &Db, statements: &mut Statements, rows: &[&Entry]) -> Result<(), sqlx::Error> {
    if rows.len() <= SINGLE_STATEMENT_ROWS {
        insert(statements, rows).execute(&db.pool).await?;
        return Ok(());
    }
    let mut tx = db.pool.begin().await?;
    let mut rest = rows;
    while !rest.is_empty() {
        let (head, tail) = rest.split_at(chunk(rest.len()));
        insert(statements, head).execute(&mut *tx).await?;
        rest = tail;
    }
    tx.commit().await
}

/// One multi-row INSERT of `rows`.
fn insert<'q>(
    statements: &mut Statements,
    rows: &[&'q Entry],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(statements.insert(rows.len())));
    {
        for e in rows {
            q = q
                .bind(e.id.as_str())
                .bind(e.time.as_str())
                .bind(e.system_hsa_id.as_str())
                .bind(e.activity.as_str())
                .bind(e.purpose.as_str())
                .bind(e.user_hsa_id.as_str())
                .bind(e.user_name.as_str())
                .bind(e.user_assignment_hsa_id.as_str())
                .bind(e.user_assignment_name.as_str())
                .bind(e.user_care_unit_hsa_id.as_str())
                .bind(e.user_care_unit_name.as_str())
                .bind(e.user_care_giver_hsa_id.as_str())
                .bind(e.user_care_giver_name.as_str())
                .bind(e.information_type.as_str())
                .bind(e.patient_id.as_str())
                .bind(e.resource_care_giver_hsa_id.as_str())
                .bind(e.resource_care_unit_hsa_id.as_str())
                .bind(e.records.to_json());
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activities_round_trip() {
        for a in Activity::ALL {
            assert_eq!(Activity::parse(a.as_str()), Some(a));
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                format!("\"{}\"", a.as_str())
            );
        }
        assert_eq!(Activity::Read.as_str(), "Läsa");
        assert_eq!(Activity::Emergency.as_str(), "Nödöppning");
        assert_eq!(Activity::parse("läsa"), None);
    }

    #[test]
    fn statements_are_few_and_numbered() {
        let mut left = 2000;
        let mut sizes = vec![];
        while left > 0 {
            let n = chunk(left);
            sizes.push(n);
            left -= n;
        }
        assert_eq!(sizes, vec![512, 512, 512, 256, 128, 64, 16]);
        assert_eq!(chunk(1), 1);
        assert_eq!(chunk(3), 2);
        let mut s = Statements::new(Backend::Postgres);
        let sql = s.insert(2);
        assert!(sql.ends_with("($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18), ($19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36)"));
        assert!(Arc::ptr_eq(&sql, &s.insert(2)));
        let mut s = Statements::new(Backend::Sqlite);
        assert!(
            s.insert(2)
                .ends_with("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        );
    }

    #[test]
    fn windows_and_pages() {
        assert_eq!(
            window_bound("20240101", "235959").as_deref(),
            Some("20240101235959")
        );
        assert_eq!(
            window_bound("20240101120000", "000000").as_deref(),
            Some("20240101120000")
        );
        assert_eq!(window_bound("2024-01-01", "000000"), None);
        assert_eq!(window_bound("2024010112", "000000"), None);
        assert_eq!(Page::new(10, 10_000).bounds(), (500, 10));
        assert_eq!(Page::first(3).bounds(), (3, 0));
    }

    #[test]
    fn errors_carry_no_personal_data() {
        for e in [
            LogError::Write,
            LogError::Read,
            LogError::Unavailable,
            LogError::Missing("the patient id"),
            LogError::Time("from"),
            LogError::Corrupt,
            LogError::NotAuditor,
            LogError::OtherCareGiver,
        ] {
            let s = e.to_string();
            assert!(!s.chars().any(|c| c.is_ascii_digit()), "{s}");
        }
    }
}
