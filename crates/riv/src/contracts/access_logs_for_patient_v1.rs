//! GetAccessLogsForPatient 1.0 (`urn:riv:ehr:log:querying:GetAccessLogsForPatientResponder:1`,
//! service domain `riv:ehr:log:querying`): which care givers and care units accessed a patient's
//! information in a date interval, with the time, the purpose and the kind of information. It
//! lets a citizen (through a consumer system such as 1177) see the access log (PDL 8 kap. 1 §).
//!
//! This is not a [`Contract`](crate::Contract) of an information type: it has its own request
//! and response types and no items, headers or categorization.
//!
//! The wire format, as the schemas say (they win over the interaction's prose):
//! - The request (`GetAccessLogsForPatientRequest`, responder namespace): `PatientId` (at most
//!   12 characters), `FromDate` and `ToDate` (`xs:dateTime`) and an optional `QueuedReportId` (at
//!   most 36 characters) for fetching a report the producer queued earlier.
//! - The response (`GetAccessLogsForPatientResponse`, responder namespace): zero or more
//!   `AccessLogsResultType` elements (note: the element is named after its type). Everything
//!   inside them is in the querying core namespace [`QUERYING_NS`]: `Result` (`ResultCode`,
//!   `ResultText`, optional `StartInterval`, `EndInterval`, `QueuedReportId`, `QueueTime`) and,
//!   when the result is not an error, `AccesssLogs` — **spelled with three s** in the schema —
//!   holding zero or more `AccessLog` (`CareProviderId`, `CareProviderName`, `CareUnitId`,
//!   `CareUnitName`, `AccessDate`, `Purpose`, `ResourceType`, all required).
//! - Result codes are the schema's `ResultCodeType`, with underscores: `OK`, `INFO`, `ERROR`,
//!   `VALIDATION_ERROR`, `ACCESSDENIED`, `REPORT_ON_QUEUE`, `REPORT_IN_PROCESS`,
//!   `REPORT_NOT_FOUND`, `MAX_QUERY_RESULT_EXCEEDED` (the prose writes `REPORTONQUEUE` etc.).
//! - The access log entry has no activity (Läsa, Nödöppning, …) and no user: the schema only
//!   tells the citizen *where* (care giver, care unit), *when*, *why* (purpose, free text of at
//!   most 256 characters) and *what* (resource type, at most 50 characters).
//!
//! Parsing is strict where the schema is: a wrong root element, a missing required element, a
//! value outside an enumeration, a malformed `xs:dateTime` or `xs:int`, or a string longer than
//! its type's `maxLength` is a [`ContractError`] (never a panic). Required `xs:string` elements
//! may be empty, as the schema allows (`ResultText`, names, and the ids too: an empty
//! `PatientId` is schema-valid, so it is left to the service to answer `VALIDATION_ERROR`).
//! Elements of other namespaces (the schema's `xs:any ##other` extension points) are ignored.
//! The correctly spelled `AccessLogs` (two s) is refused rather than silently dropped.
//!
//! Writing always produces a schema-valid document: strings of a restricted type longer than
//! its `maxLength` are cut to it (ids in practice never are).

use crate::common::ContractError;
use crate::contract::ItemView;
use crate::xml::{Element, XmlWriter};
use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc,
};
use chrono_tz::Europe::Stockholm;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Interaction name.
pub const NAME: &str = "GetAccessLogsForPatient";
/// Contract version.
pub const VERSION: &str = "1.0";
/// Service domain.
pub const SERVICE_DOMAIN: &str = "riv:ehr:log:querying";
/// Responder namespace (the routing key): request and response root elements and their direct
/// children.
pub const NAMESPACE: &str = "urn:riv:ehr:log:querying:GetAccessLogsForPatientResponder:1";
/// The querying core namespace: `Result`, `AccesssLogs`, `AccessLog` and their children.
pub const QUERYING_NS: &str = "urn:riv:ehr:log:querying:1";
/// The log core namespace: declares only simple types (ids, names, result codes) used here, no
/// elements of this contract.
pub const LOG_NS: &str = "urn:riv:ehr:log:1";
/// The WSDL's SOAP action.
pub const SOAP_ACTION: &str =
    "urn:riv:ehr:log:querying:GetAccessLogsForPatientResponder:1:GetAccessLogsForPatient";
/// Request root element.
pub const REQUEST_ELEMENT: &str = "GetAccessLogsForPatientRequest";
/// Response root element.
pub const RESPONSE_ELEMENT: &str = "GetAccessLogsForPatientResponse";
/// The number of entries the interaction description says a producer returns at most (by
/// default; configurable) before answering `MAX_QUERY_RESULT_EXCEEDED`.
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;

/// `maxLength` of `log:PersonId`.
pub const MAX_PERSON_ID: usize = 12;
/// `maxLength` of `log:Id` (a UUID).
pub const MAX_ID: usize = 36;
/// `maxLength` of `log:HsaId`.
pub const MAX_HSA_ID: usize = 32;
/// `maxLength` of `log:PurposeDescription`.
pub const MAX_PURPOSE: usize = 256;
/// `maxLength` of `log:ResourceTypeValue`.
pub const MAX_RESOURCE_TYPE: usize = 50;

type Result<T> = std::result::Result<T, ContractError>;

// ---------------------------------------------------------------------------------------------
// xs:dateTime
// ---------------------------------------------------------------------------------------------

/// An `xs:dateTime`: a local date and time with an optional UTC offset, years 1–9999, up to
/// nanosecond precision (further fraction digits are dropped when parsing).
///
/// Equality is of the written form's value (local time and offset), not of the instant: compare
/// instants with [`XsDateTime::to_utc`]. A value without an offset is, as everywhere in npo,
/// Swedish local time (Europe/Stockholm). Serialised (serde) as its lexical form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct XsDateTime {
    local: NaiveDateTime,
    offset: Option<FixedOffset>,
}

/// Why a text is not an `xs:dateTime` npo accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an xs:dateTime (YYYY-MM-DDThh:mm:ss[.s][Z|±hh:mm], years 1-9999)")]
pub struct DateTimeError;

/// The largest offset `xs:dateTime` allows (14:00), in seconds.
const MAX_OFFSET_SECS: i32 = 14 * 3600;

impl XsDateTime {
    /// A local date and time with an optional offset; `None` for years outside 1–9999, a leap
    /// second, or an offset beyond ±14:00 or not in whole minutes.
    pub fn new(local: NaiveDateTime, offset: Option<FixedOffset>) -> Option<XsDateTime> {
        let year_ok = (1..=9999).contains(&local.year());
        let offset_ok = offset.is_none_or(|o| {
            o.local_minus_utc().abs() <= MAX_OFFSET_SECS && o.local_minus_utc() % 60 == 0
        });
        (year_ok && offset_ok && local.nanosecond() < 1_000_000_000)
            .then_some(XsDateTime { local, offset })
    }

    /// The instant in UTC, written with `Z`.
    pub fn utc(t: DateTime<Utc>) -> XsDateTime {
        let local = t.naive_utc();
        XsDateTime {
            // A leap second (nanoseconds ≥ 10^9) becomes the last nanosecond before it.
            local: local
                .with_nanosecond(local.nanosecond().min(999_999_999))
                .unwrap_or(local),
            offset: Some(Utc.fix()),
        }
    }

    /// The instant in Swedish local time with its offset (`+01:00` or `+02:00`). Before 1900,
    /// when Sweden's offset was not whole minutes, and outside years 1–9999: in UTC.
    pub fn stockholm(t: DateTime<Utc>) -> XsDateTime {
        let s = t.with_timezone(&Stockholm);
        let local = s.naive_local();
        let local = local
            .with_nanosecond(local.nanosecond().min(999_999_999))
            .unwrap_or(local);
        XsDateTime::new(local, Some(s.offset().fix())).unwrap_or_else(|| XsDateTime::utc(t))
    }

    /// A RIV timestamp `YYYYMMDDhhmmss` in Swedish local time (as the access log stores it;
    /// years 1900–2099 as the RIV pattern says), written with its offset. In the hour repeated when summer time ends the earlier instant
    /// is taken; a time in the hour skipped when it starts is read as standard time (+01:00).
    pub fn from_stockholm_timestamp(ts: &str) -> Option<XsDateTime> {
        if !crate::time::is_real_timestamp(ts) {
            return None;
        }
        let local = NaiveDateTime::parse_from_str(ts, "%Y%m%d%H%M%S").ok()?;
        let offset = match Stockholm.from_local_datetime(&local).earliest() {
            Some(t) => t.offset().fix(),
            None => FixedOffset::east_opt(3600)?,
        };
        // Before 1900 Sweden's offset was not whole minutes: written without an offset, which
        // means Swedish local time all the same.
        XsDateTime::new(local, Some(offset)).or_else(|| XsDateTime::new(local, None))
    }

    /// Parses the lexical form (surrounding whitespace allowed, as `xs:dateTime` collapses it).
    pub fn parse(s: &str) -> std::result::Result<XsDateTime, DateTimeError> {
        parse_date_time(s.trim()).ok_or(DateTimeError)
    }

    /// The local date and time as written.
    pub fn local(&self) -> NaiveDateTime {
        self.local
    }

    /// The offset, if one is written.
    pub fn offset(&self) -> Option<FixedOffset> {
        self.offset
    }

    /// The instant. Without an offset the time is Swedish local time (in the repeated autumn
    /// hour the earlier instant; in the skipped spring hour standard time).
    pub fn to_utc(&self) -> DateTime<Utc> {
        let offset = match self.offset {
            Some(o) => o,
            None => match Stockholm.from_local_datetime(&self.local).earliest() {
                Some(t) => t.offset().fix(),
                None => FixedOffset::east_opt(3600).unwrap_or(Utc.fix()),
            },
        };
        // Cannot overflow for years 1–9999 and offsets within ±14:00.
        let utc = self
            .local
            .checked_sub_signed(Duration::seconds(offset.local_minus_utc().into()))
            .unwrap_or(self.local);
        Utc.from_utc_datetime(&utc)
    }

    /// The instant as a RIV timestamp `YYYYMMDDhhmmss` in Swedish local time (fractions of a
    /// second dropped): what the access log's times compare with.
    pub fn stockholm_timestamp(&self) -> String {
        crate::time::timestamp(self.to_utc())
    }
}

impl fmt::Display for XsDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.local;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            l.year(),
            l.month(),
            l.day(),
            l.hour(),
            l.minute(),
            l.second()
        )?;
        let nanos = l.nanosecond();
        if nanos > 0 {
            let digits = format!("{nanos:09}");
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        match self.offset {
            None => Ok(()),
            Some(o) if o.local_minus_utc() == 0 => f.write_str("Z"),
            Some(o) => {
                let secs = o.local_minus_utc();
                let sign = if secs < 0 { '-' } else { '+' };
                let mins = secs.abs() / 60;
                write!(f, "{sign}{:02}:{:02}", mins / 60, mins % 60)
            }
        }
    }
}

impl std::str::FromStr for XsDateTime {
    type Err = DateTimeError;
    fn from_str(s: &str) -> std::result::Result<Self, DateTimeError> {
        XsDateTime::parse(s)
    }
}

impl From<XsDateTime> for String {
    fn from(t: XsDateTime) -> String {
        t.to_string()
    }
}

impl TryFrom<String> for XsDateTime {
    type Error = DateTimeError;
    fn try_from(s: String) -> std::result::Result<Self, DateTimeError> {
        XsDateTime::parse(&s)
    }
}

/// `n` ASCII digits at the start of `s` as a number, and the rest.
fn digits(s: &str, n: usize) -> Option<(u32, &str)> {
    let head = s.get(..n)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((head.parse().ok()?, &s[n..]))
}

fn parse_date_time(s: &str) -> Option<XsDateTime> {
    // Date: exactly four year digits (years 1–9999; xs:dateTime's longer and negative years are
    // not accepted).
    let (year, rest) = digits(s, 4)?;
    let rest = rest.strip_prefix('-')?;
    let (month, rest) = digits(rest, 2)?;
    let rest = rest.strip_prefix('-')?;
    let (day, rest) = digits(rest, 2)?;
    let rest = rest.strip_prefix('T')?;
    let (hour, rest) = digits(rest, 2)?;
    let rest = rest.strip_prefix(':')?;
    let (minute, rest) = digits(rest, 2)?;
    let rest = rest.strip_prefix(':')?;
    let (second, mut rest) = digits(rest, 2)?;
    let mut nanos = 0u32;
    let mut fraction_zero = true;
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        let frac = &r[..n];
        fraction_zero = frac.bytes().all(|b| b == b'0');
        let kept = &frac[..n.min(9)];
        nanos = kept.parse::<u32>().ok()? * 10u32.pow(9 - u32::try_from(kept.len()).ok()?);
        rest = &r[n..];
    }
    let offset = match rest {
        "" => None,
        "Z" => Some(FixedOffset::east_opt(0)?),
        tz => {
            let sign: i32 = match tz.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (oh, r) = digits(&tz[1..], 2)?;
            let r = r.strip_prefix(':')?;
            let (om, r) = digits(r, 2)?;
            if !r.is_empty() || om > 59 || oh > 14 || (oh == 14 && om > 0) {
                return None;
            }
            let secs = i32::try_from(oh * 3600 + om * 60).ok()?;
            Some(FixedOffset::east_opt(sign * secs)?)
        }
    };
    if year == 0 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let local = if hour == 24 {
        // 24:00:00 is the first moment of the next day.
        if minute != 0 || second != 0 || !fraction_zero {
            return None;
        }
        date.succ_opt()?.and_time(NaiveTime::MIN)
    } else {
        date.and_time(NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?)
    };
    XsDateTime::new(local, offset)
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// The trimmed text of a required child that may be empty (a required `xs:string`).
fn req_text<'a>(el: &'a Element, ns: &str, name: &'static str) -> Result<&'a str> {
    el.child_text(ns, name).ok_or(ContractError::Missing(name))
}

/// Like [`req_text`], at most `max` characters (the type's `maxLength`).
fn req_bounded<'a>(el: &'a Element, ns: &str, name: &'static str, max: usize) -> Result<&'a str> {
    let t = req_text(el, ns, name)?;
    check_len(t, name, max)
}

fn check_len<'a>(t: &'a str, name: &'static str, max: usize) -> Result<&'a str> {
    if t.chars().count() > max {
        Err(ContractError::Invalid(
            name,
            "longer than the schema allows",
        ))
    } else {
        Ok(t)
    }
}

/// An optional child's trimmed text (an empty element counts as absent), at most `max`
/// characters.
fn opt_bounded(el: &Element, ns: &str, name: &'static str, max: usize) -> Result<Option<String>> {
    match el.child_text(ns, name).filter(|t| !t.is_empty()) {
        Some(t) => check_len(t, name, max).map(|t| Some(t.to_owned())),
        None => Ok(None),
    }
}

fn date_time(text: &str, name: &'static str) -> Result<XsDateTime> {
    XsDateTime::parse(text).map_err(|_| ContractError::Invalid(name, "not an xs:dateTime"))
}

fn req_date_time(el: &Element, ns: &str, name: &'static str) -> Result<XsDateTime> {
    match el.child_text(ns, name) {
        Some(t) => date_time(t, name),
        None => Err(ContractError::Missing(name)),
    }
}

fn opt_date_time(el: &Element, ns: &str, name: &'static str) -> Result<Option<XsDateTime>> {
    el.child_text(ns, name)
        .map(|t| date_time(t, name))
        .transpose()
}

/// `s` cut to at most `max` characters.
fn clamp(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

// ---------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------

/// `GetAccessLogsForPatientRequestType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetAccessLogsForPatientRequest {
    /// Personnummer, samordningsnummer or reservnummer, 12 characters without separator (the
    /// schema only limits the length; see [`crate::ids::is_valid_personal_identity`]).
    pub patient_id: String,
    /// Start of the interval (inclusive).
    pub from_date: XsDateTime,
    /// End of the interval (inclusive).
    pub to_date: XsDateTime,
    /// The id of a report the producer queued earlier (`REPORT_ON_QUEUE`/`REPORT_IN_PROCESS`),
    /// to fetch it instead of creating a new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_report_id: Option<String>,
}

impl GetAccessLogsForPatientRequest {
    pub fn new(
        patient_id: impl Into<String>,
        from_date: XsDateTime,
        to_date: XsDateTime,
    ) -> GetAccessLogsForPatientRequest {
        GetAccessLogsForPatientRequest {
            patient_id: patient_id.into(),
            from_date,
            to_date,
            queued_report_id: None,
        }
    }

    /// Reads the request body element. It does not check that `FromDate` is before `ToDate` or
    /// that the patient id is a valid identity: those are the service's `VALIDATION_ERROR`s.
    pub fn parse(body: &Element) -> Result<GetAccessLogsForPatientRequest> {
        if !body.is(NAMESPACE, REQUEST_ELEMENT) {
            return Err(ContractError::UnexpectedElement(REQUEST_ELEMENT));
        }
        let ns = NAMESPACE;
        Ok(GetAccessLogsForPatientRequest {
            patient_id: req_bounded(body, ns, "PatientId", MAX_PERSON_ID)?.to_owned(),
            from_date: req_date_time(body, ns, "FromDate")?,
            to_date: req_date_time(body, ns, "ToDate")?,
            queued_report_id: opt_bounded(body, ns, "QueuedReportId", MAX_ID)?,
        })
    }

    /// The request body element, declaring its namespace.
    pub fn write(&self) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns("tns:GetAccessLogsForPatientRequest", &[("tns", NAMESPACE)])
            .text("tns:PatientId", clamp(&self.patient_id, MAX_PERSON_ID))
            .text("tns:FromDate", &self.from_date.to_string())
            .text("tns:ToDate", &self.to_date.to_string())
            .opt_text(
                "tns:QueuedReportId",
                self.queued_report_id.as_deref().map(|s| clamp(s, MAX_ID)),
            )
            .close("tns:GetAccessLogsForPatientRequest");
        w.finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Response
// ---------------------------------------------------------------------------------------------

/// `log:ResultCodeType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LogResultCode {
    /// Done as asked.
    #[serde(rename = "OK")]
    Ok,
    /// Done, with a message the consumer must show.
    #[serde(rename = "INFO")]
    Info,
    /// Not done because of a logical error; the message must be shown.
    #[serde(rename = "ERROR")]
    Error,
    /// One or more parameters are wrong; not done.
    #[serde(rename = "VALIDATION_ERROR")]
    ValidationError,
    /// The caller may not use the service; not done.
    #[serde(rename = "ACCESSDENIED")]
    AccessDenied,
    /// The report is queued; ask again with `QueuedReportId`.
    #[serde(rename = "REPORT_ON_QUEUE")]
    ReportOnQueue,
    /// The report is being built; ask again with `QueuedReportId`.
    #[serde(rename = "REPORT_IN_PROCESS")]
    ReportInProcess,
    /// No report with the given `QueuedReportId`; no new report was created.
    #[serde(rename = "REPORT_NOT_FOUND")]
    ReportNotFound,
    /// More entries than the producer returns; narrow the interval.
    #[serde(rename = "MAX_QUERY_RESULT_EXCEEDED")]
    MaxQueryResultExceeded,
}

impl LogResultCode {
    pub const ALL: [LogResultCode; 9] = [
        LogResultCode::Ok,
        LogResultCode::Info,
        LogResultCode::Error,
        LogResultCode::ValidationError,
        LogResultCode::AccessDenied,
        LogResultCode::ReportOnQueue,
        LogResultCode::ReportInProcess,
        LogResultCode::ReportNotFound,
        LogResultCode::MaxQueryResultExceeded,
    ];

    /// The schema's value.
    pub fn as_str(self) -> &'static str {
        match self {
            LogResultCode::Ok => "OK",
            LogResultCode::Info => "INFO",
            LogResultCode::Error => "ERROR",
            LogResultCode::ValidationError => "VALIDATION_ERROR",
            LogResultCode::AccessDenied => "ACCESSDENIED",
            LogResultCode::ReportOnQueue => "REPORT_ON_QUEUE",
            LogResultCode::ReportInProcess => "REPORT_IN_PROCESS",
            LogResultCode::ReportNotFound => "REPORT_NOT_FOUND",
            LogResultCode::MaxQueryResultExceeded => "MAX_QUERY_RESULT_EXCEEDED",
        }
    }

    pub fn parse(s: &str) -> Result<LogResultCode> {
        LogResultCode::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(ContractError::Invalid(
                "ResultCode",
                "not a value of ResultCodeType",
            ))
    }

    /// Whether the service did what was asked (`OK`, `INFO`); every other code means it did not
    /// (the schema: "Alla svarskoder förutom OK och INFO betyder att åtgärden inte genomfördes").
    pub fn is_success(self) -> bool {
        matches!(self, LogResultCode::Ok | LogResultCode::Info)
    }

    /// Whether the report is not ready yet and the consumer should ask again with the
    /// `QueuedReportId`.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            LogResultCode::ReportOnQueue | LogResultCode::ReportInProcess
        )
    }

    /// In Swedish, for people.
    pub fn display_sv(self) -> &'static str {
        match self {
            LogResultCode::Ok => "Klart",
            LogResultCode::Info => "Klart, med meddelande",
            LogResultCode::Error => "Fel",
            LogResultCode::ValidationError => "Felaktig fråga",
            LogResultCode::AccessDenied => "Behörighet saknas",
            LogResultCode::ReportOnQueue => "Loggutdraget står i kö",
            LogResultCode::ReportInProcess => "Loggutdraget tas fram",
            LogResultCode::ReportNotFound => "Loggutdraget finns inte",
            LogResultCode::MaxQueryResultExceeded => "För många loggposter",
        }
    }
}

/// `logquerying:ResultType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogResult {
    pub code: LogResultCode,
    /// Required by the schema, may be empty. A message for the citizen with INFO and the error
    /// codes; never personal data.
    pub text: String,
    /// The interval the answer covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<XsDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_interval: Option<XsDateTime>,
    /// With `REPORT_ON_QUEUE`/`REPORT_IN_PROCESS`: the id to ask again with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_report_id: Option<String>,
    /// With `REPORT_ON_QUEUE`/`REPORT_IN_PROCESS`: the expected wait until the report is ready
    /// (the schema gives no unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_time: Option<i32>,
}

impl LogResult {
    pub fn new(code: LogResultCode, text: impl Into<String>) -> LogResult {
        LogResult {
            code,
            text: text.into(),
            start_interval: None,
            end_interval: None,
            queued_report_id: None,
            queue_time: None,
        }
    }

    fn parse(el: &Element) -> Result<LogResult> {
        let ns = QUERYING_NS;
        let queue_time = match el.child_text(ns, "QueueTime") {
            None => None,
            // Rust's integer syntax is xs:int's: optional sign, digits (leading zeros allowed).
            Some(t) => Some(
                t.parse::<i32>()
                    .map_err(|_| ContractError::Invalid("QueueTime", "not an xs:int"))?,
            ),
        };
        Ok(LogResult {
            code: LogResultCode::parse(req_text(el, ns, "ResultCode")?)?,
            text: req_text(el, ns, "ResultText")?.to_owned(),
            start_interval: opt_date_time(el, ns, "StartInterval")?,
            end_interval: opt_date_time(el, ns, "EndInterval")?,
            queued_report_id: opt_bounded(el, ns, "QueuedReportId", MAX_ID)?,
            queue_time,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("lq:Result")
            .text("lq:ResultCode", self.code.as_str())
            .text("lq:ResultText", &self.text)
            .opt_text(
                "lq:StartInterval",
                self.start_interval.map(|t| t.to_string()).as_deref(),
            )
            .opt_text(
                "lq:EndInterval",
                self.end_interval.map(|t| t.to_string()).as_deref(),
            )
            .opt_text(
                "lq:QueuedReportId",
                self.queued_report_id.as_deref().map(|s| clamp(s, MAX_ID)),
            )
            .opt_text(
                "lq:QueueTime",
                self.queue_time.map(|t| t.to_string()).as_deref(),
            )
            .close("lq:Result");
    }
}

/// `logquerying:AccessLogType`: one access to the patient's information.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLogRecord {
    /// HSA-id of the care giver (vårdgivare) whose staff accessed the information.
    pub care_provider_id: String,
    pub care_provider_name: String,
    /// HSA-id of the care unit (vårdenhet) the user acted for.
    pub care_unit_id: String,
    pub care_unit_name: String,
    pub access_date: XsDateTime,
    /// The purpose, e.g. `Vård och behandling` (free text, at most 256 characters).
    pub purpose: String,
    /// The kind of information, e.g. the PDL information type `dia` (at most 50 characters).
    pub resource_type: String,
}

impl AccessLogRecord {
    fn parse(el: &Element) -> Result<AccessLogRecord> {
        let ns = QUERYING_NS;
        Ok(AccessLogRecord {
            care_provider_id: req_bounded(el, ns, "CareProviderId", MAX_HSA_ID)?.to_owned(),
            care_provider_name: req_text(el, ns, "CareProviderName")?.to_owned(),
            care_unit_id: req_bounded(el, ns, "CareUnitId", MAX_HSA_ID)?.to_owned(),
            care_unit_name: req_text(el, ns, "CareUnitName")?.to_owned(),
            access_date: req_date_time(el, ns, "AccessDate")?,
            purpose: req_bounded(el, ns, "Purpose", MAX_PURPOSE)?.to_owned(),
            resource_type: req_bounded(el, ns, "ResourceType", MAX_RESOURCE_TYPE)?.to_owned(),
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("lq:AccessLog")
            .text(
                "lq:CareProviderId",
                clamp(&self.care_provider_id, MAX_HSA_ID),
            )
            .text("lq:CareProviderName", &self.care_provider_name)
            .text("lq:CareUnitId", clamp(&self.care_unit_id, MAX_HSA_ID))
            .text("lq:CareUnitName", &self.care_unit_name)
            .text("lq:AccessDate", &self.access_date.to_string())
            .text("lq:Purpose", clamp(&self.purpose, MAX_PURPOSE))
            .text(
                "lq:ResourceType",
                clamp(&self.resource_type, MAX_RESOURCE_TYPE),
            )
            .close("lq:AccessLog");
    }

    /// How the access is shown to the citizen, in Swedish. `time` is Swedish local time.
    pub fn view(&self) -> ItemView {
        let name_or_id = |name: &str, id: &str| {
            if name.is_empty() {
                id.to_owned()
            } else {
                name.to_owned()
            }
        };
        let unit = name_or_id(&self.care_unit_name, &self.care_unit_id);
        let giver = name_or_id(&self.care_provider_name, &self.care_provider_id);
        ItemView {
            title: unit.clone(),
            time: self.access_date.stockholm_timestamp(),
            fields: vec![
                ("Vårdgivare", giver),
                ("Vårdenhet", unit),
                ("Syfte", self.purpose.clone()),
                (
                    "Typ av information",
                    resource_type_sv(&self.resource_type)
                        .map_or_else(|| self.resource_type.clone(), str::to_owned),
                ),
            ],
            text: None,
            attention: false,
        }
    }
}

/// The Swedish name of a resource type npo writes (the PDL information type or the EI
/// categorization of the record that was read), for people; `None` for others.
pub fn resource_type_sv(code: &str) -> Option<&'static str> {
    Some(match code {
        "dia" => "Diagnoser",
        "lak" | "caa-gmh" => "Läkemedel",
        "und-bdi-ure" => "Röntgen och bilddiagnostik",
        "und-kkm-ure" => "Provsvar",
        "und-kon-ure" => "Konsultationssvar",
        "und-ekg-ure" => "EKG",
        "upp" => "Uppmärksamhetsinformation",
        "vko" => "Vårdkontakter",
        "voo" => "Journalanteckningar",
        "caa-gvh" => "Vaccinationer",
        "fun-fun" => "Funktionstillstånd",
        "pad-pad" => "Aktivitetsförmåga (ADL)",
        "cll-cp" => "Vårdplaner",
        "chb-o" => "Tillväxt",
        "utr-mtr" => "Mödrahälsovård",
        "req-act" => "Remisser",
        _ => return None,
    })
}

/// `logquerying:AccessLogsResultType`: a result and, unless it is an error, the list of accesses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLogsResult {
    pub result: LogResult,
    /// `None`: no `AccesssLogs` element (errors, queued reports). `Some(vec![])`: an empty list
    /// (no accesses in the interval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_logs: Option<Vec<AccessLogRecord>>,
}

impl AccessLogsResult {
    /// `OK` with the accesses (possibly none) and a result text.
    pub fn ok(text: impl Into<String>, access_logs: Vec<AccessLogRecord>) -> AccessLogsResult {
        AccessLogsResult {
            result: LogResult::new(LogResultCode::Ok, text),
            access_logs: Some(access_logs),
        }
    }

    /// A result without a list (an error, or a report not ready yet).
    pub fn without_logs(code: LogResultCode, text: impl Into<String>) -> AccessLogsResult {
        AccessLogsResult {
            result: LogResult::new(code, text),
            access_logs: None,
        }
    }

    fn parse(el: &Element) -> Result<AccessLogsResult> {
        let ns = QUERYING_NS;
        if el.child(ns, "AccessLogs").is_some() {
            return Err(ContractError::UnexpectedElement("AccesssLogs"));
        }
        let result = LogResult::parse(
            el.child(ns, "Result")
                .ok_or(ContractError::Missing("Result"))?,
        )?;
        let access_logs = el
            .child(ns, "AccesssLogs")
            .map(|logs| {
                logs.children_named(ns, "AccessLog")
                    .map(AccessLogRecord::parse)
                    .collect::<Result<Vec<_>>>()
            })
            .transpose()?;
        Ok(AccessLogsResult {
            result,
            access_logs,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("tns:AccessLogsResultType");
        self.result.write(w);
        if let Some(logs) = &self.access_logs {
            w.open("lq:AccesssLogs");
            for l in logs {
                l.write(w);
            }
            w.close("lq:AccesssLogs");
        }
        w.close("tns:AccessLogsResultType");
    }
}

/// `GetAccessLogsForPatientResponseType`: zero or more results (npo answers with exactly one).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetAccessLogsForPatientResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<AccessLogsResult>,
}

impl GetAccessLogsForPatientResponse {
    /// A response with one result.
    pub fn single(result: AccessLogsResult) -> GetAccessLogsForPatientResponse {
        GetAccessLogsForPatientResponse {
            results: vec![result],
        }
    }

    /// The first result's code, if there is a result.
    pub fn code(&self) -> Option<LogResultCode> {
        self.results.first().map(|r| r.result.code)
    }

    /// Every access of every result.
    pub fn access_logs(&self) -> impl Iterator<Item = &AccessLogRecord> {
        self.results
            .iter()
            .flat_map(|r| r.access_logs.iter().flatten())
    }

    /// Reads the response body element.
    pub fn parse(body: &Element) -> Result<GetAccessLogsForPatientResponse> {
        if !body.is(NAMESPACE, RESPONSE_ELEMENT) {
            return Err(ContractError::UnexpectedElement(RESPONSE_ELEMENT));
        }
        Ok(GetAccessLogsForPatientResponse {
            results: body
                .children_named(NAMESPACE, "AccessLogsResultType")
                .map(AccessLogsResult::parse)
                .collect::<Result<_>>()?,
        })
    }

    /// The response body element, declaring its namespaces.
    pub fn write(&self) -> String {
        let n: usize = self
            .results
            .iter()
            .map(|r| r.access_logs.as_ref().map_or(0, Vec::len))
            .sum();
        let mut w = XmlWriter::with_capacity(512 + n * 512);
        w.open_ns(
            "tns:GetAccessLogsForPatientResponse",
            &[("tns", NAMESPACE), ("lq", QUERYING_NS)],
        );
        for r in &self.results {
            r.write(&mut w);
        }
        w.close("tns:GetAccessLogsForPatientResponse");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> XsDateTime {
        XsDateTime::parse(s).unwrap()
    }

    #[test]
    fn date_times_parse_and_write_back() {
        for s in [
            "2024-01-15T10:30:00",
            "2024-01-15T10:30:00Z",
            "2024-01-15T10:30:00+01:00",
            "2024-07-15T10:30:00-05:30",
            "2024-02-29T23:59:59.5+02:00",
            "0001-01-01T00:00:00.123456789",
            "9999-12-31T23:59:59+14:00",
        ] {
            assert_eq!(dt(s).to_string(), s);
        }
        assert_eq!(
            dt(" 2024-01-15T10:30:00+00:00 ").to_string(),
            "2024-01-15T10:30:00Z"
        );
        assert_eq!(
            dt("2024-01-15T10:30:00-00:00").to_string(),
            "2024-01-15T10:30:00Z"
        );
        assert_eq!(
            dt("2024-01-15T10:30:00.100").to_string(),
            "2024-01-15T10:30:00.1"
        );
        assert_eq!(
            dt("2024-01-15T10:30:00.1234567891").to_string(),
            "2024-01-15T10:30:00.123456789"
        );
        assert_eq!(
            dt("2024-12-31T24:00:00Z").to_string(),
            "2025-01-01T00:00:00Z"
        );
        for bad in [
            "",
            "2024-01-15",
            "2024-01-15T10:30",
            "2024-01-15 10:30:00",
            "2024-13-01T00:00:00",
            "2023-02-29T00:00:00",
            "2024-01-15T25:00:00",
            "2024-01-15T24:00:01",
            "2024-01-15T10:60:00",
            "2024-01-15T10:30:60",
            "2024-01-15T10:30:00.",
            "2024-01-15T10:30:00+15:00",
            "2024-01-15T10:30:00+14:01",
            "2024-01-15T10:30:00+0100",
            "2024-01-15T10:30:00z",
            "0000-01-01T00:00:00",
            "-2024-01-15T10:30:00",
            "12024-01-15T10:30:00",
            "2024-1-15T10:30:00",
            "2024-01-15T10:30:00Zjunk",
            "å024-01-15T10:30:00",
            "2024-01-15T10:30:00+å1:00",
        ] {
            assert!(XsDateTime::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn swedish_local_time() {
        // Winter: +01:00; summer: +02:00.
        let w = XsDateTime::from_stockholm_timestamp("20240115103000").unwrap();
        assert_eq!(w.to_string(), "2024-01-15T10:30:00+01:00");
        let s = XsDateTime::from_stockholm_timestamp("20240715103000").unwrap();
        assert_eq!(s.to_string(), "2024-07-15T10:30:00+02:00");
        assert_eq!(w.stockholm_timestamp(), "20240115103000");
        assert_eq!(
            dt("2024-01-15T09:30:00Z").stockholm_timestamp(),
            "20240115103000"
        );
        assert_eq!(
            dt("2024-01-15T10:30:00").stockholm_timestamp(),
            "20240115103000"
        );
        assert_eq!(
            dt("2024-07-15T10:30:00").to_utc(),
            dt("2024-07-15T08:30:00Z").to_utc()
        );
        // Repeated autumn hour: the earlier instant; skipped spring hour: standard time.
        assert_eq!(
            dt("2024-10-27T02:30:00").to_utc(),
            dt("2024-10-27T00:30:00Z").to_utc()
        );
        assert_eq!(
            dt("2024-03-31T02:30:00").to_utc(),
            dt("2024-03-31T01:30:00Z").to_utc()
        );
        assert!(XsDateTime::from_stockholm_timestamp("20240331023000").is_some());
        assert!(XsDateTime::from_stockholm_timestamp("20240230103000").is_none());
        assert!(XsDateTime::from_stockholm_timestamp("2024").is_none());
        // Local mean time (+01:12:12) before 1900 has no xs:dateTime offset.
        assert!(XsDateTime::from_stockholm_timestamp("18500101120000").is_none());
        let old = dt("1850-01-01T12:00:00");
        assert_eq!(old.stockholm_timestamp(), "18500101120000");
        let t = old.to_utc();
        assert_eq!(XsDateTime::stockholm(t), XsDateTime::utc(t));
        assert_eq!(
            XsDateTime::parse(&XsDateTime::stockholm(t).to_string()),
            Ok(XsDateTime::utc(t))
        );
        let t = dt("2024-07-15T08:30:00Z").to_utc();
        assert_eq!(XsDateTime::utc(t).to_string(), "2024-07-15T08:30:00Z");
        assert_eq!(
            XsDateTime::stockholm(t).to_string(),
            "2024-07-15T10:30:00+02:00"
        );
    }

    #[test]
    fn converts_to_and_from_its_lexical_form() {
        let t = dt("2024-01-15T10:30:00+01:00");
        assert_eq!(String::from(t), "2024-01-15T10:30:00+01:00");
        assert_eq!(XsDateTime::try_from(String::from(t)), Ok(t));
        assert!(XsDateTime::try_from("nope".to_owned()).is_err());
        assert_eq!(
            "2024-01-15T10:30:00Z"
                .parse::<XsDateTime>()
                .map(|t| t.offset()),
            Ok(Some(Utc.fix()))
        );
    }

    #[test]
    fn result_codes_round_trip() {
        for c in LogResultCode::ALL {
            assert_eq!(LogResultCode::parse(c.as_str()), Ok(c));
        }
        assert!(LogResultCode::parse("REPORTONQUEUE").is_err());
        assert!(LogResultCode::parse("ok").is_err());
        assert!(LogResultCode::Info.is_success());
        assert!(!LogResultCode::MaxQueryResultExceeded.is_success());
        assert!(LogResultCode::ReportInProcess.is_pending());
    }

    #[test]
    fn clamps_by_characters() {
        assert_eq!(clamp("åäö", 2), "åä");
        assert_eq!(clamp("ab", 5), "ab");
    }
}
