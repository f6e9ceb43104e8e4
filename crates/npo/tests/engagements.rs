//! The engagement index through the router, and source-system changes reaching the next
//! aggregated call.

mod common;

use common::{TestFed, envelope, post, start};
use http_body_util::{BodyExt, Full};
use npo_riv::common::{PersonId, Query};
use npo_riv::contract::Contract;
use npo_riv::contracts::GetCareDocumentationV2;
use npo_riv::ei::{
    Engagement, EngagementTransaction, FindContentRequest, FindContentResponse, UpdateRequest,
    UpdateResponse,
};
use std::time::Duration;

const DOMAIN: &str = "riv:clinicalprocess:healthcond:description";

fn engagement(resident: &str, source: &str, most_recent: &str) -> Engagement {
    Engagement {
        registered_resident_identification: resident.into(),
        service_domain: DOMAIN.into(),
        categorization: "voo".into(),
        logical_address: source.into(),
        business_object_instance_identifier: "NA".into(),
        clinical_process_interest_id: "NA".into(),
        most_recent_content: Some(most_recent.into()),
        source_system: source.into(),
        creation_time: None,
        update_time: None,
        data_controller: "2321000016".into(),
        owner: None,
    }
}

async fn update(
    t: &TestFed,
    source_cert: &str,
    transactions: Vec<EngagementTransaction>,
) -> UpdateResponse {
    let client = t.client_as(source_cert);
    let r = post(
        &client,
        t.router(),
        envelope(
            npo::demo::EI_HSA_ID,
            &UpdateRequest { transactions }.write(),
        ),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    UpdateResponse::parse(&r.envelope().body).unwrap()
}

async fn find(t: &TestFed, resident: &str) -> Vec<Engagement> {
    let client = t.client_as("agp");
    let q = FindContentRequest {
        registered_resident_identification: resident.into(),
        service_domain: DOMAIN.into(),
        categorization: Some("voo".into()),
        ..FindContentRequest::default()
    };
    let r = post(
        &client,
        t.router(),
        envelope(npo::demo::EI_HSA_ID, &q.write()),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    FindContentResponse::parse(&r.envelope().body)
        .unwrap()
        .engagements
}

#[tokio::test]
async fn engagement_index_semantics_over_https() {
    let t = start(|s| s.patients = 0).await;
    let src = t.fed.info.sources[0].hsa_id.clone();
    let cert = format!("source-{src}");
    let p = "195806062385";
    let tx = |delete, e| EngagementTransaction {
        delete_flag: delete,
        engagement: e,
    };

    let r = update(
        &t,
        &cert,
        vec![tx(false, engagement(p, &src, "20240101120000"))],
    )
    .await;
    assert_eq!(r.result_code, "OK");
    assert_eq!(find(&t, p).await.len(), 1);
    // Upsert, newer wins, older does not.
    update(
        &t,
        &cert,
        vec![tx(false, engagement(p, &src, "20250101120000"))],
    )
    .await;
    update(
        &t,
        &cert,
        vec![tx(false, engagement(p, &src, "20200101120000"))],
    )
    .await;
    let found = find(&t, p).await;
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].most_recent_content.as_deref(),
        Some("20250101120000")
    );
    assert_eq!(found[0].owner.as_deref(), Some(npo::demo::EI_HSA_ID));
    // Validation: a duplicate in one request changes nothing.
    let other = engagement(p, "SE2321000016-OTHER", "20250101120000");
    let r = update(&t, &cert, vec![tx(false, other.clone()), tx(false, other)]).await;
    assert_eq!(r.result_code, "ERROR");
    assert!(r.comment.unwrap().contains("EI003"));
    assert_eq!(find(&t, p).await.len(), 1);
    // Validation: a missing required field.
    let broken = UpdateRequest {
        transactions: vec![tx(false, engagement(p, &src, "20250101120000"))],
    }
    .write()
    .replace("<core:dataController>2321000016</core:dataController>", "");
    let client = t.client_as(&cert);
    let reply = post(
        &client,
        t.router(),
        envelope(npo::demo::EI_HSA_ID, &broken),
        &[],
    )
    .await;
    let r = UpdateResponse::parse(&reply.envelope().body).unwrap();
    assert_eq!(r.result_code, "ERROR");
    assert!(r.comment.unwrap().contains("dataController"));
    // Delete.
    let r = update(
        &t,
        &cert,
        vec![tx(true, engagement(p, &src, "20250101120000"))],
    )
    .await;
    assert_eq!(r.result_code, "OK");
    assert!(find(&t, p).await.is_empty());
    // The consumer may not write to the index.
    let r = post(
        &t.consumer,
        t.router(),
        envelope(
            npo::demo::EI_HSA_ID,
            &UpdateRequest {
                transactions: vec![tx(false, engagement(p, &src, "20250101120000"))],
            }
            .write(),
        ),
        &[],
    )
    .await;
    assert_eq!(r.fault_code().as_deref(), Some("VP007"));
    t.shutdown().await;
}

async fn admin(
    t: &TestFed,
    method: &str,
    source: usize,
    path: &str,
    body: String,
) -> (u16, String) {
    let client = t.client_as("admin");
    let url = format!("{}admin/records/{path}", t.fed.info.sources[source].url);
    let req = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json")
        .body(Full::new(bytes::Bytes::from(body)))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn aggregated_notes(
    t: &TestFed,
    patient: &str,
) -> Vec<npo_riv::contracts::care_documentation_v2::CareDocumentation> {
    let req =
        GetCareDocumentationV2::write_request(&Query::for_patient(PersonId::personnummer(patient)));
    let r = post(&t.consumer, t.router(), envelope(t.agp(), &req), &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    GetCareDocumentationV2::parse_response(&r.envelope().body)
        .unwrap()
        .items
}

/// Waits until the source has delivered its queued engagement updates.
async fn synced(t: &TestFed, source: usize) {
    for _ in 0..100 {
        if t.fed.sources[source]
            .system
            .sync_engagements()
            .await
            .unwrap()
            == 0
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("engagement index never caught up");
}

#[tokio::test]
async fn a_change_in_a_source_system_is_visible_in_the_next_aggregated_call() {
    let t = start(|_| {}).await;
    // A patient nobody knows yet gets a note at the municipality.
    let patient = "195806062385";
    assert!(aggregated_notes(&t, patient).await.is_empty());
    let (mut note, _) = npo_source::seed::records(&npo::demo::sources()[1], &[patient.to_owned()]);
    let mut note = note.remove(0);
    note.header.document_id = "kommun-anteckning-1".into();
    note.note.text = Some("Hembesök: patienten mår bättre, såret läker.".into());
    let json = serde_json::to_string(&note).unwrap();

    let (status, body) = admin(
        &t,
        "PUT",
        1,
        "GetCareDocumentation_2.1/kommun-anteckning-1",
        json.clone(),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    synced(&t, 1).await;
    let notes = aggregated_notes(&t, patient).await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].note.text, note.note.text);

    // Updated in place.
    note.note.text = Some("Rättad: såret är läkt.".into());
    let (status, _) = admin(
        &t,
        "PUT",
        1,
        "GetCareDocumentation_2.1/kommun-anteckning-1",
        serde_json::to_string(&note).unwrap(),
    )
    .await;
    assert_eq!(status, 204);
    synced(&t, 1).await;
    let notes = aggregated_notes(&t, patient).await;
    assert_eq!(notes.len(), 1);
    assert_eq!(
        notes[0].note.text.as_deref(),
        Some("Rättad: såret är läkt.")
    );

    // Deleted: gone, and the engagement with it.
    let (status, _) = admin(
        &t,
        "DELETE",
        1,
        "GetCareDocumentation_2.1/kommun-anteckning-1",
        String::new(),
    )
    .await;
    assert_eq!(status, 204);
    synced(&t, 1).await;
    assert!(aggregated_notes(&t, patient).await.is_empty());
    assert!(find(&t, patient).await.is_empty());

    // Bad input changes nothing and says why, without echoing the record.
    let (status, body) = admin(
        &t,
        "PUT",
        1,
        "GetCareDocumentation_2.1/x",
        "{\"header\": 1}".into(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = admin(
        &t,
        "PUT",
        1,
        "GetCareDocumentation_2.1/other-id",
        json.clone(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // Another system's record may not be written here.
    let (status, body) = admin(
        &t,
        "PUT",
        0,
        "GetCareDocumentation_2.1/kommun-anteckning-1",
        json.clone(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = admin(&t, "PUT", 1, "NoSuchContract/x", json.clone()).await;
    assert_eq!(status, 404);
    // Only the admin system may change records.
    let req = hyper::Request::put(format!(
        "{}admin/records/GetCareDocumentation_2.1/x",
        t.fed.info.sources[1].url
    ))
    .body(Full::new(bytes::Bytes::from(json)))
    .unwrap();
    assert_eq!(
        t.consumer.request(req).await.unwrap().status().as_u16(),
        403
    );
    assert!(aggregated_notes(&t, patient).await.is_empty());
    t.shutdown().await;
}

#[tokio::test]
async fn engagement_updates_survive_an_unreachable_index() {
    let t = start(|_| {}).await;
    let patient = "195806062385";
    // The index's routing disappears: updates cannot be delivered and stay queued.
    let saved = t.fed.platform.tak_store.load().await.unwrap().1;
    t.change_catalogue(|c| {
        c.routings.retain(|r| r.id != "demo-ei-update");
    })
    .await;
    let (mut notes, _) = npo_source::seed::records(&npo::demo::sources()[0], &[patient.to_owned()]);
    let note = notes.remove(0);
    t.fed.sources[0]
        .system
        .put::<GetCareDocumentationV2>(&note)
        .await
        .unwrap();
    assert!(t.fed.sources[0].system.sync_engagements().await.is_err());
    assert!(aggregated_notes(&t, patient).await.is_empty());
    // Back again: the queued update is delivered.
    t.change_catalogue(|c| *c = saved.clone()).await;
    synced(&t, 0).await;
    assert_eq!(aggregated_notes(&t, patient).await.len(), 1);
    t.shutdown().await;
}
