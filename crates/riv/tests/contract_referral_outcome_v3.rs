//! GetReferralOutcome 3.1: round trips through the official schema, strict reading, the view.

mod support;

use npo_riv::common::{
    Cv, DatePeriod, HealthcareProfessional, LegalAuthenticator, OrgUnit, PatientSummaryHeader,
    PersonId, Query, ResultCode, ResultType,
};
use npo_riv::contracts::referral_outcome_v3::{
    Act, ActCode, Attested, ClinicalInformation, GetReferralOutcomeV3, KVA, NAMESPACE, Referral,
    ReferralOutcome, ReferralOutcomeBody, ReferralOutcomeType,
};
use npo_riv::xml::Element;
use npo_riv::{Contract, ContractError, Response};
use support::{check_request, check_response, find_mut, parse};

const PATIENT: &str = "191212121212";
const SOURCE: &str = "SE5566778899-SRC3";
const CARE_UNIT: &str = "SE5566778899-U001";
const CARE_GIVER: &str = "SE5566778899-0001";

fn patient() -> PersonId {
    PersonId::personnummer(PATIENT)
}

fn referrer() -> HealthcareProfessional {
    HealthcareProfessional {
        author_time: "20240201084500".into(),
        hsa_id: Some("SE2321000016-P1010".into()),
        name: Some("Karin Lindqvist".into()),
        role_code: Some(Cv {
            original_text: Some("Distriktsläkare".into()),
            ..Cv::default()
        }),
        org_unit: Some(OrgUnit {
            hsa_id: "SE2321000016-U001".into(),
            name: "Vårdcentralen Ekbacken".into(),
            telecom: Some("0470-100 00".into()),
            email: None,
            address: Some("Ekbacksvägen 2, 352 36 Växjö".into()),
            location: None,
        }),
        care_unit_hsa_id: None,
        care_giver_hsa_id: None,
    }
}

fn full_item() -> ReferralOutcome {
    ReferralOutcome {
        header: PatientSummaryHeader {
            document_id: "191212121212-und-kon-ure-1".into(),
            source_system_hsa_id: SOURCE.into(),
            document_title: Some("Remissvar ortopedi".into()),
            document_time: Some("20240315160000".into()),
            patient_id: patient(),
            accountable: HealthcareProfessional {
                author_time: "20240315143000".into(),
                hsa_id: Some("SE5566778899-P1001".into()),
                name: Some("Johan Ek".into()),
                role_code: Some(Cv::coded("LK", "1.2.752.129.2.2.1.4", "Läkare")),
                org_unit: Some(OrgUnit {
                    hsa_id: CARE_UNIT.into(),
                    name: "Privatkliniken Centrum".into(),
                    telecom: None,
                    email: None,
                    address: None,
                    location: None,
                }),
                care_unit_hsa_id: Some(CARE_UNIT.into()),
                care_giver_hsa_id: Some(CARE_GIVER.into()),
            },
            legal_authenticator: Some(LegalAuthenticator {
                signature_time: "20240315150000".into(),
                hsa_id: Some("SE5566778899-P1001".into()),
                name: Some("Johan Ek".into()),
            }),
            approved_for_patient: true,
            care_contact_id: Some("PK-2024-311".into()),
            nullified: None,
            nullified_reason: None,
        },
        body: ReferralOutcomeBody {
            type_code: ReferralOutcomeType::FinalAnswer,
            title: "Ortopedi".into(),
            text: "Medial gonartros höger knä, Ahlbäck grad 2. Fortsatt artrosskola och \
                   fysioterapi. Ingen indikation för protesoperation i nuläget. Åter vid \
                   försämring."
                .into(),
            clinical_information: vec![
                ClinicalInformation {
                    code: "M17.9".into(),
                    text: "Gonartros, ospecificerad".into(),
                },
                ClinicalInformation {
                    code: "I10".into(),
                    text: "Essentiell hypertoni".into(),
                },
            ],
            acts: vec![
                Act {
                    id: Some("ACT-1".into()),
                    code: Some(ActCode {
                        code: "AV020".into(),
                        code_system: KVA.into(),
                    }),
                    text: "Klinisk undersökning".into(),
                    time: Some("20240315140000".into()),
                },
                Act {
                    id: None,
                    code: None,
                    text: "Genomgång av röntgenbilder".into(),
                    time: None,
                },
            ],
            referral: Referral {
                id: "REM-2024-0201-17".into(),
                reason: "Knäsmärta sedan ett år, tilltagande. Bedömning av operationsindikation?"
                    .into(),
                time: Some("20240201090000".into()),
                author: referrer(),
                care_contact_id: Some("VK-2024-0201".into()),
            },
            attested: Some(Attested {
                time: "20240318101500".into(),
                hsa_id: "SE2321000016-P1010".into(),
                name: Some("Karin Lindqvist".into()),
            }),
        },
    }
}

fn minimal_item() -> ReferralOutcome {
    ReferralOutcome {
        header: PatientSummaryHeader {
            document_id: "KON-2".into(),
            source_system_hsa_id: SOURCE.into(),
            document_title: None,
            document_time: None,
            patient_id: patient(),
            accountable: HealthcareProfessional {
                author_time: "20200101000000".into(),
                hsa_id: None,
                name: None,
                role_code: None,
                org_unit: None,
                care_unit_hsa_id: None,
                care_giver_hsa_id: None,
            },
            legal_authenticator: None,
            approved_for_patient: false,
            care_contact_id: None,
            nullified: None,
            nullified_reason: None,
        },
        body: ReferralOutcomeBody {
            type_code: ReferralOutcomeType::Answer,
            title: "Kardiologi".into(),
            text: "Patienten kallas till arbetsprov.".into(),
            clinical_information: Vec::new(),
            acts: Vec::new(),
            referral: Referral {
                id: "R-1".into(),
                reason: "Bröstsmärta vid ansträngning?".into(),
                time: None,
                author: HealthcareProfessional {
                    author_time: "20191215000000".into(),
                    hsa_id: None,
                    name: None,
                    role_code: None,
                    org_unit: None,
                    care_unit_hsa_id: None,
                    care_giver_hsa_id: None,
                },
                care_contact_id: None,
            },
            attested: None,
        },
    }
}

fn result(code: ResultCode) -> ResultType {
    support::result(
        code,
        "c0ffee00-1234-4abc-9def-001122334455",
        Some("SOURCE"),
        "sourceSystemHSAId stämmer inte med logisk adress",
    )
}

fn response_element() -> Element {
    support::response_element::<GetReferralOutcomeV3>(
        vec![full_item()],
        Some(result(ResultCode::Ok)),
    )
}

fn refused(el: &Element) -> ContractError {
    support::refused_response::<GetReferralOutcomeV3>(el)
}

#[test]
fn contract_constants() {
    assert_eq!(GetReferralOutcomeV3::NAME, "GetReferralOutcome");
    assert_eq!(GetReferralOutcomeV3::VERSION, "3.1");
    assert_eq!(GetReferralOutcomeV3::NAMESPACE, NAMESPACE);
    assert_eq!(GetReferralOutcomeV3::CATEGORIZATION, "und-kon-ure");
}

#[test]
fn request_round_trips_with_its_own_spelling() {
    let full = Query {
        care_unit_ids: vec![CARE_UNIT.into(), "SE2321000016-U002".into()],
        patient_id: patient(),
        period: Some(DatePeriod {
            start: "20240101".into(),
            end: "20241231".into(),
        }),
        source_system_id: Some(SOURCE.into()),
        care_contact_ids: vec!["PK-2024-311".into()],
    };
    check_request::<GetReferralOutcomeV3>(&full);
    check_request::<GetReferralOutcomeV3>(&Query::for_patient(patient()));
    let written = GetReferralOutcomeV3::write_request(&full);
    assert!(written.contains("<tns:careUnitHSAid>"), "{written}");
    assert!(written.contains("<tns:datePeriod>"), "{written}");
}

#[test]
fn response_round_trips() {
    check_response::<GetReferralOutcomeV3>(&Response::new(
        vec![full_item(), minimal_item()],
        Some(result(ResultCode::Ok)),
    ));
    check_response::<GetReferralOutcomeV3>(&Response::new(vec![minimal_item()], None));
    check_response::<GetReferralOutcomeV3>(&Response::new(vec![], Some(result(ResultCode::Info))));
    check_response::<GetReferralOutcomeV3>(&Response::new(vec![], Some(result(ResultCode::Error))));
}

#[test]
fn missing_required_elements_are_refused() {
    let cases = [
        ("referralOutcomeBody", "referralOutcomeText"),
        ("referralOutcomeBody", "referral"),
        ("referral", "referralReason"),
        ("referral", "referralAuthor"),
        ("act", "actText"),
        ("clinicalInformation", "clinicalInformationText"),
        ("attested", "attesterHSAId"),
        ("referralOutcomeHeader", "patientId"),
    ];
    for (parent, name) in cases {
        let mut el = response_element();
        find_mut(&mut el, parent)
            .children
            .retain(|c| c.name != name);
        assert_eq!(
            refused(&el),
            ContractError::Missing(name),
            "{parent}/{name}"
        );
    }
}

#[test]
fn bad_values_are_refused() {
    let cases: &[(&str, &str, &str)] = &[
        ("referralOutcomeTypeCode", "SLUT", "referralOutcomeTypeCode"),
        ("codeSystem", "1.2.752.116.1.3.2.1.4", "codeSystem"),
        ("attestedTime", "idag", "attestedTime"),
        ("actTime", "202403151400", "actTime"),
    ];
    for (element, value, error_name) in cases {
        let mut el = response_element();
        // `codeSystem` first occurs in the header's role code: aim at the clinical one.
        let target = if *element == "codeSystem" {
            find_mut(find_mut(&mut el, "clinicalInformationCode"), "codeSystem")
        } else {
            find_mut(&mut el, element)
        };
        target.text = (*value).into();
        match refused(&el) {
            ContractError::Invalid(name, _) => assert_eq!(name, *error_name, "{element}"),
            other => panic!("{element}: {other:?}"),
        }
    }
}

#[test]
fn wrong_root_elements_are_refused() {
    let resp = response_element();
    assert_eq!(
        GetReferralOutcomeV3::parse_request(&resp),
        Err(ContractError::UnexpectedElement("GetReferralOutcome"))
    );
    let req = parse(&GetReferralOutcomeV3::write_request(&Query::for_patient(
        patient(),
    )));
    assert_eq!(
        GetReferralOutcomeV3::parse_response(&req),
        Err(ContractError::UnexpectedElement(
            "GetReferralOutcomeResponse"
        ))
    );
    // Version 2 of the responder namespace is another contract.
    let v2 = parse(
        r#"<GetReferralOutcomeResponse xmlns="urn:riv:clinicalprocess:healthcond:actoutcome:GetReferralOutcomeResponder:2"/>"#,
    );
    assert!(GetReferralOutcomeV3::parse_response(&v2).is_err());
}

#[test]
fn view_is_swedish() {
    let item = full_item();
    let v = GetReferralOutcomeV3::view(&item);
    assert_eq!(v.title, "Remissvar Ortopedi");
    assert_eq!(v.time, "20240315143000");
    assert!(!v.attention);
    let field = |label: &str| {
        v.fields
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no field {label}: {:?}", v.fields))
    };
    assert_eq!(field("Svarstyp"), "Slutsvar på remiss");
    assert_eq!(field("Besvarad av"), "Johan Ek, Privatkliniken Centrum");
    assert_eq!(
        field("Remittent"),
        "Karin Lindqvist, Vårdcentralen Ekbacken"
    );
    assert_eq!(field("Remiss utfärdad"), "2024-02-01 09:00");
    assert_eq!(
        field("Diagnos"),
        "Gonartros, ospecificerad (M17.9); Essentiell hypertoni (I10)"
    );
    assert_eq!(
        field("Åtgärd"),
        "Klinisk undersökning (AV020), 2024-03-15 14:00"
    );
    assert_eq!(field("Vidimerad"), "2024-03-18 10:15 av Karin Lindqvist");
    assert!(v.text.unwrap().starts_with("Medial gonartros"));
    let v = GetReferralOutcomeV3::view(&minimal_item());
    assert_eq!(v.title, "Remissvar Kardiologi");
    assert_eq!(v.fields[0].1, "Svar på remiss");
    assert_eq!(
        GetReferralOutcomeV3::meta(&item).care_giver,
        Some(CARE_GIVER)
    );
}
