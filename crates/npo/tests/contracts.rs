//! Every information contract end to end, through the real HTTPS entry points: synthetic records
//! in three source systems → the engagement index → the aggregating service, with every answer
//! validated against the contract's XSD (`common::post`), and the request filters a contract
//! has (period, care unit, source system) shown to select what they should.

mod common;

use common::{TestFed, envelope, post, start};
use npo_riv::common::{DatePeriod, PersonId, Query};
use npo_riv::contract::Contract;
use npo_riv::headers::StatusCode;
use std::collections::{BTreeMap, BTreeSet};

/// Patients in the federation: enough that every contract (maternity care, referral flows) has
/// someone with records in two source systems.
const PATIENTS: usize = 200;

/// documentId → (source system, care unit, filter time) of an answer.
type Seen = BTreeMap<String, (String, Option<String>, String)>;

fn seen<C: Contract>(items: &[C::Item]) -> Seen {
    items
        .iter()
        .map(|i| {
            let m = C::meta(i);
            (
                m.document_id.to_owned(),
                (
                    m.source_system.to_owned(),
                    m.care_unit.map(str::to_owned),
                    C::filter_time(i).to_owned(),
                ),
            )
        })
        .collect()
}

async fn call<C: Contract>(t: &TestFed, la: &str, q: &Query) -> (Vec<C::Item>, common::Reply) {
    let req = C::write_request(&C::Request::from(q.clone()));
    let r = post(&t.consumer, t.router(), envelope(la, &req), &[]).await;
    assert_eq!(r.status, 200, "{} {}: {}", C::NAME, C::VERSION, r.body);
    let resp = C::parse_response(&r.envelope().body)
        .unwrap_or_else(|e| panic!("{} {}: unreadable answer: {e}", C::NAME, C::VERSION));
    (resp.items, r)
}

/// Whether the contract's request carries a filter: written and read back, it is still there.
fn carries<C: Contract>(q: &Query, has: impl Fn(&Query) -> bool) -> bool {
    let el = npo_riv::xml::parse(
        C::write_request(&C::Request::from(q.clone())).as_bytes(),
        &Default::default(),
    )
    .expect("request parses");
    C::parse_request(&el).is_ok_and(|r| has(C::query(&r)))
}

async fn check<C: Contract>(t: &TestFed) {
    let name = format!("{} {}", C::NAME, C::VERSION);
    // The patient whose records of this contract are spread over the most source systems
    // (chosen in the store; everything after goes through the real entry points).
    let db = npo_store::Db::connect(&t.fed.platform_database_url())
        .await
        .expect("store");
    let candidates: Vec<(String, i64)> = npo_store::sqlx::query_as(
        "SELECT patient_id, COUNT(DISTINCT source_hsa_id) AS n FROM source_records \
         WHERE contract_namespace = $1 GROUP BY patient_id ORDER BY n DESC, patient_id LIMIT 1",
    )
    .bind(C::NAMESPACE)
    .fetch_all(&db.pool)
    .await
    .expect("query");
    db.close().await;
    let patient = candidates.first().map(|c| c.0.clone()).unwrap_or_default();
    // Each source's records of the patient, asked directly through the router.
    let q = Query::for_patient(PersonId::for_patient_id(&patient));
    let mut per_source = BTreeMap::new();
    for s in &t.fed.info.sources {
        let (items, _) = call::<C>(t, &s.hsa_id, &q).await;
        if !items.is_empty() {
            per_source.insert(s.hsa_id.clone(), seen::<C>(&items));
        }
    }
    assert!(
        per_source.len() >= 2,
        "{name}: no patient has records in two source systems"
    );
    let union: Seen = per_source
        .values()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();

    // The aggregated answer is the union, with one status per source, all answered.
    let (items, reply) = call::<C>(t, t.agp(), &q).await;
    let all = seen::<C>(&items);
    assert_eq!(
        all.keys().collect::<BTreeSet<_>>(),
        union.keys().collect::<BTreeSet<_>>(),
        "{name}: the aggregated answer is the union of the sources'"
    );
    let status = reply.processing_status();
    let reported: BTreeSet<_> = status
        .records
        .iter()
        .map(|r| r.logical_address.clone())
        .collect();
    for s in per_source.keys() {
        assert!(reported.contains(s), "{name}: no status for {s}");
    }
    assert!(
        status
            .records
            .iter()
            .all(|r| r.status == StatusCode::DataFromSource),
        "{name}: a source failed"
    );

    // Source system: only that source's records.
    let source = per_source.keys().next().expect("a source").clone();
    let mut f = q.clone();
    f.source_system_id = Some(source.clone());
    if carries::<C>(&f, |q| q.source_system_id.is_some()) {
        let (items, _) = call::<C>(t, t.agp(), &f).await;
        let got = seen::<C>(&items);
        assert_eq!(
            got.keys().collect::<BTreeSet<_>>(),
            per_source[&source].keys().collect::<BTreeSet<_>>(),
            "{name}: source-system filter"
        );
    } else {
        eprintln!("{name}: the contract has no source-system filter");
    }

    // Care unit: only records of that unit (the unit of the first record that has one).
    if let Some(unit) = all.values().find_map(|(_, u, _)| u.clone()) {
        let mut f = q.clone();
        f.care_unit_ids = vec![unit.clone()];
        if carries::<C>(&f, |q| !q.care_unit_ids.is_empty()) {
            let (items, _) = call::<C>(t, t.agp(), &f).await;
            let got = seen::<C>(&items);
            let expected: BTreeSet<_> = all
                .iter()
                .filter(|(_, (_, u, _))| u.as_deref() == Some(unit.as_str()))
                .map(|(k, _)| k)
                .collect();
            assert!(!got.is_empty(), "{name}: care-unit filter found nothing");
            assert_eq!(
                got.keys().collect::<BTreeSet<_>>(),
                expected,
                "{name}: care-unit filter"
            );
        } else {
            eprintln!("{name}: the contract has no care-unit filter");
        }
    }

    // Period: from the median day on. Where the period applies to the filter time, exactly
    // the records from that day; otherwise (overlap rules) a subset holding all of those.
    let mut days: Vec<&str> = all.values().map(|(_, _, t)| &t[..8]).collect();
    days.sort();
    let from = days[days.len() / 2].to_owned();
    let mut f = q.clone();
    f.period = Some(DatePeriod {
        start: from.clone(),
        end: "20991231".into(),
    });
    if carries::<C>(&f, |q| q.period.is_some()) {
        let (items, _) = call::<C>(t, t.agp(), &f).await;
        let got: BTreeSet<String> = seen::<C>(&items).into_keys().collect();
        let from_day: BTreeSet<String> = all
            .iter()
            .filter(|(_, (_, _, t))| t[..8] >= *from)
            .map(|(k, _)| k.clone())
            .collect();
        assert!(!got.is_empty(), "{name}: period filter found nothing");
        if C::PERIOD_ON_FILTER_TIME {
            assert_eq!(got, from_day, "{name}: period filter");
        } else {
            assert!(
                got.is_superset(&from_day),
                "{name}: period (overlap) filter"
            );
            assert!(got.iter().all(|k| all.contains_key(k)));
        }
    } else {
        eprintln!("{name}: the contract has no period filter");
    }
}

#[tokio::test]
async fn every_contract_aggregates_over_sources_and_filters() {
    let t = start(|s| {
        s.patients = PATIENTS;
        s.sources = npo::demo::all_sources();
    })
    .await;
    macro_rules! check_all {
        ($($c:ty),* $(,)?) => { $( check::<$c>(&t).await; )* };
    }
    npo_riv::for_each_contract!(check_all);
    t.shutdown().await;
}

/// GetCareDocumentation 3.0 pages: a source answers at most `PAGE_SIZE` notes and a `hasMore`
/// reference; following the references yields every note once; the aggregating service passes
/// the reference on.
#[tokio::test]
async fn care_documentation_3_pages_with_has_more() {
    use npo_riv::contracts::GetCareDocumentationV3;
    use npo_riv::contracts::care_documentation_v3::CareDocumentation;
    const NOTES: usize = 120;
    let t = start(|s| s.patients = 1).await;
    // A note of Tolvan's at the first source, copied with new ids and times.
    let source = t.fed.sources[0].system.clone();
    let la = source.cfg.hsa_id.clone();
    let pop = npo::seeding::population(
        1,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        &t.fed
            .sources
            .iter()
            .map(|n| n.system.cfg.clone())
            .collect::<Vec<_>>(),
    )
    .expect("the sources have care units");
    let mut sink = npo_seed::check::Collect::<GetCareDocumentationV3>::default();
    let _ = pop.emit(0, &mut sink);
    let template: CareDocumentation = sink
        .items
        .into_iter()
        .find(|n| n.header.source_system_id.extension.as_deref() == Some(la.as_str()))
        .expect("a note at the first source");
    for i in 0..NOTES {
        let mut n = template.clone();
        n.header.record.id.extension = Some(format!("paging-{i:03}"));
        let time = format!("2025{:02}{:02}120000", 1 + i % 12, 1 + i % 28);
        n.header.access_control.block_comparison_time = time.clone();
        if let Some(a) = n.header.author.as_mut() {
            a.timestamp = time;
        }
        source
            .put::<GetCareDocumentationV3>(&n)
            .await
            .expect("stored");
    }
    let page_size = GetCareDocumentationV3::PAGE_SIZE.expect("the contract pages");
    let mut q = Query::for_patient(PersonId::for_patient_id(TOLVAN_ID));
    q.period = Some(DatePeriod {
        start: "20250101".into(),
        end: "20251231".into(),
    });
    // Directly, page by page.
    let mut seen = BTreeSet::new();
    let mut reference: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut req =
            npo_riv::contracts::care_documentation_v3::CareDocumentationRequest::from(q.clone());
        req.has_more_reference = reference.clone();
        let r = post(
            &t.consumer,
            t.router(),
            envelope(&la, &GetCareDocumentationV3::write_request(&req)),
            &[],
        )
        .await;
        let resp = GetCareDocumentationV3::parse_response(&r.envelope().body).unwrap();
        pages += 1;
        assert!(resp.items.len() <= page_size);
        for item in &resp.items {
            assert!(
                seen.insert(GetCareDocumentationV3::meta(item).document_id.to_owned()),
                "a note came twice"
            );
        }
        match resp.has_more.first() {
            Some(m) => {
                assert_eq!(m.logical_address, la);
                reference = Some(m.reference.clone());
            }
            None => break,
        }
    }
    assert!(seen.len() >= NOTES, "every note once ({} seen)", seen.len());
    assert_eq!(pages, seen.len().div_ceil(page_size));

    // Through the aggregating services: the first page and the reference to the rest.
    let (items, reply) = call::<GetCareDocumentationV3>(&t, t.agp(), &q).await;
    let resp = GetCareDocumentationV3::parse_response(&reply.envelope().body).unwrap();
    assert!(items.len() < seen.len());
    assert!(resp.has_more.iter().any(|m| m.logical_address == la));

    // A forged reference is a logical error, not a crash.
    let mut req =
        npo_riv::contracts::care_documentation_v3::CareDocumentationRequest::from(q.clone());
    req.has_more_reference = Some("not-a-reference".into());
    let r = post(
        &t.consumer,
        t.router(),
        envelope(&la, &GetCareDocumentationV3::write_request(&req)),
        &[],
    )
    .await;
    let resp = GetCareDocumentationV3::parse_response(&r.envelope().body).unwrap();
    assert!(resp.items.is_empty());
    assert_eq!(
        resp.result.map(|r| r.result_code),
        Some(npo_riv::common::ResultCode::Error)
    );
    t.shutdown().await;
}

const TOLVAN_ID: &str = "191212121212";
