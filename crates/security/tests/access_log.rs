//! The access log against the real database (SQLite or PostgreSQL per NPO_TEST_DB): durable
//! appends with group commit, queries, fail-closed writes, the patient's view, follow-up and
//! retention.

use npo_security::access_log::*;
use npo_security::{Actor, Assignment, PURPOSE_CARE, Right};
use npo_store::testing::TestDb;
use npo_store::{Backend, Db, sqlx};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

const SYSTEM: &str = "SE2321000016-SYS1";

async fn db() -> (TestDb, Db) {
    let t = TestDb::new().await.expect("test db");
    let db = t.connect().await.expect("connect");
    (t, db)
}

fn actor(person: &str, giver: &str, unit: &str) -> Actor {
    Actor {
        person_hsa_id: person.into(),
        name: format!("Namn {person}"),
        assignment: Assignment {
            hsa_id: format!("{person}-UPP"),
            name: "Distriktsläkare".into(),
            purpose: PURPOSE_CARE.into(),
            care_unit_hsa_id: unit.into(),
            care_unit_name: format!("Enhet {unit}"),
            care_giver_hsa_id: giver.into(),
            care_giver_name: format!("Vårdgivare {giver}"),
            rights: vec![Right::parse("Läsa;alla;SJF").unwrap()],
        },
    }
}

fn entry(actor: &Actor, patient: &str, giver: &str, activity: Activity) -> NewEntry {
    NewEntry {
        system_hsa_id: SYSTEM.into(),
        activity,
        purpose: PURPOSE_CARE.into(),
        actor: actor.clone(),
        resource: Resource {
            information_type: "dia".into(),
            patient_id: patient.into(),
            care_giver_hsa_id: giver.into(),
            care_unit_hsa_id: format!("{giver}-E1"),
            records: vec![RecordRef {
                source_system_hsa_id: format!("{giver}-S1"),
                document_id: "doc-1".into(),
            }],
        },
    }
}

fn patient(n: usize) -> String {
    format!("19{n:010}")
}

async fn count(db: &Db) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sec_access_log")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    n
}

fn ids(entries: &[Entry]) -> Vec<String> {
    entries.iter().map(|e| e.id.clone()).collect()
}

/// Inserts a row directly, with any time (for follow-up windows and retention).
async fn insert_raw(db: &Db, time: &str, activity: Activity, patient: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO sec_access_log (id, time, system_hsa_id, activity, purpose, user_hsa_id, user_name, \
         user_assignment_hsa_id, user_assignment_name, user_care_unit_hsa_id, user_care_unit_name, \
         user_care_giver_hsa_id, user_care_giver_name, information_type, patient_id, \
         resource_care_giver_hsa_id, resource_care_unit_hsa_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(&id)
    .bind(time)
    .bind(SYSTEM)
    .bind(activity.as_str())
    .bind(PURPOSE_CARE)
    .bind("SE2321000016-OLD1")
    .bind("Gammal Användare")
    .bind("SE2321000016-OLDU")
    .bind("Läkare")
    .bind("SE2321000016-E1")
    .bind("Enhet")
    .bind("SE2321000016-G1")
    .bind("Region")
    .bind("dia")
    .bind(patient)
    .bind("SE2321000016-G2")
    .bind("SE2321000016-G2-E1")
    .execute(&db.pool)
    .await
    .unwrap();
    id
}

fn days_ago(days: i64) -> String {
    npo_riv::time::timestamp(chrono::Utc::now() - chrono::Duration::days(days))
}

#[tokio::test]
async fn append_returns_complete_entries_and_queries_find_exactly_them() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let anna = actor("SE2321000016-P001", "SE2321000016-G1", "SE2321000016-G1-E1");
    let bo = actor("SE2120003140-P002", "SE2120003140-G9", "SE2120003140-G9-E1");
    let (p1, p2) = (patient(1), patient(2));

    let first = log
        .append(vec![
            entry(&anna, &p1, "SE2321000016-G1", Activity::Read),
            entry(&anna, &p1, "SE2120003140-G9", Activity::Read),
        ])
        .await
        .unwrap();
    let second = log
        .append(vec![entry(
            &bo,
            &p1,
            "SE2321000016-G1",
            Activity::Emergency,
        )])
        .await
        .unwrap();
    let third = log
        .append(vec![entry(&bo, &p2, "SE2120003140-G9", Activity::Read)])
        .await
        .unwrap();
    assert!(log.append(vec![]).await.unwrap().is_empty());

    // Complete entries with ids and time.
    let e = &first[1];
    assert_eq!(uuid::Uuid::parse_str(&e.id).unwrap().get_version_num(), 7);
    assert_eq!(e.time.len(), 14);
    assert!(e.time.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(e.system_hsa_id, SYSTEM);
    assert_eq!(e.activity, Activity::Read);
    assert_eq!(e.purpose, PURPOSE_CARE);
    assert_eq!(e.user_hsa_id, "SE2321000016-P001");
    assert_eq!(e.user_name, "Namn SE2321000016-P001");
    assert_eq!(e.user_assignment_hsa_id, "SE2321000016-P001-UPP");
    assert_eq!(e.user_assignment_name, "Distriktsläkare");
    assert_eq!(e.user_care_unit_hsa_id, "SE2321000016-G1-E1");
    assert_eq!(e.user_care_unit_name, "Enhet SE2321000016-G1-E1");
    assert_eq!(e.user_care_giver_hsa_id, "SE2321000016-G1");
    assert_eq!(e.user_care_giver_name, "Vårdgivare SE2321000016-G1");
    assert_eq!(e.information_type, "dia");
    assert_eq!(e.patient_id, p1);
    assert_eq!(e.resource_care_giver_hsa_id, "SE2120003140-G9");
    assert_eq!(e.resource_care_unit_hsa_id, "SE2120003140-G9-E1");
    assert!(e.is_coherent() && !first[0].is_coherent());
    assert_eq!(second[0].activity, Activity::Emergency);

    // Exactly the right ones, newest first, as returned by append.
    let by_p1 = log.by_patient(&p1, Page::default()).await.unwrap();
    assert_eq!(
        by_p1,
        vec![second[0].clone(), first[1].clone(), first[0].clone()]
    );
    assert_eq!(
        ids(&log.by_patient(&p2, Page::default()).await.unwrap()),
        ids(&third)
    );
    assert_eq!(
        ids(&log
            .by_user("SE2321000016-P001", Page::default())
            .await
            .unwrap()),
        vec![first[1].id.clone(), first[0].id.clone()]
    );
    assert_eq!(
        ids(&log
            .by_user("SE2120003140-P002", Page::default())
            .await
            .unwrap()),
        vec![third[0].id.clone(), second[0].id.clone()]
    );
    // By the accessing user's care giver, not the information's.
    assert_eq!(
        ids(&log
            .by_care_giver("SE2321000016-G1", Page::default())
            .await
            .unwrap()),
        ids(&log
            .by_user("SE2321000016-P001", Page::default())
            .await
            .unwrap())
    );
    assert_eq!(
        log.by_care_giver("SE2120003140-G9", Page::default())
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        log.by_patient(&patient(3), Page::default())
            .await
            .unwrap()
            .is_empty()
    );

    // Durable: another pool sees them.
    let other = Db::connect(&_t.url).await.unwrap();
    assert_eq!(count(&other).await, 4);
    other.close().await;
}

#[tokio::test]
async fn pages_are_newest_first_and_capped() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let anna = actor("SE2321000016-P001", "SE2321000016-G1", "SE2321000016-G1-E1");
    let p = patient(7);
    let mut appended = Vec::new();
    for _ in 0..6 {
        let batch: Vec<NewEntry> = (0..100)
            .map(|_| entry(&anna, &p, "SE2321000016-G1", Activity::Read))
            .collect();
        appended.extend(log.append(batch).await.unwrap());
    }
    appended.reverse(); // newest first
    let all_ids = ids(&appended);

    let page = log.by_patient(&p, Page::new(0, 10)).await.unwrap();
    assert_eq!(ids(&page), all_ids[..10]);
    let page = log.by_patient(&p, Page::new(95, 10)).await.unwrap();
    assert_eq!(ids(&page), all_ids[95..105]);
    let page = log
        .by_user("SE2321000016-P001", Page::new(590, 50))
        .await
        .unwrap();
    assert_eq!(ids(&page), all_ids[590..]);
    assert!(
        log.by_patient(&p, Page::new(600, 50))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        log.by_patient(&p, Page::new(0, 0))
            .await
            .unwrap()
            .is_empty()
    );

    // The cap.
    let page = log
        .by_care_giver("SE2321000016-G1", Page::new(0, 10_000))
        .await
        .unwrap();
    assert_eq!(page.len(), MAX_PAGE as usize);
    assert_eq!(ids(&page), all_ids[..500]);
    let page = log.by_patient(&p, Page::new(500, u32::MAX)).await.unwrap();
    assert_eq!(ids(&page), all_ids[500..]);
    let view = log.patient_view(&p, Page::new(0, 10_000)).await.unwrap();
    assert_eq!(view.len(), MAX_PAGE as usize);
}

#[tokio::test]
async fn concurrent_appends_are_all_durable_exactly_once() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let mut tasks = Vec::new();
    for i in 0..200 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            let a = actor(
                &format!("SE2321000016-P{:03}", i % 17),
                "SE2321000016-G1",
                "SE2321000016-G1-E1",
            );
            let n = 1 + i % 5;
            let entries = (0..n)
                .map(|_| entry(&a, &patient(1000 + i), "SE2120003140-G9", Activity::Read))
                .collect();
            (i, n, log.append(entries).await)
        }));
    }
    let mut expected = 0;
    let mut seen = HashSet::new();
    let mut per_task = HashMap::new();
    for t in tasks {
        let (i, n, r) = t.await.unwrap();
        let entries = r.expect("durable append");
        assert_eq!(entries.len(), n);
        expected += n;
        for e in &entries {
            assert!(seen.insert(e.id.clone()), "log id handed out twice");
            assert_eq!(e.patient_id, patient(1000 + i));
        }
        per_task.insert(i, entries);
    }
    assert_eq!(count(&db).await, expected as i64);
    let (distinct,): (i64,) = sqlx::query_as("SELECT COUNT(DISTINCT id) FROM sec_access_log")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(distinct, expected as i64);
    for (i, entries) in per_task {
        let mut found = log
            .by_patient(&patient(1000 + i), Page::default())
            .await
            .unwrap();
        found.reverse();
        assert_eq!(found, entries, "task {i}: each entry found exactly once");
    }
}

#[tokio::test]
async fn small_batches_and_large_appends() {
    let (_t, db) = db().await;
    let log = AccessLog::start(
        db.clone(),
        LogConfig {
            max_batch: 3,
            ..LogConfig::default()
        },
    );
    let a = actor("SE2321000016-P001", "SE2321000016-G1", "SE2321000016-G1-E1");
    let mut tasks = Vec::new();
    for i in 0..20 {
        let log = log.clone();
        let a = a.clone();
        tasks.push(tokio::spawn(async move {
            // Some appends exceed max_batch: written alone, in one transaction.
            let n = if i % 4 == 0 { 700 } else { 2 };
            let entries = (0..n)
                .map(|_| entry(&a, &patient(i), "SE2321000016-G1", Activity::Read))
                .collect();
            log.append(entries).await.map(|e| e.len())
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap().unwrap();
    }
    assert_eq!(total, 5 * 700 + 15 * 2);
    assert_eq!(count(&db).await, total as i64);
}

#[tokio::test]
async fn incomplete_entries_are_refused_without_personal_data() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let a = actor("SE2321000016-P001", "SE2321000016-G1", "SE2321000016-G1-E1");
    let good = entry(&a, &patient(1), "SE2321000016-G1", Activity::Read);
    let mut bad = good.clone();
    bad.resource.care_giver_hsa_id = " ".into();
    let err = log.append(vec![good.clone(), bad]).await.unwrap_err();
    assert!(matches!(err, LogError::Missing(_)));
    let mut no_user = good.clone();
    no_user.actor.person_hsa_id.clear();
    assert!(log.append(vec![no_user]).await.is_err());
    let mut no_patient = good;
    no_patient.resource.patient_id.clear();
    assert!(log.append(vec![no_patient]).await.is_err());
    assert_eq!(count(&db).await, 0);
}

/// Makes every insert into the log fail, or only those for `only_patient`.
async fn make_unwritable(db: &Db, only_patient: Option<&str>) {
    match db.backend {
        Backend::Sqlite => {
            let when = only_patient
                .map(|p| format!("WHEN NEW.patient_id = '{p}' "))
                .unwrap_or_default();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "CREATE TRIGGER sec_access_log_read_only BEFORE INSERT ON sec_access_log {when}\
                 BEGIN SELECT RAISE(ABORT, 'read-only'); END"
            )))
            .execute(&db.pool)
            .await
            .unwrap();
        }
        Backend::Postgres => {
            let cond = only_patient
                .map(|p| format!("NEW.patient_id = '{p}'"))
                .unwrap_or_else(|| "TRUE".into());
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "CREATE FUNCTION sec_access_log_read_only() RETURNS trigger AS $$ \
                 BEGIN IF {cond} THEN RAISE EXCEPTION 'read-only'; END IF; RETURN NEW; END \
                 $$ LANGUAGE plpgsql; \
                 CREATE TRIGGER sec_access_log_read_only BEFORE INSERT ON sec_access_log \
                 FOR EACH ROW EXECUTE FUNCTION sec_access_log_read_only();"
            )))
            .execute(&db.pool)
            .await
            .unwrap();
        }
    }
}

async fn make_writable(db: &Db) {
    let sql = match db.backend {
        Backend::Sqlite => "DROP TRIGGER sec_access_log_read_only",
        Backend::Postgres => "DROP TRIGGER sec_access_log_read_only ON sec_access_log",
    };
    sqlx::query(sql).execute(&db.pool).await.unwrap();
}

#[tokio::test]
async fn fails_closed_when_the_log_table_is_read_only() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let a = actor("SE2321000016-P001", "SE2321000016-G1", "SE2321000016-G1-E1");
    make_unwritable(&db, None).await;

    let mut tasks = Vec::new();
    for i in 0..20 {
        let log = log.clone();
        let a = a.clone();
        tasks.push(tokio::spawn(async move {
            let entries = (0..3)
                .map(|_| entry(&a, &patient(i), "SE2321000016-G1", Activity::Read))
                .collect();
            log.append(entries).await
        }));
    }
    for t in tasks {
        let err = t.await.unwrap().unwrap_err();
        assert_eq!(err, LogError::Write);
        let msg = err.to_string();
        assert!(!msg.contains("19000000") && !msg.contains("Namn"), "{msg}");
    }
    assert_eq!(count(&db).await, 0);

    // The log writes again once the store does.
    make_writable(&db).await;
    let ok = log
        .append(vec![entry(
            &a,
            &patient(1),
            "SE2321000016-G1",
            Activity::Read,
        )])
        .await
        .unwrap();
    assert_eq!(ok.len(), 1);
    assert_eq!(count(&db).await, 1);
}

#[tokio::test]
async fn a_failed_batch_fails_every_caller_in_it_and_writes_nothing() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let a = actor("SE2321000016-P001", "SE2321000016-G1", "SE2321000016-G1-E1");
    let poisoned = "000000000000";
    make_unwritable(&db, Some(poisoned)).await;

    // Hold the table so the writer is stuck on the first batch while the others queue up: they
    // then form the next batch together.
    let mut holder = db.pool.begin().await.unwrap();
    match db.backend {
        Backend::Sqlite => {
            sqlx::query("CREATE TABLE test_write_lock (x INTEGER)")
                .execute(&mut *holder)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            sqlx::query("LOCK TABLE sec_access_log IN SHARE MODE")
                .execute(&mut *holder)
                .await
                .unwrap();
        }
    }
    let append = |p: String, n: usize| {
        let log = log.clone();
        let a = a.clone();
        tokio::spawn(async move {
            let entries = (0..n)
                .map(|_| entry(&a, &p, "SE2321000016-G1", Activity::Read))
                .collect();
            log.append(entries).await
        })
    };
    let first = append(patient(1), 2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mates: Vec<_> = (2..6).map(|i| append(patient(i), 3)).collect();
    let bad = append(poisoned.to_owned(), 1);
    let more_mates: Vec<_> = (6..9).map(|i| append(patient(i), 2)).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    holder.rollback().await.unwrap();

    assert_eq!(first.await.unwrap().unwrap().len(), 2);
    assert_eq!(bad.await.unwrap().unwrap_err(), LogError::Write);
    for m in mates.into_iter().chain(more_mates) {
        assert_eq!(
            m.await.unwrap().unwrap_err(),
            LogError::Write,
            "a batch-mate of the failed entry must fail too"
        );
    }
    assert_eq!(count(&db).await, 2, "only the first batch was written");
    for i in 2..9 {
        assert!(
            log.by_patient(&patient(i), Page::default())
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn fails_closed_when_the_store_is_gone() {
    let (t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let a = actor("SE2321000016-P001", "SE2321000016-G1", "SE2321000016-G1-E1");
    db.pool.close().await;
    let err = log
        .append(vec![entry(
            &a,
            &patient(1),
            "SE2321000016-G1",
            Activity::Read,
        )])
        .await
        .unwrap_err();
    assert_eq!(err, LogError::Write);
    assert_eq!(
        log.by_patient(&patient(1), Page::default())
            .await
            .unwrap_err(),
        LogError::Read
    );
    let again = t.connect().await.unwrap();
    assert_eq!(count(&again).await, 0);
    again.close().await;
}

#[tokio::test]
async fn fails_closed_when_the_writer_is_gone() {
    let (_t, db) = db().await;
    let a = actor("SE2321000016-P001", "SE2321000016-G1", "SE2321000016-G1-E1");
    let e = entry(&a, &patient(1), "SE2321000016-G1", Activity::Read);

    // Started on a runtime that has since shut down: the writer task is gone.
    let d = db.clone();
    let orphan = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move { AccessLog::start(d, LogConfig::default()) })
    })
    .join()
    .unwrap();
    assert_eq!(
        orphan.append(vec![e.clone()]).await.unwrap_err(),
        LogError::Unavailable
    );

    // Started outside any runtime: never running, no panic.
    let d = db.clone();
    let never = std::thread::spawn(move || AccessLog::start(d, LogConfig::default()))
        .join()
        .unwrap();
    assert_eq!(
        never.append(vec![e]).await.unwrap_err(),
        LogError::Unavailable
    );
    assert_eq!(count(&db).await, 0);
}

#[tokio::test]
async fn the_patient_sees_when_where_and_why_but_not_who() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let anna = actor("SE2321000016-P001", "SE2321000016-G1", "SE2321000016-G1-E1");
    let p = patient(5);
    let written = log
        .append(vec![
            entry(&anna, &p, "SE2120003140-G9", Activity::Read),
            entry(&anna, &p, "SE2120003140-G9", Activity::Emergency),
        ])
        .await
        .unwrap();
    let view = log.patient_view(&p, Page::default()).await.unwrap();
    assert_eq!(view.len(), 2);
    let v = &view[0];
    assert_eq!(v.id, written[1].id);
    assert_eq!(v.time, written[1].time);
    assert_eq!(v.activity, Activity::Emergency);
    assert_eq!(view[1].activity, Activity::Read);
    assert_eq!(v.purpose, PURPOSE_CARE);
    assert_eq!(v.information_type, "dia");
    assert_eq!(v.care_unit_hsa_id, "SE2321000016-G1-E1");
    assert_eq!(v.care_unit_name, "Enhet SE2321000016-G1-E1");
    assert_eq!(v.care_giver_hsa_id, "SE2321000016-G1");
    assert_eq!(v.care_giver_name, "Vårdgivare SE2321000016-G1");
    let json = serde_json::to_string(&view).unwrap();
    for secret in ["SE2321000016-P001", "Namn", "Distriktsläkare", SYSTEM] {
        assert!(!json.contains(secret), "the patient view shows {secret}");
    }
    assert!(
        log.patient_view(&patient(6), Page::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn follow_up_finds_emergency_coherent_and_heavy_users_only() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let g1 = "SE2321000016-G1";
    let g9 = "SE2120003140-G9";
    let ordinary = actor("SE2321000016-P001", g1, "SE2321000016-G1-E1");
    let emergency = actor("SE2321000016-P002", g1, "SE2321000016-G1-E1");
    let sjf = actor("SE2321000016-P003", g1, "SE2321000016-G1-E1");
    let heavy = actor("SE2321000016-P004", g1, "SE2321000016-G1-E1");

    // Ordinary: own care giver, 3 patients (not over the threshold of 3), one of them twice.
    let mut own = Vec::new();
    for p in [1, 2, 3, 3] {
        own.push(entry(&ordinary, &patient(p), g1, Activity::Read));
    }
    let own = log.append(own).await.unwrap();
    let em = log
        .append(vec![entry(
            &emergency,
            &patient(10),
            g1,
            Activity::Emergency,
        )])
        .await
        .unwrap();
    let co = log
        .append(vec![entry(&sjf, &patient(11), g9, Activity::Read)])
        .await
        .unwrap();
    let mut many = Vec::new();
    for p in 20..24 {
        many.push(entry(&heavy, &patient(p), g1, Activity::Read));
    }
    log.append(many).await.unwrap();
    // Outside the window: an old emergency access to another care giver's information.
    insert_raw(&db, "20190101120000", Activity::Emergency, &patient(30)).await;

    let r = log.follow_up("20200101", "29991231", 3).await.unwrap();
    assert_eq!(r.from, "20200101000000");
    assert_eq!(r.to, "29991231235959");
    assert_eq!(ids(&r.emergency), ids(&em));
    assert_eq!(ids(&r.coherent), ids(&co));
    assert!(!r.emergency_truncated && !r.coherent_truncated);
    assert_eq!(
        r.heavy_users,
        vec![HeavyUser {
            user_hsa_id: "SE2321000016-P004".into(),
            user_name: "Namn SE2321000016-P004".into(),
            distinct_patients: 4,
            entries: 4,
        }]
    );
    // A lower threshold takes in the ordinary user (3 patients, 4 entries).
    let r = log.follow_up("20200101", "29991231", 2).await.unwrap();
    let users: Vec<_> = r
        .heavy_users
        .iter()
        .map(|h| (h.user_hsa_id.as_str(), h.distinct_patients, h.entries))
        .collect();
    assert_eq!(
        users,
        vec![
            ("SE2321000016-P004", 4, 4),
            ("SE2321000016-P001", 3, own.len() as u64)
        ]
    );
    // The old window holds only the old row.
    let old = log
        .follow_up("20190101000000", "20191231235959", 0)
        .await
        .unwrap();
    assert_eq!(old.emergency.len(), 1);
    assert_eq!(old.coherent.len(), 1);
    assert_eq!(old.heavy_users.len(), 1);
    assert_eq!(
        log.follow_up("2019-01-01", "20191231", 0)
            .await
            .unwrap_err(),
        LogError::Time("from")
    );
    assert_eq!(
        log.follow_up("20190101", "2019123", 0).await.unwrap_err(),
        LogError::Time("to")
    );
}

#[tokio::test]
async fn purge_deletes_only_entries_past_retention() {
    let (_t, db) = db().await;
    // Asking for less than the legal minimum keeps the minimum.
    let log = AccessLog::start(
        db.clone(),
        LogConfig {
            retention_days: 30,
            ..LogConfig::default()
        },
    );
    assert_eq!(log.retention_days(), MIN_RETENTION_DAYS);
    let min = i64::from(MIN_RETENTION_DAYS);
    let expired = insert_raw(&db, &days_ago(min + 1), Activity::Read, &patient(1)).await;
    let ancient = insert_raw(&db, "20000101000000", Activity::Emergency, &patient(1)).await;
    let kept = insert_raw(&db, &days_ago(min - 1), Activity::Read, &patient(1)).await;
    let a = actor("SE2321000016-P001", "SE2321000016-G1", "SE2321000016-G1-E1");
    let fresh = log
        .append(vec![entry(
            &a,
            &patient(1),
            "SE2321000016-G1",
            Activity::Read,
        )])
        .await
        .unwrap();

    assert_eq!(log.purge_expired().await.unwrap(), 2);
    let left = ids(&log.by_patient(&patient(1), Page::default()).await.unwrap());
    assert_eq!(left.len(), 2);
    assert!(left.contains(&kept) && left.contains(&fresh[0].id));
    assert!(!left.contains(&expired) && !left.contains(&ancient));
    assert_eq!(log.purge_expired().await.unwrap(), 0);

    // A longer retention keeps more.
    let long = AccessLog::start(
        db.clone(),
        LogConfig {
            retention_days: 10 * 366,
            ..LogConfig::default()
        },
    );
    insert_raw(&db, &days_ago(min + 1), Activity::Read, &patient(2)).await;
    assert_eq!(long.purge_expired().await.unwrap(), 0);
    assert_eq!(log.purge_expired().await.unwrap(), 1);
}

/// An entry carries the ids of the records delivered (and at least one); they are stored and
/// read back as given.
#[tokio::test]
async fn entries_carry_the_delivered_record_ids() {
    let (_t, db) = db().await;
    let log = AccessLog::start(db, LogConfig::default());
    let a = actor("SE2321000016-P001", "SE2321000016-G1", "SE2321000016-E1");
    let mut e = entry(&a, "191212121212", "SE2120003140-G9", Activity::Read);
    e.resource.records = vec![
        RecordRef {
            source_system_hsa_id: "SE2120003140-S1".into(),
            document_id: "a-1".into(),
        },
        RecordRef {
            source_system_hsa_id: "SE2120003140-S1".into(),
            document_id: "a-2".into(),
        },
    ];
    let mut none = e.clone();
    none.resource.records.clear();
    assert_eq!(
        log.append(vec![none]).await.unwrap_err(),
        LogError::Missing("the records delivered")
    );
    let mut blank = e.clone();
    blank.resource.records[1].document_id = " ".into();
    assert_eq!(
        log.append(vec![blank]).await.unwrap_err(),
        LogError::Missing("a record id")
    );
    log.append(vec![e.clone()]).await.unwrap();
    let stored = log
        .by_patient("191212121212", Page::first(10))
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].records.0, e.resource.records);
}
