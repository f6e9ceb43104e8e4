//! GetAccessLogsForPatient answered from the access log, against the real database (SQLite or
//! PostgreSQL per NPO_TEST_DB): the patient's own entries in the interval and nothing else,
//! the limit, invalid requests and failures as result codes, and every answer valid against
//! the official schema.

use npo_riv::contracts::access_logs_for_patient_v1::*;
use npo_riv::ids::luhn_check_digit;
use npo_riv::xml::{self, Limits};
use npo_security::access_log::*;
use npo_security::log_querying::{self, DEFAULT_MAX_ENTRIES};
use npo_security::{Actor, Assignment, PURPOSE_CARE, Right};
use npo_store::testing::TestDb;
use npo_store::{Db, sqlx};

const SYSTEM: &str = "SE2321000016-SYS1";
/// The consumer system that asks for the patient's extract (1177).
const CONSUMER: &str = "SE2321000016-1177";
const USER: &str = "SE2321000016-P001";
const USER_NAME: &str = "Anna Andersson";
const ASSIGNMENT_NAME: &str = "Distriktsläkare";
const GIVER: &str = "SE2321000016-G1";
const UNIT: &str = "SE2321000016-G1-E1";
/// The care giver that holds the information (not the one that looked).
const HOLDER: &str = "SE2120003140-G9";

async fn db() -> (TestDb, Db) {
    let t = TestDb::new().await.expect("test db");
    let db = t.connect().await.expect("connect");
    (t, db)
}

/// A valid personnummer born 1980-01-01, serial `n` (0–999).
fn patient(n: u32) -> String {
    let s = [n / 100, n / 10 % 10, n % 10].map(|d| d as u8);
    let nine = [8, 0, 0, 1, 0, 1, s[0], s[1], s[2]];
    format!("19800101{n:03}{}", luhn_check_digit(&nine))
}

fn actor() -> Actor {
    Actor {
        person_hsa_id: USER.into(),
        name: USER_NAME.into(),
        assignment: Assignment {
            hsa_id: "SE2321000016-UPP1".into(),
            name: ASSIGNMENT_NAME.into(),
            purpose: PURPOSE_CARE.into(),
            care_unit_hsa_id: UNIT.into(),
            care_unit_name: "Vårdcentralen Ödeshög".into(),
            care_giver_hsa_id: GIVER.into(),
            care_giver_name: "Region Östergötland".into(),
            rights: vec![Right::parse("Läsa;alla;SJF").unwrap()],
        },
    }
}

fn entry(patient: &str, information_type: &str, activity: Activity) -> NewEntry {
    NewEntry {
        system_hsa_id: SYSTEM.into(),
        activity,
        purpose: PURPOSE_CARE.into(),
        actor: actor(),
        resource: Resource {
            information_type: information_type.into(),
            patient_id: patient.into(),
            care_giver_hsa_id: HOLDER.into(),
            care_unit_hsa_id: format!("{HOLDER}-E1"),
            records: vec![RecordRef {
                source_system_hsa_id: format!("{HOLDER}-S1"),
                document_id: "doc-1".into(),
            }],
        },
    }
}

/// Inserts a row directly, with any time and activity.
async fn insert_raw(db: &Db, time: &str, patient: &str, activity: &str) {
    sqlx::query(
        "INSERT INTO sec_access_log (id, time, system_hsa_id, activity, purpose, user_hsa_id, user_name, \
         user_assignment_hsa_id, user_assignment_name, user_care_unit_hsa_id, user_care_unit_name, \
         user_care_giver_hsa_id, user_care_giver_name, information_type, patient_id, \
         resource_care_giver_hsa_id, resource_care_unit_hsa_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(time)
    .bind(SYSTEM)
    .bind(activity)
    .bind(PURPOSE_CARE)
    .bind(USER)
    .bind(USER_NAME)
    .bind("SE2321000016-UPP1")
    .bind(ASSIGNMENT_NAME)
    .bind(UNIT)
    .bind("Vårdcentralen Ödeshög")
    .bind(GIVER)
    .bind("Region Östergötland")
    .bind("voo")
    .bind(patient)
    .bind(HOLDER)
    .bind(format!("{HOLDER}-E1"))
    .execute(&db.pool)
    .await
    .unwrap();
}

fn dt(s: &str) -> XsDateTime {
    XsDateTime::parse(s).expect("test date-time")
}

fn request(patient: &str, from: &str, to: &str) -> GetAccessLogsForPatientRequest {
    GetAccessLogsForPatientRequest::new(patient, dt(from), dt(to))
}

/// The whole of 2024 in Swedish time.
fn year_2024(patient: &str) -> GetAccessLogsForPatientRequest {
    request(patient, "2024-01-01T00:00:00", "2024-12-31T23:59:59")
}

/// Writes the response, validates it against the schema (xmllint) and reads it back equal;
/// returns the written XML.
fn validated(resp: &GetAccessLogsForPatientResponse) -> String {
    let body = resp.write();
    let el = xml::parse(body.as_bytes(), &Limits::default()).expect("well-formed");
    if let Err(e) = npo_riv::xsd::validate_element(&el) {
        panic!("{e}\n--- written:\n{body}");
    }
    assert_eq!(&GetAccessLogsForPatientResponse::parse(&el).unwrap(), resp);
    body
}

/// The single result of an answer.
fn single(resp: &GetAccessLogsForPatientResponse) -> &AccessLogsResult {
    assert_eq!(resp.results.len(), 1, "npo answers with one result");
    &resp.results[0]
}

#[tokio::test]
async fn the_patients_accesses_appear_without_the_user() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let p = patient(1);
    let written = log
        .append(vec![
            entry(&p, "dia", Activity::Read),
            entry(&p, "lak", Activity::Emergency),
        ])
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let req = GetAccessLogsForPatientRequest::new(
        p.clone(),
        XsDateTime::utc(now - chrono::Duration::hours(1)),
        XsDateTime::stockholm(now + chrono::Duration::hours(1)),
    );
    let resp = log_querying::answer(&log, &req, DEFAULT_MAX_ENTRIES, CONSUMER).await;
    let body = validated(&resp);
    let r = single(&resp);
    assert_eq!(r.result.code, LogResultCode::Ok);
    assert_eq!(r.result.start_interval, Some(req.from_date));
    assert_eq!(r.result.end_interval, Some(req.to_date));
    let logs = r.access_logs.as_ref().expect("a list with OK");
    assert_eq!(logs.len(), 2);
    // Newest first: the second entry of the append has the greater log id.
    assert_eq!(logs[0].resource_type, "lak");
    assert_eq!(logs[1].resource_type, "dia");
    let l = &logs[1];
    // Who looked: the care giver and unit the user acted for, not the information's holder.
    assert_eq!(l.care_provider_id, GIVER);
    assert_eq!(l.care_provider_name, "Region Östergötland");
    assert_eq!(l.care_unit_id, UNIT);
    assert_eq!(l.care_unit_name, "Vårdcentralen Ödeshög");
    assert_eq!(l.purpose, PURPOSE_CARE);
    assert_eq!(l.access_date.stockholm_timestamp(), written[0].time);
    assert_eq!(
        Some(l.access_date),
        XsDateTime::from_stockholm_timestamp(&written[0].time)
    );
    // Never the user, the assignment, the consuming system or the holder.
    for secret in [
        USER,
        USER_NAME,
        ASSIGNMENT_NAME,
        "SE2321000016-UPP1",
        SYSTEM,
        HOLDER,
    ] {
        assert!(!body.contains(secret), "the answer shows {secret}");
    }
    // The contract has no activity: nothing says Nödöppning.
    assert!(!body.contains("Nödöppning") && !body.contains("Läsa"));
}

#[tokio::test]
async fn the_interval_filters_inclusively_in_swedish_time() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let p = patient(2);
    for time in [
        "20231231235959",
        "20240101000000",
        "20240615120000",
        "20241231235959",
        "20250101000000",
    ] {
        insert_raw(&db, time, &p, "Läsa").await;
    }
    let times = |resp: &GetAccessLogsForPatientResponse| -> Vec<String> {
        validated(resp);
        resp.access_logs()
            .map(|l| l.access_date.stockholm_timestamp())
            .collect()
    };

    let resp = log_querying::answer(&log, &year_2024(&p), DEFAULT_MAX_ENTRIES, CONSUMER).await;
    assert_eq!(resp.code(), Some(LogResultCode::Ok));
    assert_eq!(
        times(&resp),
        ["20241231235959", "20240615120000", "20240101000000"]
    );
    // Written with the Swedish offset of the day.
    let summer = resp.access_logs().nth(1).unwrap();
    assert_eq!(summer.access_date.to_string(), "2024-06-15T12:00:00+02:00");
    let winter = resp.access_logs().nth(2).unwrap();
    assert_eq!(winter.access_date.to_string(), "2024-01-01T00:00:00+01:00");

    // Bounds given in UTC are compared as Swedish time: 10:00Z is 12:00 in summer.
    let exact = request(&p, "2024-06-15T10:00:00Z", "2024-06-15T10:00:00Z");
    let resp = log_querying::answer(&log, &exact, DEFAULT_MAX_ENTRIES, CONSUMER).await;
    assert_eq!(times(&resp), ["20240615120000"]);
    let after = request(&p, "2024-06-15T10:00:01Z", "2024-06-15T12:30:00+02:00");
    let resp = log_querying::answer(&log, &after, DEFAULT_MAX_ENTRIES, CONSUMER).await;
    assert_eq!(resp.code(), Some(LogResultCode::Ok));
    assert_eq!(times(&resp), Vec::<String>::new());
    // A fraction of a second is dropped: the entry's second is included.
    let fraction = request(
        &p,
        "2024-06-15T12:00:00.25+02:00",
        "2024-06-15T12:00:00.75+02:00",
    );
    let resp = log_querying::answer(&log, &fraction, DEFAULT_MAX_ENTRIES, CONSUMER).await;
    assert_eq!(times(&resp), ["20240615120000"]);

    // Everything, from the earliest to the latest expressible time.
    let all = request(&p, "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00");
    let resp = log_querying::answer(&log, &all, DEFAULT_MAX_ENTRIES, CONSUMER).await;
    assert_eq!(times(&resp).len(), 5);
}

#[tokio::test]
async fn other_patients_entries_never_appear() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let (mine, theirs, nobody) = (patient(3), patient(4), patient(5));
    insert_raw(&db, "20240301100000", &mine, "Läsa").await;
    for i in 0..5 {
        insert_raw(&db, &format!("2024030110000{i}"), &theirs, "Läsa").await;
    }

    let resp = log_querying::answer(&log, &year_2024(&mine), DEFAULT_MAX_ENTRIES, CONSUMER).await;
    validated(&resp);
    assert_eq!(resp.access_logs().count(), 1);
    assert_eq!(
        log.patient_view_between(&mine, "20240101", "20241231", 100)
            .await
            .unwrap()
            .len(),
        1
    );

    // No accesses: OK with an empty list (the list element is there).
    let resp = log_querying::answer(&log, &year_2024(&nobody), DEFAULT_MAX_ENTRIES, CONSUMER).await;
    let body = validated(&resp);
    let r = single(&resp);
    assert_eq!(r.result.code, LogResultCode::Ok);
    assert_eq!(r.access_logs, Some(vec![]));
    assert!(body.contains("AccesssLogs"));
    assert!(!r.result.text.contains(&nobody));
}

#[tokio::test]
async fn more_entries_than_the_limit_is_max_query_result_exceeded() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let p = patient(6);
    for i in 0..5 {
        insert_raw(&db, &format!("2024050112000{i}"), &p, "Läsa").await;
    }
    let req = year_2024(&p);

    let resp = log_querying::answer(&log, &req, 4, CONSUMER).await;
    validated(&resp);
    let r = single(&resp);
    assert_eq!(r.result.code, LogResultCode::MaxQueryResultExceeded);
    assert_eq!(r.access_logs, None, "no list with an error");
    assert!(r.result.text.contains('4'), "{}", r.result.text);
    assert!(!r.result.text.contains(&p));

    // Exactly the limit is fine.
    let resp = log_querying::answer(&log, &req, 5, CONSUMER).await;
    validated(&resp);
    assert_eq!(resp.code(), Some(LogResultCode::Ok));
    assert_eq!(resp.access_logs().count(), 5);

    // A narrower interval fits under the limit.
    let narrow = request(&p, "2024-05-01T12:00:02", "2024-05-01T12:00:03");
    let resp = log_querying::answer(&log, &narrow, 4, CONSUMER).await;
    assert_eq!(resp.code(), Some(LogResultCode::Ok));
    assert_eq!(resp.access_logs().count(), 2);

    // A limit of zero: any entry is too many, none is fine.
    assert_eq!(
        log_querying::answer(&log, &req, 0, CONSUMER).await.code(),
        Some(LogResultCode::MaxQueryResultExceeded)
    );
    assert_eq!(
        log_querying::answer(&log, &year_2024(&patient(7)), 0, CONSUMER)
            .await
            .code(),
        Some(LogResultCode::Ok)
    );
    assert_eq!(DEFAULT_MAX_ENTRIES, 10_000);
}

#[tokio::test]
async fn invalid_requests_are_validation_errors_without_personal_data() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let p = patient(8);
    insert_raw(&db, "20240301100000", &p, "Läsa").await;
    let mut bad_check = p.clone();
    bad_check.pop();
    bad_check.push(if p.ends_with('0') { '1' } else { '0' });

    for id in [
        bad_check.as_str(),
        "",
        "19800101",
        "19801301123X",
        "198013011234",
        "000000000000",
    ] {
        let resp = log_querying::answer(&log, &year_2024(id), DEFAULT_MAX_ENTRIES, CONSUMER).await;
        validated(&resp);
        let r = single(&resp);
        assert_eq!(r.result.code, LogResultCode::ValidationError, "{id:?}");
        assert_eq!(r.access_logs, None);
        assert_eq!(r.result.text, log_querying::TEXT_INVALID_PATIENT);
        assert!(!r.result.text.contains("1980"));
    }

    // ToDate before FromDate.
    let backwards = request(&p, "2024-12-31T00:00:00", "2024-01-01T00:00:00");
    let resp = log_querying::answer(&log, &backwards, DEFAULT_MAX_ENTRIES, CONSUMER).await;
    validated(&resp);
    let r = single(&resp);
    assert_eq!(r.result.code, LogResultCode::ValidationError);
    assert_eq!(r.result.text, log_querying::TEXT_INVALID_INTERVAL);
    assert_eq!(r.access_logs, None);
    // Compared as instants: the same instant written with two offsets is a valid interval.
    let same = request(&p, "2024-03-01T10:00:00+01:00", "2024-03-01T09:00:00Z");
    let resp = log_querying::answer(&log, &same, DEFAULT_MAX_ENTRIES, CONSUMER).await;
    assert_eq!(resp.code(), Some(LogResultCode::Ok));
    assert_eq!(resp.access_logs().count(), 1);

    // npo never queues reports: any QueuedReportId is unknown, and no report is made.
    let mut queued = year_2024(&p);
    queued.queued_report_id = Some("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into());
    let resp = log_querying::answer(&log, &queued, DEFAULT_MAX_ENTRIES, CONSUMER).await;
    validated(&resp);
    let r = single(&resp);
    assert_eq!(r.result.code, LogResultCode::ReportNotFound);
    assert_eq!(r.access_logs, None);
}

#[tokio::test]
async fn a_log_that_cannot_be_read_is_an_error_result_not_a_panic() {
    // A row this version cannot read (unknown activity).
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let p = patient(9);
    insert_raw(&db, "20240301100000", &p, "Flyga").await;
    let resp = log_querying::answer(&log, &year_2024(&p), DEFAULT_MAX_ENTRIES, CONSUMER).await;
    validated(&resp);
    let r = single(&resp);
    assert_eq!(r.result.code, LogResultCode::Error);
    assert_eq!(r.result.text, log_querying::TEXT_UNAVAILABLE);
    assert_eq!(r.access_logs, None);

    // A row with a time that is not a timestamp.
    let q = patient(10);
    insert_raw(&db, "2024030110000x", &q, "Läsa").await;
    let resp = log_querying::answer(&log, &year_2024(&q), DEFAULT_MAX_ENTRIES, CONSUMER).await;
    validated(&resp);
    assert_eq!(resp.code(), Some(LogResultCode::Error));

    // The store is gone.
    db.pool.close().await;
    let resp = log_querying::answer(&log, &year_2024(&p), DEFAULT_MAX_ENTRIES, CONSUMER).await;
    validated(&resp);
    let r = single(&resp);
    assert_eq!(r.result.code, LogResultCode::Error);
    assert_eq!(r.result.text, log_querying::TEXT_UNAVAILABLE);
    assert!(!r.result.text.contains(&p));
}

#[tokio::test]
async fn a_request_read_from_the_wire_is_answered() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let p = patient(11);
    insert_raw(&db, "20240301100000", &p, "Läsa").await;
    let xml = format!(
        "<GetAccessLogsForPatientRequest xmlns=\"{NAMESPACE}\"><PatientId>{p}</PatientId>\
         <FromDate>2024-03-01T00:00:00+01:00</FromDate><ToDate>2024-03-01T23:59:59+01:00</ToDate>\
         </GetAccessLogsForPatientRequest>"
    );
    let el = xml::parse(xml.as_bytes(), &Limits::default()).unwrap();
    npo_riv::xsd::validate_element(&el).unwrap();
    let req = GetAccessLogsForPatientRequest::parse(&el).unwrap();
    let resp = log_querying::answer(&log, &req, DEFAULT_MAX_ENTRIES, CONSUMER).await;
    validated(&resp);
    let l = resp.access_logs().next().unwrap();
    assert_eq!(l.access_date.to_string(), "2024-03-01T10:00:00+01:00");
    assert_eq!(l.resource_type, "voo");
    assert_eq!(l.view().fields[3].1, "Journalanteckningar");
}

#[tokio::test]
async fn patient_view_between_checks_its_bounds() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let p = patient(12);
    insert_raw(&db, "20240301100000", &p, "Läsa").await;
    insert_raw(&db, "20240302100000", &p, "Nödöppning").await;
    // Whole days with YYYYMMDD, newest first, limited.
    let both = log
        .patient_view_between(&p, "20240301", "20240302", 10)
        .await
        .unwrap();
    assert_eq!(
        both.iter().map(|e| e.time.as_str()).collect::<Vec<_>>(),
        ["20240302100000", "20240301100000"]
    );
    assert_eq!(both[0].activity, Activity::Emergency);
    assert_eq!(
        log.patient_view_between(&p, "20240301", "20240302", 1)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        log.patient_view_between(&p, "20240301", "20240302", 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        log.patient_view_between(&p, "20240302", "20240301", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        log.patient_view_between(&p, "2024-03-01", "20240302", 10)
            .await
            .unwrap_err(),
        LogError::Time("from")
    );
    assert_eq!(
        log.patient_view_between(&p, "20240301", "tomorrow", 10)
            .await
            .unwrap_err(),
        LogError::Time("to")
    );
}

/// Every extract is recorded as a read of the access log (purpose, consumer system, what was
/// asked; no user: the citizen channel), before anything is shown; an invalid request reads
/// nothing and records nothing.
#[tokio::test]
async fn every_extract_is_recorded_as_a_read_of_the_log() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let p = patient(11);
    log.append(vec![entry(&p, "dia", Activity::Read)])
        .await
        .unwrap();
    let invalid = GetAccessLogsForPatientRequest::new(
        "191212121213",
        XsDateTime::parse("2024-01-01T00:00:00").unwrap(),
        XsDateTime::parse("2099-12-31T23:59:59").unwrap(),
    );
    let resp = log_querying::answer(&log, &invalid, DEFAULT_MAX_ENTRIES, CONSUMER).await;
    assert_eq!(resp.code(), Some(LogResultCode::ValidationError));
    assert!(log.reads(Page::first(10)).await.unwrap().is_empty());

    let req = GetAccessLogsForPatientRequest::new(
        &p,
        XsDateTime::parse("2024-01-01T00:00:00").unwrap(),
        XsDateTime::parse("2099-12-31T23:59:59").unwrap(),
    );
    let resp = log_querying::answer(&log, &req, DEFAULT_MAX_ENTRIES, CONSUMER).await;
    assert_eq!(resp.code(), Some(LogResultCode::Ok));
    assert_eq!(resp.access_logs().count(), 1);
    let reads = log.reads(Page::first(10)).await.unwrap();
    assert_eq!(reads.len(), 1);
    let r = &reads[0];
    assert_eq!(r.system_hsa_id, CONSUMER);
    assert_eq!(r.purpose, PURPOSE_PATIENT_EXTRACT);
    assert_eq!(r.query_kind, "patient_extract");
    assert!(r.query_value.starts_with(&p), "{}", r.query_value);
    assert_eq!((&r.user_hsa_id, &r.user_assignment_hsa_id), (&None, &None));
    assert_eq!(r.time.len(), 14);
}
