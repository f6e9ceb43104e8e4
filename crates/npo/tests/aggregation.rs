//! Aggregated calls through the real HTTPS entry points: router → aggregating services →
//! engagement index and source systems.

mod common;

use common::{envelope, post, start};
use npo_riv::common::{DatePeriod, PersonId, Query};
use npo_riv::contract::Contract;
use npo_riv::contracts::{GetCareDocumentationV2, GetDiagnosisV2};
use npo_riv::headers::{CausingAgent, StatusCode};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const TOLVAN: &str = "191212121212";

fn query(patient: &str) -> Query {
    Query::for_patient(PersonId::personnummer(patient))
}

fn doc_ids<C: Contract>(body: &npo_riv::Element) -> BTreeSet<String> {
    C::parse_response(body)
        .expect("a readable response")
        .items
        .iter()
        .map(|i| C::meta(i).document_id.to_owned())
        .collect()
}

#[tokio::test]
async fn aggregated_care_documentation_is_the_union_of_three_sources() {
    let t = start(|_| {}).await;
    let req = GetCareDocumentationV2::write_request(&query(TOLVAN));
    let reply = post(&t.consumer, t.router(), envelope(t.agp(), &req), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.headers["cache-control"], "no-store");

    let status = reply.processing_status();
    let sources: BTreeSet<_> = t
        .fed
        .info
        .sources
        .iter()
        .map(|s| s.hsa_id.clone())
        .collect();
    let reported: BTreeSet<_> = status
        .records
        .iter()
        .map(|r| r.logical_address.clone())
        .collect();
    assert_eq!(reported, sources, "one ProcessingStatus entry per source");
    assert!(
        status
            .records
            .iter()
            .all(|r| r.status == StatusCode::DataFromSource)
    );

    // The union: what each source returns when asked directly through the router.
    let mut expected = BTreeSet::new();
    for s in &t.fed.info.sources {
        let direct = post(&t.consumer, t.router(), envelope(&s.hsa_id, &req), &[]).await;
        assert_eq!(direct.status, 200);
        let ids = doc_ids::<GetCareDocumentationV2>(&direct.envelope().body);
        assert!(!ids.is_empty(), "every demo source has notes for Tolvan");
        expected.extend(ids);
    }
    assert_eq!(
        doc_ids::<GetCareDocumentationV2>(&reply.envelope().body),
        expected
    );
    t.shutdown().await;
}

#[tokio::test]
async fn a_slow_source_and_a_failing_source_do_not_hold_the_answer() {
    let t = start(|spec| {
        spec.sources[1].answer_delay_ms = 10_000;
        spec.agp.timeout_ms = 1_000;
    })
    .await;
    // The third source's store goes away: it answers with a SOAP fault.
    t.fed.sources[2].db.close().await;

    let req = GetCareDocumentationV2::write_request(&query(TOLVAN));
    let started = Instant::now();
    let reply = post(&t.consumer, t.router(), envelope(t.agp(), &req), &[]).await;
    let elapsed = started.elapsed();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        elapsed < Duration::from_secs(8),
        "the answer must not wait for the 10 s source (took {elapsed:?})"
    );

    let status = reply.processing_status();
    let by_source = |hsa: &str| {
        status
            .records
            .iter()
            .find(|r| r.logical_address == hsa)
            .unwrap_or_else(|| panic!("no status for {hsa}"))
            .clone()
    };
    let [ok, slow, failing] = [0, 1, 2].map(|i| by_source(&t.fed.info.sources[i].hsa_id));
    assert_eq!(ok.status, StatusCode::DataFromSource);
    assert_eq!(slow.status, StatusCode::NoDataSynchFailed);
    assert_eq!(slow.error.as_ref().unwrap().code, "TIMEOUT");
    assert_eq!(failing.status, StatusCode::NoDataSynchFailed);
    let e = failing.error.as_ref().unwrap();
    assert_eq!(
        (e.causing_agent, e.code.as_str()),
        (CausingAgent::ServiceProducer, "SOAP_FAULT")
    );
    assert!(
        !failing
            .last_unsuccessful_synch
            .as_deref()
            .unwrap_or("")
            .is_empty()
    );

    // Only the healthy source's records are in the answer.
    let items = GetCareDocumentationV2::parse_response(&reply.envelope().body)
        .unwrap()
        .items;
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|i| i.header.source_system_hsa_id == t.fed.info.sources[0].hsa_id)
    );
    t.shutdown().await;
}

#[tokio::test]
async fn request_filters_period_care_unit_and_source_system() {
    let t = start(|_| {}).await;
    let all_req = GetDiagnosisV2::write_request(&query(TOLVAN));
    let all = post(&t.consumer, t.router(), envelope(t.agp(), &all_req), &[]).await;
    let all = GetDiagnosisV2::parse_response(&all.envelope().body)
        .unwrap()
        .items;
    assert!(all.len() >= 3);

    // Period: only items whose diagnosis time falls in it.
    let mut times: Vec<&str> = all.iter().map(GetDiagnosisV2::filter_time).collect();
    times.sort();
    let start_day = times[times.len() / 2][..8].to_owned();
    let mut q = query(TOLVAN);
    q.period = Some(DatePeriod {
        start: start_day.clone(),
        end: "20991231".into(),
    });
    let r = post(
        &t.consumer,
        t.router(),
        envelope(t.agp(), &GetDiagnosisV2::write_request(&q)),
        &[],
    )
    .await;
    let items = GetDiagnosisV2::parse_response(&r.envelope().body)
        .unwrap()
        .items;
    let expected = all
        .iter()
        .filter(|i| GetDiagnosisV2::filter_time(i)[..8] >= *start_day)
        .count();
    assert_eq!(items.len(), expected);
    assert!(expected > 0 && expected < all.len());

    // Care unit.
    let unit = all[0].header.accountable.care_unit_hsa_id.clone().unwrap();
    let mut q = query(TOLVAN);
    q.care_unit_ids = vec![unit.clone()];
    let r = post(
        &t.consumer,
        t.router(),
        envelope(t.agp(), &GetDiagnosisV2::write_request(&q)),
        &[],
    )
    .await;
    let items = GetDiagnosisV2::parse_response(&r.envelope().body)
        .unwrap()
        .items;
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|i| i.header.accountable.care_unit_hsa_id.as_deref() == Some(unit.as_str()))
    );

    // Source system: only that source is asked (one that holds some of Tolvan's diagnoses).
    let source = &all[all.len() - 1].header.source_system_hsa_id;
    let mut q = query(TOLVAN);
    q.source_system_id = Some(source.clone());
    let r = post(
        &t.consumer,
        t.router(),
        envelope(t.agp(), &GetDiagnosisV2::write_request(&q)),
        &[],
    )
    .await;
    let status = r.processing_status();
    assert_eq!(status.records.len(), 1);
    assert_eq!(&status.records[0].logical_address, source);
    let items = GetDiagnosisV2::parse_response(&r.envelope().body)
        .unwrap()
        .items;
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|i| &i.header.source_system_hsa_id == source)
    );
    t.shutdown().await;
}

#[tokio::test]
async fn source_system_hsa_id_must_equal_the_logical_address() {
    let t = start(|_| {}).await;
    let [a, b] = [&t.fed.info.sources[0].hsa_id, &t.fed.info.sources[1].hsa_id];
    let mut q = query(TOLVAN);
    q.source_system_id = Some(b.clone());
    let r = post(
        &t.consumer,
        t.router(),
        envelope(a, &GetDiagnosisV2::write_request(&q)),
        &[],
    )
    .await;
    assert_eq!(r.status, 200);
    let resp = GetDiagnosisV2::parse_response(&r.envelope().body).unwrap();
    assert!(resp.items.is_empty());
    let result = resp.result.unwrap();
    assert_eq!(result.result_code, npo_riv::common::ResultCode::Error);
    assert_eq!(result.error_code.as_deref(), Some("INVALID_REQUEST"));

    // Matching: served.
    q.source_system_id = Some(a.clone());
    let r = post(
        &t.consumer,
        t.router(),
        envelope(a, &GetDiagnosisV2::write_request(&q)),
        &[],
    )
    .await;
    let resp = GetDiagnosisV2::parse_response(&r.envelope().body).unwrap();
    assert!(!resp.items.is_empty());
    assert_eq!(
        resp.result.unwrap().result_code,
        npo_riv::common::ResultCode::Ok
    );
    t.shutdown().await;
}

#[tokio::test]
async fn a_patient_without_engagements_gets_an_empty_answer() {
    let t = start(|_| {}).await;
    let req = GetCareDocumentationV2::write_request(&query("194001079120"));
    let r = post(&t.consumer, t.router(), envelope(t.agp(), &req), &[]).await;
    assert_eq!(r.status, 200);
    assert!(r.processing_status().records.is_empty());
    assert!(
        GetCareDocumentationV2::parse_response(&r.envelope().body)
            .unwrap()
            .items
            .is_empty()
    );
    t.shutdown().await;
}

#[tokio::test]
async fn sources_the_consumer_may_not_call_are_dropped() {
    let t = start(|_| {}).await;
    let dropped = t.fed.info.sources[2].hsa_id.clone();
    t.change_catalogue(|c| {
        c.authorizations.retain(|a| {
            !(a.consumer_hsa_id == npo::demo::CONSUMER_HSA_ID && a.logical_address == dropped)
        });
    })
    .await;
    let req = GetCareDocumentationV2::write_request(&query(TOLVAN));
    let r = post(&t.consumer, t.router(), envelope(t.agp(), &req), &[]).await;
    let status = r.processing_status();
    assert_eq!(status.records.len(), 2);
    assert!(status.records.iter().all(|s| s.logical_address != dropped));
    let items = GetCareDocumentationV2::parse_response(&r.envelope().body)
        .unwrap()
        .items;
    assert!(
        items
            .iter()
            .all(|i| i.header.source_system_hsa_id != dropped)
    );
    t.shutdown().await;
}

#[tokio::test]
async fn hsa_tree_routes_a_care_unit_to_its_care_givers_source() {
    let t = start(|_| {}).await;
    let source = &t.fed.info.sources[0];
    let unit = npo::demo::sources()[0].care_units[0].hsa_id.clone();
    let req = GetDiagnosisV2::write_request(&query(TOLVAN));
    // The consumer is authorized for the care giver; the unit lies under it in the HSA tree.
    let r = post(&t.consumer, t.router(), envelope(&unit, &req), &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let items = GetDiagnosisV2::parse_response(&r.envelope().body)
        .unwrap()
        .items;
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|i| i.header.source_system_hsa_id == source.hsa_id)
    );
    t.shutdown().await;
}
