//! Available patient (AssertCareEngagement) through the router: the care giver's own system
//! answers from its bookings and enrolments.

mod common;

use common::{TestFed, envelope, post, start};
use npo_riv::accesscontrol::{AssertCareEngagement, AssertCareEngagementResponse};
use npo_source::engagement::EngagementKind;

fn days_ago(n: i64) -> String {
    let today = chrono::NaiveDate::parse_from_str(&npo_riv::time::today(), "%Y%m%d").unwrap();
    (today - chrono::Duration::days(n))
        .format("%Y%m%d")
        .to_string()
}

async fn ask(t: &TestFed, source: usize, patient: &str, care_giver: Option<&str>) -> bool {
    let cfg = &t.fed.sources[source].system.cfg;
    let q = AssertCareEngagement {
        performer: "SE2321000016-P001".into(),
        subject_of_care_id: patient.into(),
        care_unit_hsa_id: cfg.care_units[0].hsa_id.clone(),
        care_giver_hsa_id: care_giver.unwrap_or(&cfg.care_giver_hsa_id).into(),
    };
    // Addressed to the care giver; the catalogue routes it to the care giver's record system.
    let r = post(
        &t.consumer,
        t.router(),
        envelope(&cfg.care_giver_hsa_id, &q.write()),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    AssertCareEngagementResponse::parse(&r.envelope().body)
        .unwrap()
        .has_care_engagement
}

#[tokio::test]
async fn the_care_givers_own_system_answers_from_its_engagements() {
    let t = start(|s| s.patients = 5).await;
    let patients = t.fed.info.patients.clone();
    // Demo data: everyone but the fifth patient is enrolled.
    for source in 0..3 {
        assert!(ask(&t, source, &patients[0], None).await);
        assert!(!ask(&t, source, &patients[4], None).await);
    }
    // Another care giver's question is not this system's to answer yes to.
    assert!(!ask(&t, 0, &patients[0], Some("SE2120003140-K001")).await);

    let sys = &t.fed.sources[1].system;
    let unit = sys.cfg.care_units[0].hsa_id.clone();
    let [recent, old, future] = ["195806062383", "194001079120", "200108152386"];
    sys.add_care_engagement(
        recent,
        &unit,
        EngagementKind::Booking,
        &days_ago(30),
        Some(&days_ago(10)),
    )
    .await
    .unwrap();
    sys.add_care_engagement(
        old,
        &unit,
        EngagementKind::Booking,
        &days_ago(60),
        Some(&days_ago(20)),
    )
    .await
    .unwrap();
    sys.add_care_engagement(future, &unit, EngagementKind::Booking, &days_ago(-3), None)
        .await
        .unwrap();
    assert!(
        ask(&t, 1, recent, None).await,
        "ended 10 days ago: still available"
    );
    assert!(!ask(&t, 1, old, None).await, "ended 20 days ago: no longer");
    assert!(!ask(&t, 1, future, None).await, "not started yet");

    // Bad input: refused with a fault, nothing echoed; and bad registrations are refused.
    let bad = AssertCareEngagement {
        performer: "SE2321000016-P001".into(),
        subject_of_care_id: "1912-1212".into(),
        care_unit_hsa_id: unit.clone(),
        care_giver_hsa_id: sys.cfg.care_giver_hsa_id.clone(),
    };
    let r = post(
        &t.consumer,
        t.router(),
        envelope(&sys.cfg.care_giver_hsa_id, &bad.write()),
        &[],
    )
    .await;
    assert_eq!(r.status, 500);
    assert!(!r.body.contains("1912-1212"));
    assert!(
        sys.add_care_engagement(
            recent,
            "SE2321000016-A1B2",
            EngagementKind::Booking,
            "20240101",
            None
        )
        .await
        .is_err()
    );
    assert!(
        sys.add_care_engagement(
            recent,
            &unit,
            EngagementKind::Booking,
            "20240101",
            Some("20230101")
        )
        .await
        .is_err()
    );
    t.shutdown().await;
}
