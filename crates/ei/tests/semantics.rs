//! Engagement-index semantics against a real database (SQLite or PostgreSQL, per NPO_TEST_DB).

use npo_ei::EngagementIndex;
use npo_riv::ei::{Engagement, EngagementTransaction, FindContentRequest, UpdateRequest};
use npo_store::testing::TestDb;

const OWNER: &str = "SE5565594230-EI";

fn engagement(
    resident: &str,
    source: &str,
    category: &str,
    most_recent: Option<&str>,
) -> Engagement {
    Engagement {
        registered_resident_identification: resident.into(),
        service_domain: "riv:clinicalprocess:healthcond:description".into(),
        categorization: category.into(),
        logical_address: source.into(),
        business_object_instance_identifier: "NA".into(),
        clinical_process_interest_id: "NA".into(),
        most_recent_content: most_recent.map(Into::into),
        source_system: source.into(),
        creation_time: None,
        update_time: None,
        data_controller: "2321000016".into(),
        owner: None,
    }
}

fn tx(delete: bool, e: Engagement) -> EngagementTransaction {
    EngagementTransaction {
        delete_flag: delete,
        engagement: e,
    }
}

fn find(resident: &str) -> FindContentRequest {
    FindContentRequest {
        registered_resident_identification: resident.into(),
        service_domain: "riv:clinicalprocess:healthcond:description".into(),
        ..FindContentRequest::default()
    }
}

async fn index() -> (TestDb, EngagementIndex) {
    let t = TestDb::new().await.expect("test database");
    let db = t.connect().await.expect("connect");
    (t, EngagementIndex::new(db, OWNER))
}

#[tokio::test]
async fn upsert_is_idempotent_and_newer_wins() {
    let (_t, ei) = index().await;
    let p = "191212121212";
    let e1 = engagement(p, "SE2321000016-S1", "voo", Some("20240101120000"));
    let out = ei
        .update(&UpdateRequest {
            transactions: vec![tx(false, e1.clone())],
        })
        .await
        .unwrap();
    assert_eq!(out.response.result_code, "OK");
    assert_eq!(out.changed.len(), 1);

    // Same again: nothing changes, no notification.
    let out = ei
        .update(&UpdateRequest {
            transactions: vec![tx(false, e1.clone())],
        })
        .await
        .unwrap();
    assert_eq!(out.changed.len(), 0);

    // Older content does not overwrite newer.
    let older = engagement(p, "SE2321000016-S1", "voo", Some("20230101120000"));
    let out = ei
        .update(&UpdateRequest {
            transactions: vec![tx(false, older)],
        })
        .await
        .unwrap();
    assert_eq!(
        (out.response.result_code.as_str(), out.changed.len()),
        ("OK", 0)
    );
    let found = ei.find_content(&find(p)).await.unwrap().engagements;
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].most_recent_content.as_deref(),
        Some("20240101120000")
    );
    assert_eq!(found[0].owner.as_deref(), Some(OWNER));

    // Newer content does.
    let newer = engagement(p, "SE2321000016-S1", "voo", Some("20250101120000"));
    let out = ei
        .update(&UpdateRequest {
            transactions: vec![tx(false, newer)],
        })
        .await
        .unwrap();
    assert_eq!(out.changed.len(), 1);
    let found = ei.find_content(&find(p)).await.unwrap().engagements;
    assert_eq!(found.len(), 1, "upsert by business key, not a second row");
    assert_eq!(
        found[0].most_recent_content.as_deref(),
        Some("20250101120000")
    );
}

#[tokio::test]
async fn delete_and_filters() {
    let (_t, ei) = index().await;
    let p = "191212121212";
    let a = engagement(p, "SE2321000016-S1", "voo", Some("20240101120000"));
    let b = engagement(p, "SE2321000016-S2", "voo", Some("20240101120000"));
    let c = engagement(p, "SE2321000016-S2", "dia", Some("20240101120000"));
    let other = engagement("201212121212", "SE2321000016-S1", "voo", None);
    ei.update(&UpdateRequest {
        transactions: vec![
            tx(false, a.clone()),
            tx(false, b),
            tx(false, c),
            tx(false, other),
        ],
    })
    .await
    .unwrap();
    assert_eq!(
        ei.find_content(&find(p)).await.unwrap().engagements.len(),
        3
    );
    let mut q = find(p);
    q.categorization = Some("voo".into());
    assert_eq!(ei.find_content(&q).await.unwrap().engagements.len(), 2);
    q.source_system = Some("SE2321000016-S2".into());
    assert_eq!(ei.find_content(&q).await.unwrap().engagements.len(), 1);
    let mut q = find(p);
    q.logical_address = Some("SE2321000016-S1".into());
    assert_eq!(ei.find_content(&q).await.unwrap().engagements.len(), 1);
    let mut q = find(p);
    q.most_recent_content = Some("20240101120001".into());
    assert_eq!(ei.find_content(&q).await.unwrap().engagements.len(), 0);

    let out = ei
        .update(&UpdateRequest {
            transactions: vec![tx(true, a.clone())],
        })
        .await
        .unwrap();
    assert_eq!(out.changed.len(), 1);
    assert_eq!(
        ei.find_content(&find(p)).await.unwrap().engagements.len(),
        2
    );
    // Deleting what is not there is fine and changes nothing.
    let out = ei
        .update(&UpdateRequest {
            transactions: vec![tx(true, a)],
        })
        .await
        .unwrap();
    assert_eq!(
        (out.response.result_code.as_str(), out.changed.len()),
        ("OK", 0)
    );
}

#[tokio::test]
async fn validation_errors_change_nothing() {
    let (_t, ei) = index().await;
    let p = "191212121212";
    let a = engagement(p, "SE2321000016-S1", "voo", Some("20240101120000"));
    let fresh = engagement(p, "SE2321000016-S9", "voo", None);
    let out = ei
        .update(&UpdateRequest {
            transactions: vec![tx(false, fresh), tx(false, a.clone()), tx(true, a)],
        })
        .await
        .unwrap();
    assert_eq!(out.response.result_code, "ERROR");
    assert!(out.response.comment.unwrap().contains("EI003"));
    assert!(
        ei.find_content(&find(p))
            .await
            .unwrap()
            .engagements
            .is_empty(),
        "nothing written"
    );

    let many: Vec<_> = (0..1001)
        .map(|i| {
            tx(
                false,
                engagement(p, &format!("SE2321000016-S{i}"), "voo", None),
            )
        })
        .collect();
    let out = ei
        .update(&UpdateRequest {
            transactions: many[..1001].to_vec(),
        })
        .await
        .unwrap();
    assert_eq!(out.response.result_code, "ERROR");
    assert!(out.response.comment.unwrap().contains("EI002"));
    let out = ei
        .update(&UpdateRequest {
            transactions: many[..1000].to_vec(),
        })
        .await
        .unwrap();
    assert_eq!(out.response.result_code, "OK");
    assert_eq!(
        ei.find_content(&find(p)).await.unwrap().engagements.len(),
        1000
    );
}
