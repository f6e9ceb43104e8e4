//! The PDL gate over a real federation: each precondition, consent and emergency access,
//! blocks, and the access log (one entry per type, care giver and unit of what was delivered,
//! with the record ids; nothing shown without it).

mod common;

use common::{TestFed, start};
use npo_gate::{Basis, Gate, GateConfig, InformationType, ReadRequest, Refusal};
use npo_router::VpClient;
use npo_security::access_log::{AccessLog, Activity, LogConfig, Page};
use npo_security::blocks::{BlockKind, BlockStore, NewBlock, RevokeFor, RevokeReason};
use npo_security::consent::{ConsentScope, ConsentStore, NewConsent};
use npo_security::relation::RelationStore;
use npo_security::{Actor, Assignment, PURPOSE_CARE, Right};
use npo_store::Db;
use std::collections::{BTreeMap, BTreeSet};

const TOLVAN: &str = "191212121212";
const REGION: &str = "SE2321000016-7P5T";
const KOMMUN: &str = "SE2120003140-K001";

struct Setup {
    t: TestFed,
    gate: Gate,
    db: Db,
}

fn ts(hours: i64) -> String {
    let now =
        chrono::NaiveDateTime::parse_from_str(&npo_riv::time::now_timestamp(), "%Y%m%d%H%M%S")
            .unwrap();
    (now + chrono::Duration::hours(hours))
        .format("%Y%m%d%H%M%S")
        .to_string()
}

/// Tolvan's outer block on the municipality's records, registered there.
async fn block_kommun(db: &Db) {
    common::block_outer(db, TOLVAN, KOMMUN, "SE2120003140-P009").await;
}

/// A physician at Vårdcentralen Salem (Region Stockholm) with reading rights in the own care
/// giver (VG) and in coherent record keeping (SJF).
fn physician() -> Actor {
    actor(
        "SE2321000016-P001",
        PURPOSE_CARE,
        &["Läsa;alla;SJF", "Läsa;alla;VG"],
    )
}

fn actor(person: &str, purpose: &str, rights: &[&str]) -> Actor {
    Actor {
        person_hsa_id: person.into(),
        name: "Anna Lind".into(),
        assignment: Assignment {
            hsa_id: "SE2321000016-U001".into(),
            name: "Distriktsläkare".into(),
            purpose: purpose.into(),
            care_unit_hsa_id: "SE2321000016-A1B2".into(),
            care_unit_name: "Vårdcentralen Salem".into(),
            care_giver_hsa_id: REGION.into(),
            care_giver_name: "Region Stockholm".into(),
            rights: rights.iter().map(|r| Right::parse(r).unwrap()).collect(),
        },
    }
}

async fn setup() -> Setup {
    let t = start(|s| s.patients = 5).await;
    let db = Db::connect(&t.fed.platform_database_url()).await.unwrap();
    let gate = gate_with_log(&t, &db, AccessLog::start(db.clone(), LogConfig::default()));
    Setup { t, gate, db }
}

fn gate_with_log(t: &TestFed, db: &Db, log: AccessLog) -> Gate {
    let vp = VpClient::new(&t.fed.info.router_url, t.fed.consumer_client().unwrap()).unwrap();
    Gate::new(
        GateConfig {
            system_hsa_id: npo::demo::CONSUMER_HSA_ID.into(),
            aggregating_logical_address: t.fed.info.aggregating_logical_address.clone(),
        },
        vp,
        RelationStore::new(db.clone()),
        ConsentStore::new(db.clone()),
        BlockStore::new(db.clone()),
        log,
    )
}

fn read(patient: &str) -> ReadRequest {
    ReadRequest {
        patient_id: patient.into(),
        ..ReadRequest::default()
    }
}

async fn relate(db: &Db, a: &Actor, patient: &str) {
    RelationStore::new(db.clone())
        .register(patient, a, &ts(8))
        .await
        .unwrap();
}

async fn consent(db: &Db, a: &Actor, patient: &str) {
    ConsentStore::new(db.clone())
        .register(
            &NewConsent {
                patient_id: patient.into(),
                scope: ConsentScope::CareUnit,
                valid_from: ts(0),
                valid_to: ts(24),
                represented_by: None,
            },
            a,
        )
        .await
        .unwrap();
}

fn givers(records: &[npo_gate::Record]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in records {
        *m.entry(r.meta().care_giver.unwrap().to_owned())
            .or_default() += 1;
    }
    m
}

/// The distinct (type, care giver, care unit) of records: one log entry each.
fn looks(records: &[npo_gate::Record]) -> BTreeSet<(String, String, String)> {
    records
        .iter()
        .map(|r| {
            let m = r.meta();
            (
                r.information_type().code().to_owned(),
                m.care_giver.unwrap().to_owned(),
                m.care_unit.unwrap().to_owned(),
            )
        })
        .collect()
}

async fn logged(s: &Setup, patient: &str) -> Vec<npo_security::access_log::Entry> {
    s.gate
        .log()
        .by_patient(patient, Page::first(500))
        .await
        .unwrap()
}

#[tokio::test]
async fn with_relation_and_consent_every_care_giver_is_shown_and_each_record_logged_once() {
    let s = setup().await;
    let a = physician();
    relate(&s.db, &a, TOLVAN).await;
    consent(&s.db, &a, TOLVAN).await;
    let answer = s.gate.read(&a, &read(TOLVAN)).await.unwrap();
    assert_eq!(answer.basis, Basis::Consent);
    assert!(!answer.consent_needed && !answer.blocked_information_exists);
    assert_eq!(givers(&answer.records).len(), 3, "three care givers");
    assert!(
        answer
            .records
            .iter()
            .any(|r| r.information_type() == InformationType::Diagnosis)
    );
    assert!(
        answer
            .records
            .iter()
            .any(|r| r.information_type() == InformationType::CareDocumentation)
    );
    assert!(
        answer
            .sources
            .iter()
            .all(|(_, st)| st.status == npo_riv::headers::StatusCode::DataFromSource)
    );
    let answered: BTreeSet<_> = answer
        .sources
        .iter()
        .map(|(_, st)| &st.logical_address)
        .collect();
    assert_eq!(answered.len(), 3, "every source answered for some type");

    // One log entry per (type, care giver, care unit) shown, holding exactly the ids of the
    // records shown there: each record logged once.
    let log = logged(&s, TOLVAN).await;
    assert_eq!(log.len(), looks(&answer.records).len());
    let shown: BTreeSet<_> = answer
        .records
        .iter()
        .map(|r| {
            let m = r.meta();
            (
                r.information_type().code().to_owned(),
                m.care_giver.unwrap().to_owned(),
                m.care_unit.unwrap().to_owned(),
                m.source_system.to_owned(),
                m.document_id.to_owned(),
            )
        })
        .collect();
    let entries: Vec<_> = log
        .iter()
        .flat_map(|e| {
            e.records.0.iter().map(|r| {
                (
                    e.information_type.clone(),
                    e.resource_care_giver_hsa_id.clone(),
                    e.resource_care_unit_hsa_id.clone(),
                    r.source_system_hsa_id.clone(),
                    r.document_id.clone(),
                )
            })
        })
        .collect();
    assert_eq!(entries.len(), answer.records.len());
    assert_eq!(entries.into_iter().collect::<BTreeSet<_>>(), shown);
    for e in &log {
        assert_eq!(e.activity, Activity::Read);
        assert_eq!(e.purpose, PURPOSE_CARE);
        assert_eq!(e.patient_id, TOLVAN);
        assert_eq!(e.system_hsa_id, npo::demo::CONSUMER_HSA_ID);
        assert_eq!(
            (e.user_hsa_id.as_str(), e.user_name.as_str()),
            ("SE2321000016-P001", "Anna Lind")
        );
        assert_eq!(e.user_assignment_hsa_id, "SE2321000016-U001");
        assert_eq!(
            (
                e.user_care_unit_hsa_id.as_str(),
                e.user_care_giver_hsa_id.as_str()
            ),
            ("SE2321000016-A1B2", REGION)
        );
        assert!(!e.id.is_empty() && e.time.len() == 14);
    }
    // The patient sees when, from which unit and care giver, and why — not who.
    let view = s
        .gate
        .log()
        .patient_view(TOLVAN, Page::first(500))
        .await
        .unwrap();
    assert_eq!(view.len(), log.len());
    let json = serde_json::to_string(&view).unwrap();
    assert!(json.contains("Vårdcentralen Salem") && !json.contains("SE2321000016-P001"));
    s.t.shutdown().await;
}

#[tokio::test]
async fn no_record_of_another_care_giver_without_each_precondition() {
    let s = setup().await;
    let a = physician();
    // Rights: an assignment for another purpose, or without reading rights for the type.
    let admin = actor("SE2321000016-P001", "Administration", &["Läsa;alla;SJF"]);
    assert_eq!(
        s.gate.read(&admin, &read(TOLVAN)).await.unwrap_err(),
        Refusal::NoRights
    );
    let narrow = actor("SE2321000016-P001", PURPOSE_CARE, &["Läsa;dia;SJF"]);
    let only_notes = ReadRequest {
        types: vec![InformationType::CareDocumentation],
        ..read(TOLVAN)
    };
    assert_eq!(
        s.gate.read(&narrow, &only_notes).await.unwrap_err(),
        Refusal::NoRights
    );
    // Available patient: the fifth demo patient has no engagement with the region.
    let unavailable = s.t.fed.info.patients[4].clone();
    relate(&s.db, &a, &unavailable).await;
    consent(&s.db, &a, &unavailable).await;
    assert_eq!(
        s.gate.read(&a, &read(&unavailable)).await.unwrap_err(),
        Refusal::NotAvailablePatient
    );
    // Relation: consent alone is not enough.
    consent(&s.db, &a, TOLVAN).await;
    assert_eq!(
        s.gate.read(&a, &read(TOLVAN)).await.unwrap_err(),
        Refusal::NoRelation
    );
    assert!(
        logged(&s, TOLVAN).await.is_empty(),
        "refusals show and log nothing"
    );
    assert!(logged(&s, &unavailable).await.is_empty());
    assert!(!Refusal::NoRelation.explanation().is_empty());
    s.t.shutdown().await;
}

#[tokio::test]
async fn without_consent_only_the_own_care_giver_is_shown_by_scope() {
    let s = setup().await;
    let a = physician();
    relate(&s.db, &a, TOLVAN).await;
    let answer = s.gate.read(&a, &read(TOLVAN)).await.unwrap();
    assert_eq!(answer.basis, Basis::OwnCareGiverOnly);
    assert!(answer.consent_needed, "other care givers hold records");
    assert_eq!(
        givers(&answer.records).keys().collect::<Vec<_>>(),
        vec![REGION]
    );
    assert_eq!(logged(&s, TOLVAN).await.len(), looks(&answer.records).len());

    // VE only: just the actor's own unit.
    let ve = actor(
        "SE2321000016-P002",
        PURPOSE_CARE,
        &["Läsa;alla;VE", "Läsa;alla;SJF"],
    );
    relate(&s.db, &ve, TOLVAN).await;
    let answer = s.gate.read(&ve, &read(TOLVAN)).await.unwrap();
    assert!(
        answer
            .records
            .iter()
            .all(|r| r.meta().care_unit == Some("SE2321000016-A1B2"))
    );
    s.t.shutdown().await;
}

#[tokio::test]
async fn emergency_access_is_logged_as_nodoppning_and_followed_up() {
    let s = setup().await;
    let a = physician();
    relate(&s.db, &a, TOLVAN).await;
    ConsentStore::new(s.db.clone())
        .register_emergency(TOLVAN, &a, "Medvetslös patient, akut behov av uppgifter", 2)
        .await
        .unwrap();
    let answer = s.gate.read(&a, &read(TOLVAN)).await.unwrap();
    assert_eq!(answer.basis, Basis::Emergency);
    assert_eq!(givers(&answer.records).len(), 3);
    let log = logged(&s, TOLVAN).await;
    for e in &log {
        let other = e.resource_care_giver_hsa_id != REGION;
        assert_eq!(e.activity == Activity::Emergency, other, "{e:?}");
    }
    let report = s.gate.log().follow_up(&ts(-1), &ts(1), 1000).await.unwrap();
    let emergencies = serde_json::to_string(&report).unwrap();
    assert!(emergencies.contains("Nödöppning"), "{emergencies}");
    s.t.shutdown().await;
}

#[tokio::test]
async fn blocked_records_are_never_shown_until_a_temporary_revoke() {
    let s = setup().await;
    let a = physician();
    relate(&s.db, &a, TOLVAN).await;
    consent(&s.db, &a, TOLVAN).await;
    let blocks = BlockStore::new(s.db.clone());
    let block = blocks
        .register(
            &NewBlock {
                patient_id: TOLVAN.into(),
                kind: BlockKind::Outer,
                care_giver_hsa_id: KOMMUN.into(),
                care_unit_hsa_id: None,
                period: None,
                excluded_types: vec![],
            },
            "SE2120003140-P009",
        )
        .await
        .unwrap();
    let answer = s.gate.read(&a, &read(TOLVAN)).await.unwrap();
    assert!(answer.blocked_information_exists);
    assert!(!givers(&answer.records).contains_key(KOMMUN));
    assert!(
        logged(&s, TOLVAN)
            .await
            .iter()
            .all(|e| e.resource_care_giver_hsa_id != KOMMUN)
    );

    // The patient consents to lifting it for the actor's unit: now shown, and logged so.
    blocks
        .revoke_temporarily(
            &block.id,
            RevokeFor::CareUnit(a.assignment.care_unit_hsa_id.clone()),
            RevokeReason::PatientConsent,
            &ts(2),
            &a.person_hsa_id,
        )
        .await
        .unwrap();
    let answer = s.gate.read(&a, &read(TOLVAN)).await.unwrap();
    assert!(givers(&answer.records).contains_key(KOMMUN));
    assert!(!answer.blocked_information_exists);
    let lifted: Vec<_> = logged(&s, TOLVAN)
        .await
        .into_iter()
        .filter(|e| e.resource_care_giver_hsa_id == KOMMUN)
        .collect();
    assert!(!lifted.is_empty());
    assert!(lifted.iter().all(|e| e.activity == Activity::BlockRevoked));
    s.t.shutdown().await;
}

#[tokio::test]
async fn nothing_is_shown_when_the_log_or_a_check_is_unavailable() {
    let s = setup().await;
    let a = physician();
    relate(&s.db, &a, TOLVAN).await;
    consent(&s.db, &a, TOLVAN).await;
    // The log's store goes away.
    let log_db = Db::connect(&s.t.fed.platform_database_url()).await.unwrap();
    let gate = gate_with_log(
        &s.t,
        &s.db,
        AccessLog::start(log_db.clone(), LogConfig::default()),
    );
    log_db.close().await;
    assert_eq!(
        gate.read(&a, &read(TOLVAN)).await.unwrap_err(),
        Refusal::LogUnavailable
    );
    // The consent, relation and block registers go away.
    let checks_db = Db::connect(&s.t.fed.platform_database_url()).await.unwrap();
    let gate = gate_with_log(
        &s.t,
        &checks_db,
        AccessLog::start(s.db.clone(), LogConfig::default()),
    );
    checks_db.close().await;
    assert!(matches!(
        gate.read(&a, &read(TOLVAN)).await.unwrap_err(),
        Refusal::CheckUnavailable(_)
    ));
    assert!(logged(&s, TOLVAN).await.is_empty());
    s.t.shutdown().await;
}

#[tokio::test]
async fn a_source_that_is_down_is_reported_while_the_others_are_shown() {
    let s = setup().await;
    let a = physician();
    relate(&s.db, &a, TOLVAN).await;
    consent(&s.db, &a, TOLVAN).await;
    s.t.fed.sources[2].db.close().await;
    let answer = s.gate.read(&a, &read(TOLVAN)).await.unwrap();
    let failed: Vec<_> = answer
        .sources
        .iter()
        .filter(|(_, st)| st.status == npo_riv::headers::StatusCode::NoDataSynchFailed)
        .map(|(_, st)| st.logical_address.clone())
        .collect();
    assert!(!failed.is_empty(), "the down source is reported");
    assert!(failed.iter().all(|f| f == &s.t.fed.info.sources[2].hsa_id));
    assert_eq!(givers(&answer.records).len(), 2);
    s.t.shutdown().await;
}

/// The patient's access log (GetAccessLogsForPatient 1.0) through the platform: the security
/// services answer from the access log what the gate logged — care giver and unit, never the user.
#[tokio::test]
async fn the_patients_access_log_is_served_through_the_platform() {
    use npo_riv::contracts::access_logs_for_patient_v1::{
        GetAccessLogsForPatientRequest, GetAccessLogsForPatientResponse, LogResultCode, XsDateTime,
    };
    let s = setup().await;
    let a = physician();
    relate(&s.db, &a, TOLVAN).await;
    consent(&s.db, &a, TOLVAN).await;
    let answer = s.gate.read(&a, &read(TOLVAN)).await.unwrap();
    assert!(!answer.records.is_empty());

    let day = |h: i64| XsDateTime::from_stockholm_timestamp(&ts(h)).unwrap();
    let req = GetAccessLogsForPatientRequest::new(TOLVAN, day(-1), day(1));
    let r = common::post(
        &s.t.consumer,
        s.t.router(),
        common::envelope(npo::demo::SECURITY_HSA_ID, &req.write()),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let resp = GetAccessLogsForPatientResponse::parse(&r.envelope().body).unwrap();
    assert_eq!(resp.code(), Some(LogResultCode::Ok));
    let logs: Vec<_> = resp.access_logs().collect();
    assert_eq!(
        logs.len(),
        looks(&answer.records).len(),
        "one entry per type, care giver and care unit shown"
    );
    assert!(logs.iter().all(|l| l.care_provider_id == REGION));
    assert!(
        !r.body.contains("SE2321000016-P001"),
        "the user is not named to the patient"
    );

    // Another patient's log holds none of it.
    let other = GetAccessLogsForPatientRequest::new("194001079120", day(-1), day(1));
    let r = common::post(
        &s.t.consumer,
        s.t.router(),
        common::envelope(npo::demo::SECURITY_HSA_ID, &other.write()),
        &[],
    )
    .await;
    let resp = GetAccessLogsForPatientResponse::parse(&r.envelope().body).unwrap();
    assert_eq!(resp.access_logs().count(), 0);
    s.t.shutdown().await;
}

/// Registrations go through the gate too: nothing is recorded for a patient the actor may not
/// see (not available), consent needs a relation first, and a revoke lifts the blocks that hide
/// records from the actor.
#[tokio::test]
async fn registrations_are_checked_by_the_gate_before_anything_is_saved() {
    let s = setup().await;
    let a = physician();
    let unavailable = s.t.fed.info.patients[4].clone();
    let consent = |patient: &str| NewConsent {
        patient_id: patient.into(),
        scope: ConsentScope::CareUnit,
        valid_from: ts(0),
        valid_to: ts(24),
        represented_by: None,
    };
    assert_eq!(
        s.gate.attest_relation(&a, &unavailable, &ts(8)).await,
        Err(Refusal::NotAvailablePatient)
    );
    assert_eq!(
        s.gate.register_consent(&a, &consent(&unavailable)).await,
        Err(Refusal::NotAvailablePatient)
    );
    let consents = ConsentStore::new(s.db.clone());
    assert!(
        consents.history(&unavailable).await.unwrap().is_empty(),
        "nothing saved"
    );

    // Consent needs the relation first; then both are saved.
    assert_eq!(
        s.gate.register_consent(&a, &consent(TOLVAN)).await,
        Err(Refusal::NoRelation)
    );
    s.gate.attest_relation(&a, TOLVAN, &ts(8)).await.unwrap();
    s.gate.register_consent(&a, &consent(TOLVAN)).await.unwrap();
    assert_eq!(consents.history(TOLVAN).await.unwrap().len(), 1);

    // An outer block at the municipality hides its records until Anna lifts it for herself.
    block_kommun(&s.db).await;
    assert!(
        s.gate
            .read(&a, &read(TOLVAN))
            .await
            .unwrap()
            .blocked_information_exists
    );
    let lifted = s
        .gate
        .revoke_blocks_temporarily(&a, TOLVAN, RevokeReason::PatientConsent, &ts(2))
        .await
        .unwrap();
    assert_eq!(lifted, 1);
    let answer = s.gate.read(&a, &read(TOLVAN)).await.unwrap();
    assert!(!answer.blocked_information_exists);
    s.t.shutdown().await;
}

/// The log holds what the user was given: a read that delivers the latest five logs those five
/// (one entry per care giver and unit, with their record ids) and says how many there were; a
/// detail view delivers and logs the one record.
#[tokio::test]
async fn the_log_holds_exactly_the_records_delivered() {
    use npo_gate::Delivery;
    let s = setup().await;
    let a = physician();
    relate(&s.db, &a, TOLVAN).await;
    consent(&s.db, &a, TOLVAN).await;
    let notes = |delivery| ReadRequest {
        types: vec![InformationType::CareDocumentation],
        delivery,
        ..read(TOLVAN)
    };
    let all = s.gate.read(&a, &notes(Delivery::all())).await.unwrap();
    assert!(all.records.len() > 5, "{}", all.records.len());
    assert_eq!(all.matching, all.records.len());
    let before = logged(&s, TOLVAN).await.len();

    let latest = s.gate.read(&a, &notes(Delivery::latest(5))).await.unwrap();
    assert_eq!(latest.records.len(), 5);
    assert_eq!(latest.matching, all.records.len());
    // The five are the first in the overview order.
    let mut views: Vec<_> = all.records.iter().map(|r| r.view()).collect();
    views.sort_by(npo_gate::overview_order);
    let mut want: Vec<_> = views[..5].iter().map(|v| v.title.clone()).collect();
    let mut got: Vec<_> = latest.records.iter().map(|r| r.view().title).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    let log = logged(&s, TOLVAN).await;
    let new = &log[..log.len() - before];
    assert_eq!(new.len(), looks(&latest.records).len());
    let logged_ids: BTreeSet<_> = new
        .iter()
        .flat_map(|e| e.records.0.iter())
        .map(|r| (r.source_system_hsa_id.clone(), r.document_id.clone()))
        .collect();
    let delivered: BTreeSet<_> = latest
        .records
        .iter()
        .map(|r| {
            let m = r.meta();
            (m.source_system.to_owned(), m.document_id.to_owned())
        })
        .collect();
    assert_eq!(logged_ids, delivered);
    assert_eq!(new.iter().map(|e| e.records.0.len()).sum::<usize>(), 5);

    // One record's detail view.
    let wanted = all.records[3].meta().document_id.to_owned();
    let only = Delivery::only(move |r: &npo_gate::Record| r.meta().document_id == wanted);
    let one = s.gate.read(&a, &notes(only)).await.unwrap();
    assert_eq!(one.records.len(), 1);
    let log = logged(&s, TOLVAN).await;
    assert_eq!(log.len(), before + new.len() + 1);
    assert_eq!(log[0].records.0.len(), 1);
    assert_eq!(
        log[0].records.0[0].document_id,
        all.records[3].meta().document_id
    );

    // Nothing delivered, nothing logged.
    let none = Delivery::only(|_: &npo_gate::Record| false);
    let empty = s.gate.read(&a, &notes(none)).await.unwrap();
    assert!(empty.records.is_empty() && empty.matching == 0);
    assert_eq!(logged(&s, TOLVAN).await.len(), log.len());

    // A selection (e.g. a period rule) and the latest two of it: `matching` counts the
    // selection, two are delivered and logged.
    let odd = |r: &npo_gate::Record| r.meta().document_id.len() % 2 == 1;
    let selected = all.records.iter().filter(|r| odd(r)).count();
    let two = s
        .gate
        .read(&a, &notes(Delivery::latest(2).and(odd)))
        .await
        .unwrap();
    assert_eq!(two.matching, selected);
    assert_eq!(two.records.len(), selected.min(2));
    assert!(two.records.iter().all(odd));
    let log2 = logged(&s, TOLVAN).await;
    assert_eq!(
        log2[..log2.len() - log.len()]
            .iter()
            .map(|e| e.records.0.len())
            .sum::<usize>(),
        selected.min(2)
    );
    s.t.shutdown().await;
}

/// The sources line never names a source whose records were all removed by blocks: the answer
/// says only that blocked information exists.
#[tokio::test]
async fn a_source_whose_records_are_all_blocked_is_not_named() {
    let s = setup().await;
    let a = physician();
    relate(&s.db, &a, TOLVAN).await;
    consent(&s.db, &a, TOLVAN).await;
    let kommun_source =
        s.t.fed
            .info
            .sources
            .iter()
            .find(|x| x.care_giver_hsa_id == KOMMUN)
            .unwrap()
            .hsa_id
            .clone();
    let before = s.gate.read(&a, &read(TOLVAN)).await.unwrap();
    assert!(
        before
            .sources
            .iter()
            .any(|(_, st)| st.logical_address == kommun_source),
        "the municipality answers without a block"
    );
    block_kommun(&s.db).await;
    let answer = s.gate.read(&a, &read(TOLVAN)).await.unwrap();
    assert!(answer.blocked_information_exists);
    assert!(!givers(&answer.records).contains_key(KOMMUN));
    assert!(
        answer
            .sources
            .iter()
            .all(|(_, st)| st.logical_address != kommun_source),
        "{:?}",
        answer.sources
    );
    // The others are still named.
    let named: BTreeSet<_> = answer
        .sources
        .iter()
        .map(|(_, st)| st.logical_address.clone())
        .collect();
    assert_eq!(named.len(), 2, "{named:?}");
    s.t.shutdown().await;
}

/// A block lifted under emergency access is logged as both (`Nödöppning, hävd spärr`) and is
/// listed in the emergency follow-up.
#[tokio::test]
async fn a_block_lifted_under_emergency_access_is_followed_up() {
    let s = setup().await;
    let a = physician();
    relate(&s.db, &a, TOLVAN).await;
    ConsentStore::new(s.db.clone())
        .register_emergency(TOLVAN, &a, "Medvetslös patient, akut behov av uppgifter", 2)
        .await
        .unwrap();
    block_kommun(&s.db).await;
    assert!(
        s.gate
            .read(&a, &read(TOLVAN))
            .await
            .unwrap()
            .blocked_information_exists
    );
    let lifted = s
        .gate
        .revoke_blocks_temporarily(&a, TOLVAN, RevokeReason::Emergency, &ts(2))
        .await
        .unwrap();
    assert_eq!(lifted, 1);
    let answer = s.gate.read(&a, &read(TOLVAN)).await.unwrap();
    assert!(givers(&answer.records).contains_key(KOMMUN));
    let kommun: Vec<_> = logged(&s, TOLVAN)
        .await
        .into_iter()
        .filter(|e| e.resource_care_giver_hsa_id == KOMMUN)
        .collect();
    assert!(!kommun.is_empty());
    assert!(
        kommun
            .iter()
            .all(|e| e.activity == Activity::EmergencyBlockRevoked),
        "{kommun:?}"
    );
    let report = s.gate.log().follow_up(&ts(-1), &ts(1), 1000).await.unwrap();
    for e in &kommun {
        assert!(
            report.emergency.iter().any(|r| r.id == e.id),
            "the lifted block is in the emergency follow-up"
        );
    }
    s.t.shutdown().await;
}

/// Sources on an older contract version are read too: one source serves only the older
/// version of GetCareDocumentation, GetLaboratoryOrderOutcome and GetCareContacts, another only
/// the newest; both are shown and neither is reported as failed. A source serving both shows
/// each record once.
#[tokio::test]
async fn sources_on_an_older_contract_version_are_shown_once() {
    use npo_riv::headers::StatusCode;
    let s = setup().await;
    let a = physician();
    relate(&s.db, &a, TOLVAN).await;
    consent(&s.db, &a, TOLVAN).await;
    let types = [
        InformationType::CareDocumentation,
        InformationType::Laboratory,
        InformationType::CareContact,
    ];
    let req = ReadRequest {
        types: types.to_vec(),
        ..read(TOLVAN)
    };
    let key = |r: &npo_gate::Record| {
        let m = r.meta();
        (
            r.information_type(),
            m.source_system.to_owned(),
            m.document_id.to_owned(),
        )
    };
    // Every source serves both versions: each record once.
    let both = s.gate.read(&a, &req).await.unwrap();
    let keys: Vec<_> = both.records.iter().map(key).collect();
    let distinct: BTreeSet<_> = keys.iter().cloned().collect();
    assert_eq!(keys.len(), distinct.len(), "a record shown twice");
    let has: BTreeSet<(InformationType, String)> = keys
        .iter()
        .map(|(t, source, _)| (*t, source.clone()))
        .collect();
    let sources = &s.t.fed.info.sources;
    let old_only = &sources[0];
    let new_only = sources[1..]
        .iter()
        .max_by_key(|x| {
            types
                .iter()
                .filter(|t| has.contains(&(**t, x.hsa_id.clone())))
                .count()
        })
        .unwrap();
    for t in types {
        assert!(
            has.contains(&(t, old_only.hsa_id.clone())),
            "{} has {t:?} for the patient",
            old_only.hsa_id
        );
    }
    assert!(
        types
            .iter()
            .any(|t| has.contains(&(*t, new_only.hsa_id.clone())))
    );

    // The first source no longer serves the newest versions, the second not the older ones.
    let namespaces: Vec<(&str, &str)> = types
        .iter()
        .map(|t| {
            let ns = t.contract_namespaces();
            assert_eq!(ns.len(), 2, "{t:?}");
            (ns[0], ns[1])
        })
        .collect();
    let (old_la, new_la) = (
        [old_only.hsa_id.clone(), old_only.care_giver_hsa_id.clone()],
        [new_only.hsa_id.clone(), new_only.care_giver_hsa_id.clone()],
    );
    s.t.change_catalogue(|c| {
        c.routings.retain(|r| {
            !namespaces.iter().any(|(newest, older)| {
                (old_la.contains(&r.logical_address) && r.contract_namespace == *newest)
                    || (new_la.contains(&r.logical_address) && r.contract_namespace == *older)
            })
        })
    })
    .await;
    let answer = s.gate.read(&a, &req).await.unwrap();
    assert!(answer.unavailable_types.is_empty());
    let keys: Vec<_> = answer.records.iter().map(key).collect();
    let distinct: BTreeSet<_> = keys.iter().cloned().collect();
    assert_eq!(keys.len(), distinct.len(), "a record shown twice");
    for t in types {
        for src in [old_only, new_only] {
            if !has.contains(&(t, src.hsa_id.clone())) {
                continue;
            }
            assert!(
                keys.iter().any(|(kt, ss, _)| *kt == t && ss == &src.hsa_id),
                "{} still shows {t:?}",
                src.hsa_id
            );
            let statuses: Vec<_> = answer
                .sources
                .iter()
                .filter(|(st, x)| *st == t && x.logical_address == src.hsa_id)
                .collect();
            assert_eq!(statuses.len(), 1, "{t:?} {statuses:?}");
            assert_eq!(statuses[0].1.status, StatusCode::DataFromSource, "{t:?}");
        }
    }
    assert!(
        answer
            .sources
            .iter()
            .all(|(_, st)| st.status == StatusCode::DataFromSource),
        "{:?}",
        answer.sources
    );
    s.t.shutdown().await;
}

/// The patient's log extract (GetAccessLogsForPatient) is answered only through the service
/// platform, and each extract is recorded as a read of the log, with the consumer system that
/// asked and its purpose.
#[tokio::test]
async fn the_patients_log_extract_is_recorded_and_only_the_platform_may_ask() {
    use npo_riv::contracts::access_logs_for_patient_v1::{
        GetAccessLogsForPatientRequest, XsDateTime,
    };
    let s = setup().await;
    let day = |h: i64| XsDateTime::from_stockholm_timestamp(&ts(h)).unwrap();
    let req = GetAccessLogsForPatientRequest::new(TOLVAN, day(-1), day(1));
    let env = common::envelope(npo::demo::SECURITY_HSA_ID, &req.write());
    // Straight to the producer, past the router: refused, nothing read.
    let direct = format!(
        "{}/riv/log",
        s.t.fed.info.security_api_url.trim_end_matches("/api/v1")
    );
    let r = common::post(&s.t.consumer, &direct, env.clone(), &[]).await;
    assert_eq!(r.status, 500, "{}", r.body);
    assert!(
        r.body.contains("through the service platform only"),
        "{}",
        r.body
    );
    assert!(
        s.gate
            .log()
            .reads(Page::first(10))
            .await
            .unwrap()
            .is_empty()
    );
    // Through the platform: answered, and recorded with the consumer as the system.
    let r = common::post(&s.t.consumer, s.t.router(), env, &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let reads = s.gate.log().reads(Page::first(10)).await.unwrap();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].system_hsa_id, npo::demo::CONSUMER_HSA_ID);
    assert_eq!(
        reads[0].purpose,
        npo_security::access_log::PURPOSE_PATIENT_EXTRACT
    );
    assert_eq!(reads[0].query_kind, "patient_extract");
    assert!(reads[0].user_hsa_id.is_none());
    s.t.shutdown().await;
}

/// A personal temporary revoke is that person at that unit (the blocking service's contract):
/// a physician who lifted an outer block at one unit (U021 in the report) still sees it blocked
/// when she reads the same patient working at another unit (U022).
#[tokio::test]
async fn a_personal_revoke_lifts_the_block_only_at_its_unit() {
    let s = setup().await;
    let at_salem = physician();
    let mut at_akuten = physician();
    at_akuten.assignment.hsa_id = "SE2321000016-U099".into();
    at_akuten.assignment.care_unit_hsa_id = "SE2321000016-C3D4".into();
    at_akuten.assignment.care_unit_name = "Akutmottagningen, Södersjukhuset".into();
    for a in [&at_salem, &at_akuten] {
        relate(&s.db, a, TOLVAN).await;
        consent(&s.db, a, TOLVAN).await;
    }
    block_kommun(&s.db).await;
    let kommun_records =
        |answer: &npo_gate::ReadAnswer| givers(&answer.records).get(KOMMUN).copied().unwrap_or(0);
    let before = s.gate.read(&at_akuten, &read(TOLVAN)).await.unwrap();
    assert!(before.blocked_information_exists);
    assert_eq!(kommun_records(&before), 0);

    // Lifted at Salem, for her personally.
    let until = ts(2);
    let lifted = s
        .gate
        .revoke_blocks_temporarily(&at_salem, TOLVAN, RevokeReason::PatientConsent, &until)
        .await
        .unwrap();
    assert_eq!(lifted, 1);
    let revokes = &BlockStore::new(s.db.clone())
        .active_for_patient(TOLVAN)
        .await
        .unwrap()[0]
        .temporary_revokes;
    assert_eq!(
        revokes[0].revoke_for,
        RevokeFor::Employee {
            person_hsa_id: at_salem.person_hsa_id.clone(),
            care_unit_hsa_id: at_salem.assignment.care_unit_hsa_id.clone(),
        }
    );
    let at_unit = s.gate.read(&at_salem, &read(TOLVAN)).await.unwrap();
    assert!(!at_unit.blocked_information_exists);
    assert!(kommun_records(&at_unit) > 0, "lifted at Salem");
    // The gate says so, from the block register, until the revoke's end.
    let status = s.gate.status(&at_salem, TOLVAN).await.unwrap();
    assert_eq!(status.blocks_lifted_until.as_deref(), Some(until.as_str()));
    let status = s.gate.status(&at_akuten, TOLVAN).await.unwrap();
    assert_eq!(status.blocks_lifted_until, None);

    // The same person at another unit: still blocked, nothing of the municipality shown.
    let elsewhere = s.gate.read(&at_akuten, &read(TOLVAN)).await.unwrap();
    assert!(elsewhere.blocked_information_exists);
    assert_eq!(kommun_records(&elsewhere), 0);
    s.t.shutdown().await;
}
