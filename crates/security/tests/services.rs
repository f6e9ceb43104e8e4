//! Directory, consent / emergency access and patient relations against the real database
//! (SQLite or PostgreSQL per NPO_TEST_DB).

use npo_security::consent::{ConsentError, ConsentKind, ConsentScope, ConsentStore, NewConsent};
use npo_security::directory::*;
use npo_security::relation::{RelationError, RelationStore};
use npo_security::{Actor, PURPOSE_CARE, Scope};
use npo_store::Db;
use npo_store::testing::TestDb;

const P: &str = "191212121212";

async fn db() -> (TestDb, Db) {
    let t = TestDb::new().await.expect("test db");
    let db = t.connect().await.expect("connect");
    (t, db)
}

fn directory() -> Directory {
    Directory {
        care_givers: vec![
            CareGiver {
                hsa_id: "SE2321000016-7P5T".into(),
                name: "Region Stockholm".into(),
                org_no: "2321000016".into(),
                kind: CareGiverKind::Region,
            },
            CareGiver {
                hsa_id: "SE2120003140-K001".into(),
                name: "Uppsala kommun".into(),
                org_no: "2120003140".into(),
                kind: CareGiverKind::Municipality,
            },
        ],
        care_units: vec![
            CareUnit {
                hsa_id: "SE2321000016-A1B2".into(),
                name: "Vårdcentralen Salem".into(),
                care_giver_hsa_id: "SE2321000016-7P5T".into(),
            },
            CareUnit {
                hsa_id: "SE2120003140-H001".into(),
                name: "Hemsjukvården Uppsala".into(),
                care_giver_hsa_id: "SE2120003140-K001".into(),
            },
        ],
        persons: vec![Person {
            hsa_id: "SE2321000016-P001".into(),
            given_name: "Anna".into(),
            family_name: "Lind".into(),
            title: "Läkare".into(),
        }],
        assignments: vec![
            EmployeeAssignment {
                hsa_id: "SE2321000016-U001".into(),
                person_hsa_id: "SE2321000016-P001".into(),
                name: "Distriktsläkare".into(),
                care_unit_hsa_id: "SE2321000016-A1B2".into(),
                purpose: PURPOSE_CARE.into(),
                rights: vec!["Läsa;alla;SJF".into(), "Läsa;alla;VG".into()],
            },
            EmployeeAssignment {
                hsa_id: "SE2321000016-U002".into(),
                person_hsa_id: "SE2321000016-P001".into(),
                name: "Verksamhetsutvecklare".into(),
                care_unit_hsa_id: "SE2321000016-A1B2".into(),
                purpose: "Administration".into(),
                rights: vec!["Läsa;alla;VE".into()],
            },
        ],
        systems: vec![System {
            hsa_id: "SE2321000016-S001".into(),
            name: "Journalsystem".into(),
            care_giver_hsa_id: Some("SE2321000016-7P5T".into()),
            serves: vec!["SE2120003140-K001".into()],
        }],
    }
}

/// An administrator's change at the CLI, with the default share.
fn change() -> DirectoryChange {
    DirectoryChange {
        by: "SE5565594230-ADMIN".into(),
        via: ChangeVia::Api,
        force: false,
        max_drop_percent: DEFAULT_MAX_DROP_PERCENT,
    }
}

/// [`directory`] with `n` more people, each with a care assignment at Salem.
fn directory_with_staff(n: usize) -> Directory {
    let mut d = directory();
    for i in 0..n {
        d.persons.push(Person {
            hsa_id: format!("SE2321000016-PX{i:03}"),
            given_name: "Test".into(),
            family_name: format!("Person {i}"),
            title: "Sjuksköterska".into(),
        });
        d.assignments.push(EmployeeAssignment {
            hsa_id: format!("SE2321000016-UX{i:03}"),
            person_hsa_id: format!("SE2321000016-PX{i:03}"),
            name: "Sjuksköterska".into(),
            care_unit_hsa_id: "SE2321000016-A1B2".into(),
            purpose: PURPOSE_CARE.into(),
            rights: vec!["Läsa;alla;VE".into()],
        });
    }
    d
}

/// The directory as the store returns it: every list ordered by HSA-id.
fn sorted(mut d: Directory) -> Directory {
    d.care_givers.sort_by(|a, b| a.hsa_id.cmp(&b.hsa_id));
    d.care_units.sort_by(|a, b| a.hsa_id.cmp(&b.hsa_id));
    d.persons.sort_by(|a, b| a.hsa_id.cmp(&b.hsa_id));
    d.assignments.sort_by(|a, b| a.hsa_id.cmp(&b.hsa_id));
    d.systems.sort_by(|a, b| a.hsa_id.cmp(&b.hsa_id));
    d
}

async fn actor(db: &Db) -> Actor {
    let store = DirectoryStore::new(db.clone());
    store.replace(&directory(), &change()).await.unwrap();
    store
        .actor("SE2321000016-P001", "SE2321000016-U001")
        .await
        .unwrap()
        .unwrap()
}

fn ts(offset_hours: i64) -> String {
    let now =
        chrono::NaiveDateTime::parse_from_str(&npo_riv::time::now_timestamp(), "%Y%m%d%H%M%S")
            .unwrap();
    (now + chrono::Duration::hours(offset_hours))
        .format("%Y%m%d%H%M%S")
        .to_string()
}

#[tokio::test]
async fn directory_round_trip_validation_and_actor_resolution() {
    let (_t, db) = db().await;
    let store = DirectoryStore::new(db.clone());
    store.replace(&directory(), &change()).await.unwrap();
    assert_eq!(store.load().await.unwrap(), sorted(directory()));

    let a = store
        .actor("SE2321000016-P001", "SE2321000016-U001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.name, "Anna Lind");
    assert_eq!(a.assignment.care_giver_name, "Region Stockholm");
    assert!(a.assignment.may_read("dia", Scope::Coherent));
    let admin = store
        .actor("SE2321000016-P001", "SE2321000016-U002")
        .await
        .unwrap()
        .unwrap();
    assert!(
        !admin.assignment.may_read("dia", Scope::CareUnit),
        "purpose is not care"
    );
    assert!(
        store
            .actor("SE2321000016-P001", "SE2321000016-U999")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .actor("SE2321000016-P999", "SE2321000016-U001")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .assignments_of("SE2321000016-P001")
            .await
            .unwrap()
            .len(),
        2
    );

    // Invalid directories are refused whole and change nothing.
    let mut bad = directory();
    bad.care_units[0].care_giver_hsa_id = "SE2321000016-NOPE".into();
    assert!(matches!(
        store.replace(&bad, &change()).await,
        Err(DirectoryError::Reference { .. })
    ));
    let mut bad = directory();
    bad.persons[0].hsa_id = "Anna".into();
    assert!(matches!(
        store.replace(&bad, &change()).await,
        Err(DirectoryError::HsaId(_))
    ));
    let mut bad = directory();
    bad.assignments[0].rights.push("Läsa;dia;NATIONELLT".into());
    assert!(matches!(
        store.replace(&bad, &change()).await,
        Err(DirectoryError::Right(_))
    ));
    let mut bad = directory();
    bad.persons.push(bad.persons[0].clone());
    assert!(matches!(
        store.replace(&bad, &change()).await,
        Err(DirectoryError::Duplicate(_))
    ));
    assert_eq!(store.load().await.unwrap(), sorted(directory()));
}

#[tokio::test]
async fn directory_replacement_is_never_empty_or_half_and_is_audited() {
    let (_t, db) = db().await;
    let store = DirectoryStore::new(db.clone());
    // Empty: refused, even into an empty store and even forced.
    for force in [false, true] {
        let c = DirectoryChange { force, ..change() };
        assert!(matches!(
            store.replace(&Directory::default(), &c).await,
            Err(DirectoryError::Empty)
        ));
        let mut no_people = directory();
        no_people.persons.clear();
        no_people.assignments.clear();
        assert!(matches!(
            store.replace(&no_people, &c).await,
            Err(DirectoryError::Empty)
        ));
    }
    assert!(store.audit_trail(10).await.unwrap().is_empty());

    let full = directory_with_staff(19);
    let first = store.replace(&full, &change()).await.unwrap();
    assert_eq!(first.before.persons, 0);
    assert_eq!(first.after.persons, 20);
    assert_eq!(first.digest_after, full.digest());

    // Dropping 5 of 20 persons (25 %) is more than 20 %: refused, nothing changes.
    let half = directory_with_staff(14);
    match store.replace(&half, &change()).await {
        Err(DirectoryError::Shrinks {
            what,
            before,
            after,
            ..
        }) => assert_eq!((what, before, after), ("persons", 20, 15)),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(store.load().await.unwrap().persons.len(), 20);
    // 4 of 20 (20 %) is within the share.
    let fewer = directory_with_staff(15);
    store.replace(&fewer, &change()).await.unwrap();
    // Forced (the CLI): accepted and marked.
    let forced = DirectoryChange {
        force: true,
        via: ChangeVia::Cli,
        by: "cli:operator".into(),
        ..change()
    };
    let audit = store.replace(&half, &forced).await.unwrap();
    assert!(audit.forced);
    assert_eq!(store.load().await.unwrap().persons.len(), 15);

    let trail = store.audit_trail(10).await.unwrap();
    assert_eq!(trail.len(), 3, "{trail:?}");
    assert_eq!(trail[0].id, audit.id);
    assert_eq!(
        (
            trail[0].via.as_str(),
            trail[0].changed_by.as_str(),
            trail[0].forced
        ),
        ("cli", "cli:operator", true)
    );
    assert_eq!((trail[0].before.persons, trail[0].after.persons), (16, 15));
    assert_eq!(trail[0].digest_before, fewer.digest());
    assert_eq!(trail[0].digest_after, half.digest());
    assert_eq!(trail[2].id, first.id);
    assert_eq!(trail[2].changed_by, "SE5565594230-ADMIN");
    // A system registered for the care givers it serves.
    let system = store.system("SE2321000016-S001").await.unwrap().unwrap();
    assert!(system.serves("SE2321000016-7P5T") && system.serves("SE2120003140-K001"));
    assert!(!system.serves("SE5592468135-V001"));
    // Serving an unknown care giver is an invalid directory.
    let mut bad = directory_with_staff(15);
    bad.systems[0].serves.push("SE2321000016-NOPE".into());
    assert!(matches!(
        store.replace(&bad, &change()).await,
        Err(DirectoryError::Reference { .. })
    ));
}

#[tokio::test]
async fn consent_for_unit_and_person_with_period_cancel_and_delete() {
    let (_t, db) = db().await;
    let actor = actor(&db).await;
    let store = ConsentStore::new(db.clone());
    let now = npo_riv::time::now_timestamp();
    assert!(store.check(P, &actor, &now).await.unwrap().is_none());

    let c = store
        .register(
            &NewConsent {
                patient_id: P.into(),
                scope: ConsentScope::CareUnit,
                valid_from: now.clone(),
                valid_to: ts(24 * 30),
                represented_by: None,
            },
            &actor,
        )
        .await
        .unwrap();
    assert_eq!(
        store.check(P, &actor, &now).await.unwrap().unwrap().id,
        c.id
    );
    // A colleague at the same unit is covered by a unit consent…
    let mut colleague = actor.clone();
    colleague.person_hsa_id = "SE2321000016-P002".into();
    assert!(store.check(P, &colleague, &now).await.unwrap().is_some());
    // …someone at another unit is not, and nor is another patient.
    let mut elsewhere = actor.clone();
    elsewhere.assignment.care_unit_hsa_id = "SE2321000016-Z999".into();
    assert!(store.check(P, &elsewhere, &now).await.unwrap().is_none());
    assert!(
        store
            .check("200001012384", &actor, &now)
            .await
            .unwrap()
            .is_none()
    );
    // Outside its period it does not apply.
    assert!(
        store
            .check(P, &actor, &ts(24 * 31))
            .await
            .unwrap()
            .is_none()
    );

    // Cancelled at the patient's wish: permanent, kept as history.
    store.cancel(&c.id, &actor.person_hsa_id).await.unwrap();
    assert!(store.check(P, &actor, &now).await.unwrap().is_none());
    assert!(matches!(
        store.cancel(&c.id, "x").await,
        Err(ConsentError::AlreadyEnded)
    ));
    assert!(matches!(
        store.cancel("no-such-id", "x").await,
        Err(ConsentError::NotFound)
    ));

    // A personal consent covers that person only; deleting one keeps the reason.
    let personal = store
        .register(
            &NewConsent {
                patient_id: P.into(),
                scope: ConsentScope::Person,
                valid_from: now.clone(),
                valid_to: ts(2),
                represented_by: Some("god man".into()),
            },
            &actor,
        )
        .await
        .unwrap();
    assert!(store.check(P, &actor, &now).await.unwrap().is_some());
    assert!(store.check(P, &colleague, &now).await.unwrap().is_none());
    store
        .delete(&personal.id, &actor.person_hsa_id, "fel patient")
        .await
        .unwrap();
    assert!(store.check(P, &actor, &now).await.unwrap().is_none());
    let history = store.history(P).await.unwrap();
    assert_eq!(history.len(), 2);
    assert!(history.iter().any(|h| h.cancelled_at.is_some()));
    assert!(
        history
            .iter()
            .any(|h| h.deleted_reason.as_deref() == Some("fel patient"))
    );
}

#[tokio::test]
async fn emergency_access_needs_a_reason_and_is_short_lived() {
    let (_t, db) = db().await;
    let actor = actor(&db).await;
    let store = ConsentStore::new(db.clone());
    assert!(matches!(
        store.register_emergency(P, &actor, "  ", 4).await,
        Err(ConsentError::NoReason)
    ));
    assert!(matches!(
        store.register_emergency(P, &actor, "medvetslös", 48).await,
        Err(ConsentError::TooLong)
    ));
    let e = store
        .register_emergency(P, &actor, "Medvetslös patient på akuten", 4)
        .await
        .unwrap();
    assert_eq!(e.kind, ConsentKind::Emergency);
    let now = npo_riv::time::now_timestamp();
    let found = store.check(P, &actor, &now).await.unwrap().unwrap();
    assert_eq!(
        (found.kind, found.reason.as_deref()),
        (ConsentKind::Emergency, Some("Medvetslös patient på akuten"))
    );
    // Personal: a colleague is not covered; and it ends.
    let mut colleague = actor.clone();
    colleague.person_hsa_id = "SE2321000016-P002".into();
    assert!(store.check(P, &colleague, &now).await.unwrap().is_none());
    assert!(store.check(P, &actor, &ts(5)).await.unwrap().is_none());
}

#[tokio::test]
async fn consent_validation_writes_nothing() {
    let (_t, db) = db().await;
    let actor = actor(&db).await;
    let store = ConsentStore::new(db.clone());
    let new = |p: &str, from: String, to: String| NewConsent {
        patient_id: p.into(),
        scope: ConsentScope::CareUnit,
        valid_from: from,
        valid_to: to,
        represented_by: None,
    };
    assert!(matches!(
        store.register(&new("1912", ts(0), ts(1)), &actor).await,
        Err(ConsentError::PatientId)
    ));
    assert!(matches!(
        store.register(&new(P, "2024".into(), ts(1)), &actor).await,
        Err(ConsentError::Time(_))
    ));
    assert!(matches!(
        store.register(&new(P, ts(5), ts(1)), &actor).await,
        Err(ConsentError::Period)
    ));
    assert!(matches!(
        store.register(&new(P, ts(-5), ts(-1)), &actor).await,
        Err(ConsentError::Period)
    ));
    // Backdated: a consent starts when it is registered.
    assert!(matches!(
        store.register(&new(P, ts(-24), ts(24)), &actor).await,
        Err(ConsentError::Backdated)
    ));
    // Not a real personnummer.
    for bad in ["000000000000", "191212121213", "19121312121x"] {
        assert!(matches!(
            store.register(&new(bad, ts(0), ts(1)), &actor).await,
            Err(ConsentError::PatientId)
        ));
    }
    // Free text: bounded, readable.
    let mut long = new(P, ts(0), ts(1));
    long.represented_by = Some("x".repeat(100_000));
    assert!(matches!(
        store.register(&long, &actor).await,
        Err(ConsentError::Text(_))
    ));
    for reason in ["\u{200B}", &"akut ".repeat(200)] {
        assert!(matches!(
            store.register_emergency(P, &actor, reason, 2).await,
            Err(ConsentError::Text(_) | ConsentError::NoReason)
        ));
    }
    assert!(store.history(P).await.unwrap().is_empty());
    // Errors never carry the patient id.
    let err = store
        .register(&new("19121212121x", ts(0), ts(1)), &actor)
        .await
        .unwrap_err()
        .to_string();
    assert!(!err.contains("1912"));
}

#[tokio::test]
async fn patient_relation_register_check_cancel() {
    let (_t, db) = db().await;
    let actor = actor(&db).await;
    let store = RelationStore::new(db.clone());
    let now = npo_riv::time::now_timestamp();
    assert!(store.check(P, &actor, &now).await.unwrap().is_none());
    assert!(matches!(
        store.register(P, &actor, &ts(-1)).await,
        Err(RelationError::ValidTo)
    ));
    assert!(matches!(
        store.register(P, &actor, &ts(24 * 100)).await,
        Err(RelationError::ValidTo)
    ));
    assert!(matches!(
        store.register("abc", &actor, &ts(1)).await,
        Err(RelationError::PatientId)
    ));
    let r = store.register(P, &actor, &ts(8)).await.unwrap();
    assert_eq!(
        store.check(P, &actor, &now).await.unwrap().unwrap().id,
        r.id
    );
    // The relation is the person's own, at their present unit.
    let mut colleague = actor.clone();
    colleague.person_hsa_id = "SE2321000016-P002".into();
    assert!(store.check(P, &colleague, &now).await.unwrap().is_none());
    let mut moved = actor.clone();
    moved.assignment.care_unit_hsa_id = "SE2321000016-Z999".into();
    assert!(store.check(P, &moved, &now).await.unwrap().is_none());
    assert!(
        store.check(P, &actor, &ts(9)).await.unwrap().is_none(),
        "ends at valid_to"
    );
    store.cancel(&r.id, &actor.person_hsa_id).await.unwrap();
    assert!(store.check(P, &actor, &now).await.unwrap().is_none());
    assert!(matches!(
        store.cancel(&r.id, "x").await,
        Err(RelationError::NotFound)
    ));
}
