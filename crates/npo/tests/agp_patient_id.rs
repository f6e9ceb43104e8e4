//! The aggregating services refuse a patient id they cannot use — a bad format, an id type
//! (OID) that is not personnummer or samordningsnummer, or an id that does not match its type —
//! with the contract's own error (an `ERROR`/`INVALID_REQUEST` result, or a SOAP fault where the
//! contract has no result), never with "OK, no records". Every contract, through the router over
//! HTTPS; every answer is XSD-validated by `common::post`.

mod common;

use common::{TestFed, envelope, post, start};
use npo_riv::common::{OID_PERSONNUMMER, OID_SAMORDNINGSNUMMER, PersonId, Query, ResultCode};
use npo_riv::contract::Contract;
use npo_riv::headers::StatusCode;
use npo_riv::ids::luhn_check_digit;

const TOLVAN: &str = "191212121212";

/// A valid samordningsnummer (Tolvan's date, day + 60).
fn samordningsnummer() -> String {
    format!(
        "19121272121{}",
        luhn_check_digit(&[1, 2, 1, 2, 7, 2, 1, 2, 1])
    )
}

fn person(id: &str, oid: &str) -> PersonId {
    PersonId {
        id: id.into(),
        type_: oid.into(),
    }
}

/// What the contract's request carries of `p` once written and read back (RequestActivities
/// 1.0 has no id type: `None`); `None` also when the request cannot be read back at all.
fn carried_type<C: Contract>(p: &PersonId) -> Option<String> {
    let body = C::write_request(&C::Request::from(Query::for_patient(p.clone())));
    let el = npo_riv::xml::parse(body.as_bytes(), &Default::default()).ok()?;
    let req = C::parse_request(&el).ok()?;
    Some(C::query(&req).patient_id.type_.clone()).filter(|t| *t == p.type_)
}

async fn ask<C: Contract>(t: &TestFed, p: &PersonId) -> common::Reply {
    let req = C::write_request(&C::Request::from(Query::for_patient(p.clone())));
    post(&t.consumer, t.router(), envelope(t.agp(), &req), &[]).await
}

/// A refused id: the contract's error form, no item, and no trace of the id in the answer.
fn assert_refused<C: Contract>(p: &PersonId, case: &str, r: &common::Reply, kind: &str) {
    let name = format!("{} {} ({case})", C::NAME, C::VERSION);
    let digits: String = p.id.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= 6 {
        assert!(
            !r.body.contains(&p.id) && !r.body.contains(&digits),
            "{name}: the answer repeats the id: {}",
            r.body
        );
    }
    let env = r.envelope();
    if C::HAS_RESULT {
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        let resp = C::parse_response(&env.body)
            .unwrap_or_else(|e| panic!("{name}: unreadable answer: {e}"));
        assert!(resp.items.is_empty(), "{name}: items for a refused id");
        let result = resp
            .result
            .unwrap_or_else(|| panic!("{name}: no result: {}", r.body));
        assert_eq!(result.result_code, ResultCode::Error, "{name}");
        // GetCareDocumentation 3.0's result has no errorCode; every other one says which.
        if C::NAMESPACE != npo_riv::contracts::care_documentation_v3::NAMESPACE {
            assert_eq!(
                result.error_code.as_deref(),
                Some("INVALID_REQUEST"),
                "{name}"
            );
        }
        let message = result.message.unwrap_or_default();
        assert!(message.contains(kind), "{name}: {message}");
    } else {
        assert_eq!(r.status, 500, "{name}: {}", r.body);
        let fault = env
            .fault()
            .unwrap_or_else(|| panic!("{name}: no fault: {}", r.body));
        assert_eq!(fault.code, "soap:Client", "{name}");
        assert!(
            fault.string.contains(kind) || fault.string.contains("subjectOfCareId"),
            "{name}: {}",
            fault.string
        );
    }
}

async fn check<C: Contract>(t: &TestFed) {
    let name = format!("{} {}", C::NAME, C::VERSION);
    let format = "fel format";
    for bad in ["19121212-1212", "abc", "191212121213"] {
        let p = person(bad, OID_PERSONNUMMER);
        let r = ask::<C>(t, &p).await;
        assert_refused::<C>(&p, bad, &r, format);
    }
    let samordning = samordningsnummer();
    let typed = [
        (person(TOLVAN, "1.2.752.129.2.1.3.99"), "stöds inte"),
        (person(TOLVAN, OID_SAMORDNINGSNUMMER), "stämmer inte"),
        (person(&samordning, OID_PERSONNUMMER), "stämmer inte"),
    ];
    if carried_type::<C>(&typed[0].0).is_some() {
        for (p, kind) in &typed {
            let r = ask::<C>(t, p).await;
            assert_refused::<C>(p, &format!("type {}", p.type_), &r, kind);
        }
    } else {
        eprintln!("{name}: the request carries no id type");
    }

    // A valid id still works: an answer without error, every source answered.
    for p in [
        PersonId::personnummer(TOLVAN),
        person(&samordning, OID_SAMORDNINGSNUMMER),
    ] {
        let r = ask::<C>(t, &p).await;
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        let resp = C::parse_response(&r.envelope().body)
            .unwrap_or_else(|e| panic!("{name}: unreadable answer: {e}"));
        assert!(
            resp.result
                .is_none_or(|res| res.result_code != ResultCode::Error),
            "{name}: a valid id refused: {}",
            r.body
        );
        assert!(
            r.processing_status()
                .records
                .iter()
                .all(|s| s.status == StatusCode::DataFromSource),
            "{name}: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn every_contract_refuses_ids_it_cannot_use_and_answers_valid_ones() {
    let t = start(|_| {}).await;
    macro_rules! each {
        ($($c:ty),* $(,)?) => { $( check::<$c>(&t).await; )* };
    }
    npo_riv::for_each_contract!(each);
    t.shutdown().await;
}

#[tokio::test]
async fn tolvan_under_a_foreign_oid_gets_none_of_his_records() {
    use npo_riv::contracts::GetCareDocumentationV2 as C;
    let t = start(|_| {}).await;
    let ok = ask::<C>(&t, &PersonId::personnummer(TOLVAN)).await;
    let own = C::parse_response(&ok.envelope().body).unwrap();
    assert!(!own.items.is_empty(), "the demo has notes for Tolvan");
    let foreign = person(TOLVAN, "1.2.752.129.2.1.3.99");
    let r = ask::<C>(&t, &foreign).await;
    assert_refused::<C>(&foreign, "foreign OID", &r, "stöds inte");
    t.shutdown().await;
}
