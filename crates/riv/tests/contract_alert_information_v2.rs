//! GetAlertInformation 2.0: what npo writes validates against the official schema and reads back
//! unchanged; broken messages are refused without panicking; the Swedish view.

mod support;

use npo_riv::common::{
    Cv, DatePeriod, PatientSummaryHeader, PersonId, Query, ResultCode, ResultType,
};
use npo_riv::contracts::alert_information_v2::{
    ATC, AlertInformation, AlertInformationBody, AlertKind, CommunicableDisease,
    GetAlertInformationV2, Hypersensitivity, ICD10_SE, KV_ALLVARLIGHETSGRAD, KV_INFORMATIONSTYP,
    KV_SAMBAND, KV_VISSHETSGRAD, KVA, NAMESPACE, NPL_ID, OtherHypersensitivity,
    PharmaceuticalHypersensitivity, RelatedAlert, TimePeriod, Treatment, UnstructuredAlert,
    overlaps, view_at,
};
use npo_riv::xml::Element;
use npo_riv::{Contract, ContractError, Response};
use support::{check_request, check_response, find_mut, parse};

const PATIENT: &str = "191212121212";
const SOURCE: &str = "SE2321000016-A1B2";
const CARE_UNIT: &str = "SE2321000016-15CQ";
const CARE_GIVER: &str = "SE2321000016-0001";

fn patient() -> PersonId {
    PersonId::personnummer(PATIENT)
}

fn cv(code: &str, system: &str, display: &str) -> Cv {
    Cv::coded(code, system, display)
}

fn full_cv(code: &str, system: &str, display: &str) -> Cv {
    Cv {
        code: Some(code.into()),
        code_system: Some(system.into()),
        code_system_name: Some("Kodverk".into()),
        code_system_version: Some("2024".into()),
        display_name: Some(display.into()),
        original_text: Some(format!("{display} (lokal text)")),
    }
}

fn full_header(document_id: &str) -> PatientSummaryHeader {
    PatientSummaryHeader {
        document_title: Some("Uppmärksamhetssignal".into()),
        document_time: Some("20230514101500".into()),
        accountable: support::professional(
            "20230514093000",
            "SE2321000016-DOC1",
            "Åsa Öberg",
            cv("LK", support::BEFATTNING, "Läkare"),
            support::full_org_unit(
                CARE_UNIT,
                "Medicinkliniken, Växjö lasarett",
                "0470-123 45",
                Some("medicin@example.se"),
                "Strandvägen 8, 352 34 Växjö",
                "Växjö",
            ),
            CARE_GIVER,
        ),
        legal_authenticator: support::signed("20230514110000", "SE2321000016-DOC1", "Åsa Öberg"),
        approved_for_patient: true,
        care_contact_id: Some("VK-2023-0042".into()),
        nullified: Some(false),
        nullified_reason: Some("Ej makulerad".into()),
        ..minimal_header(document_id)
    }
}

fn minimal_header(document_id: &str) -> PatientSummaryHeader {
    support::minimal_header(document_id, SOURCE, PATIENT)
}

fn body(code: &str, name: &str) -> AlertInformationBody {
    AlertInformationBody {
        type_of_alert: cv(code, KV_INFORMATIONSTYP, name),
        ascertained_date: None,
        verified_time: None,
        validity: TimePeriod {
            start: Some("20230514000000".into()),
            end: None,
        },
        comment: None,
        obsolete_time: None,
        obsolete_comment: None,
        hypersensitivity: None,
        serious_disease: None,
        treatment: None,
        communicable_disease: None,
        restriction_of_care: None,
        unstructured: None,
        related: Vec::new(),
    }
}

/// A penicillin allergy with every optional element of the body present.
fn full_alert() -> AlertInformation {
    AlertInformation {
        header: full_header("UPP-2023-0001"),
        body: AlertInformationBody {
            ascertained_date: Some("20230510".into()),
            verified_time: Some("20230514093000".into()),
            validity: TimePeriod {
                start: Some("20230510000000".into()),
                end: Some("20991231235959".into()),
            },
            comment: Some("Anafylaxi efter Kåvepenin 2023 – adrenalin & akutvård.".into()),
            obsolete_time: Some("20240101120000".into()),
            obsolete_comment: Some("Dubblettregistrering, se UPP-2023-0002".into()),
            hypersensitivity: Some(Hypersensitivity {
                type_of_hypersensitivity: Some(full_cv(
                    "Z88.0",
                    ICD10_SE,
                    "Läkemedelsöverkänslighet",
                )),
                severity: Some(full_cv("1", KV_ALLVARLIGHETSGRAD, "Livshotande")),
                certainty: Some(cv("2", KV_VISSHETSGRAD, "Konstaterad")),
                pharmaceutical: Some(PharmaceuticalHypersensitivity {
                    atc_substance: Some(cv("J01CE", ATC, "Betalaktamaskänsliga penicilliner")),
                    non_atc_substance: Some("Fenoximetylpenicillin".into()),
                    non_atc_substance_comment: Some("Substansen anges även i klartext".into()),
                    product_ids: vec![
                        cv("19750101000025", NPL_ID, "Kåvepenin 500 mg tablett"),
                        cv("19750101000032", NPL_ID, "Kåvepenin 1 g tablett"),
                    ],
                }),
                other: Some(OtherHypersensitivity {
                    agent: Some("Jordnötter".into()),
                    agent_code: Some(cv("256349002", "1.2.752.116.2.1.1", "Jordnöt")),
                }),
            }),
            serious_disease: Some(full_cv("G40.9", ICD10_SE, "Epilepsi, ospecificerad")),
            treatment: Some(Treatment {
                description: "Waranbehandling, mål-PK 2–3".into(),
                code: Some(cv("DT016", KVA, "Antikoagulantiabehandling")),
                pharmaceutical: Some(cv("B01AA03", ATC, "Warfarin")),
            }),
            communicable_disease: Some(CommunicableDisease {
                code: cv("B18.2", ICD10_SE, "Kronisk virushepatit C"),
                route_of_transmission: Some(cv("blod", "1.2.752.129.2.2.2.99", "Blodsmitta")),
            }),
            restriction_of_care: Some("Ej HLR enligt beslut 2023-05-14 <överläkare>".into()),
            unstructured: Some(UnstructuredAlert {
                heading: "Varning från tidigare journalsystem".into(),
                content: "Överkänslig mot plåster.".into(),
            }),
            related: vec![
                RelatedAlert {
                    relationship: cv("ers", KV_SAMBAND, "Ersätter"),
                    comment: Some("Ersätter äldre registrering".into()),
                    document_ids: vec!["UPP-2020-0007".into(), "UPP-2021-0003".into()],
                },
                RelatedAlert {
                    relationship: Cv::default(),
                    comment: None,
                    document_ids: vec!["UPP-2019-0001".into()],
                },
            ],
            ..body("upp-okh", "Överkänslighet")
        },
    }
}

/// One alert of each kind, and a minimal one.
fn alerts() -> Vec<AlertInformation> {
    vec![
        full_alert(),
        AlertInformation {
            header: minimal_header("UPP-2019-0002"),
            body: AlertInformationBody {
                type_of_alert: Cv::default(),
                validity: TimePeriod::default(),
                ..body("x", "x")
            },
        },
        AlertInformation {
            header: minimal_header("UPP-2019-0003"),
            body: AlertInformationBody {
                hypersensitivity: Some(Hypersensitivity {
                    pharmaceutical: Some(PharmaceuticalHypersensitivity::default()),
                    other: Some(OtherHypersensitivity::default()),
                    ..Hypersensitivity::default()
                }),
                ..body("upp-okh", "Överkänslighet")
            },
        },
        AlertInformation {
            header: minimal_header("UPP-2019-0004"),
            body: AlertInformationBody {
                treatment: Some(Treatment {
                    description: "Pacemaker".into(),
                    code: None,
                    pharmaceutical: None,
                }),
                ..body("upp-ube", "Allvarlig behandling")
            },
        },
        AlertInformation {
            header: minimal_header("UPP-2019-0005"),
            body: AlertInformationBody {
                communicable_disease: Some(CommunicableDisease {
                    code: Cv::default(),
                    route_of_transmission: None,
                }),
                ..body("upp-arb", "Smittsam sjukdom")
            },
        },
    ]
}

fn full_result() -> ResultType {
    ResultType {
        result_code: ResultCode::Info,
        error_code: None,
        log_id: "3f1c2a34-0b7e-4d1e-9a55-1d2c3b4a5e6f".into(),
        sub_code: Some("PARTIAL".into()),
        message: Some("Ett källsystem svarade inte".into()),
    }
}

#[test]
fn request_round_trips() {
    check_request::<GetAlertInformationV2>(&Query {
        care_unit_ids: vec![CARE_UNIT.into(), "SE2321000016-16XB".into()],
        patient_id: patient(),
        period: Some(DatePeriod {
            start: "20230101".into(),
            end: "20231231".into(),
        }),
        source_system_id: Some(SOURCE.into()),
        care_contact_ids: vec!["VK-2023-0042".into(), "VK-2023-0043".into()],
    });
    check_request::<GetAlertInformationV2>(&Query::for_patient(patient()));
}

#[test]
fn response_round_trips() {
    check_response::<GetAlertInformationV2>(&Response::new(alerts(), Some(full_result())));
    check_response::<GetAlertInformationV2>(&Response::new(alerts(), None));
    check_response::<GetAlertInformationV2>(&Response::new(
        Vec::new(),
        Some(ResultType::invalid_request(
            "9b0c7a2e-1111-4e1e-8a55-000000000001",
            "sourceSystemHSAId skiljer sig från LogicalAddress",
        )),
    ));
    check_response::<GetAlertInformationV2>(&Response::new(
        Vec::new(),
        Some(ResultType {
            result_code: ResultCode::Info,
            error_code: None,
            log_id: "9b0c7a2e-1111-4e1e-8a55-000000000002".into(),
            sub_code: None,
            message: Some("Uppgifter saknas".into()),
        }),
    ));
}

fn written(items: Vec<AlertInformation>) -> Element {
    support::response_element::<GetAlertInformationV2>(items, None)
}

fn remove(el: &mut Element, parent: &str, child: &str) {
    find_mut(el, parent).children.retain(|c| c.name != child);
}

#[test]
fn missing_required_elements_are_refused() {
    for (parent, child, missing) in [
        (
            "alertInformation",
            "alertInformationBody",
            "alertInformationBody",
        ),
        (
            "alertInformation",
            "alertInformationHeader",
            "alertInformationHeader",
        ),
        (
            "alertInformationBody",
            "typeOfAlertInformation",
            "typeOfAlertInformation",
        ),
        (
            "alertInformationBody",
            "validityTimePeriod",
            "validityTimePeriod",
        ),
        ("alertInformationHeader", "documentId", "documentId"),
        ("seriousDisease", "disease", "disease"),
        ("treatment", "treatmentDescription", "treatmentDescription"),
        (
            "communicableDisease",
            "communicableDiseaseCode",
            "communicableDiseaseCode",
        ),
        (
            "restrictionOfCare",
            "restrictionOfCareComment",
            "restrictionOfCareComment",
        ),
        (
            "unstructuredAlertInformation",
            "unstructuredAlertInformationContent",
            "unstructuredAlertInformationContent",
        ),
        ("relatedAlertInformation", "documentId", "documentId"),
        (
            "relatedAlertInformation",
            "typeOfAlertInformationRelationship",
            "typeOfAlertInformationRelationship",
        ),
    ] {
        let mut el = written(vec![full_alert()]);
        remove(&mut el, parent, child);
        assert_eq!(
            GetAlertInformationV2::parse_response(&el),
            Err(ContractError::Missing(missing)),
            "{parent}/{child}"
        );
    }
    let mut req = parse(&GetAlertInformationV2::write_request(&Query::for_patient(
        patient(),
    )));
    req.children.retain(|c| c.name != "patientId");
    assert_eq!(
        GetAlertInformationV2::parse_request(&req),
        Err(ContractError::Missing("patientId"))
    );
}

#[test]
fn bad_values_are_refused() {
    for (name, value) in [
        ("ascertainedDate", "2023-05-10"),
        ("verifiedTime", "20230514"),
        ("obsoleteTime", "20241301120000"),
        ("approvedForPatient", "ja"),
        ("start", "20230510"),
    ] {
        let mut el = written(vec![full_alert()]);
        find_mut(&mut el, name).text = value.into();
        assert!(
            matches!(
                GetAlertInformationV2::parse_response(&el),
                Err(ContractError::Invalid(..))
            ),
            "{name}"
        );
    }
    let mut el = parse(&GetAlertInformationV2::write_response(&Response::new(
        Vec::new(),
        Some(ResultType::ok("1")),
    )));
    find_mut(&mut el, "resultCode").text = "MAYBE".into();
    assert!(GetAlertInformationV2::parse_response(&el).is_err());
}

#[test]
fn wrong_root_is_refused() {
    let req = parse(&GetAlertInformationV2::write_request(&Query::for_patient(
        patient(),
    )));
    assert!(matches!(
        GetAlertInformationV2::parse_response(&req),
        Err(ContractError::UnexpectedElement(_))
    ));
    let resp = written(alerts());
    assert!(matches!(
        GetAlertInformationV2::parse_request(&resp),
        Err(ContractError::UnexpectedElement(_))
    ));
    let other = parse(&format!(
        r#"<x:GetAlertInformation xmlns:x="{NAMESPACE}X"/>"#
    ));
    assert!(GetAlertInformationV2::parse_request(&other).is_err());
    let empty = parse(&format!(
        r#"<x:GetAlertInformation xmlns:x="{NAMESPACE}"/>"#
    ));
    assert!(GetAlertInformationV2::parse_request(&empty).is_err());
}

#[test]
fn view_in_swedish() {
    let penicillin = AlertInformation {
        header: full_header("UPP-1"),
        body: AlertInformationBody {
            validity: TimePeriod {
                start: Some("20230510000000".into()),
                end: None,
            },
            comment: Some("Urtikaria och andnöd".into()),
            hypersensitivity: Some(Hypersensitivity {
                type_of_hypersensitivity: None,
                severity: Some(cv("2", KV_ALLVARLIGHETSGRAD, "Skadlig")),
                certainty: Some(cv("2", KV_VISSHETSGRAD, "Konstaterad")),
                pharmaceutical: Some(PharmaceuticalHypersensitivity {
                    atc_substance: Some(cv("J01CE02", ATC, "Fenoximetylpenicillin")),
                    ..PharmaceuticalHypersensitivity::default()
                }),
                other: None,
            }),
            ..body("upp-okh", "Överkänslighet")
        },
    };
    assert_eq!(penicillin.body.kind(), AlertKind::Hypersensitivity);
    let v = view_at(&penicillin, "20240101120000");
    assert_eq!(v.title, "Överkänslighet: Fenoximetylpenicillin");
    assert_eq!(v.time, "20230510000000");
    assert!(v.attention, "current alert");
    assert!(v.fields.contains(&("Allvarlighetsgrad", "Skadlig".into())));
    assert!(v.fields.contains(&("Visshetsgrad", "Konstaterad".into())));
    assert!(v.fields.contains(&("ATC-kod", "J01CE02".into())));
    assert!(
        v.fields
            .contains(&("Giltig från", "2023-05-10 00:00".into()))
    );
    assert_eq!(v.text.as_deref(), Some("Urtikaria och andnöd"));
    // Before it was valid: no attention.
    assert!(!view_at(&penicillin, "20220101120000").attention);

    // Obsolete: never attention.
    let mut obsolete = penicillin.clone();
    obsolete.body.obsolete_time = Some("20231001080000".into());
    obsolete.body.obsolete_comment = Some("Provokation utan reaktion".into());
    let v = view_at(&obsolete, "20240101120000");
    assert!(!v.attention);
    assert!(
        v.fields
            .contains(&("Inaktuell sedan", "2023-10-01 08:00".into()))
    );

    // Ended validity, but life-threatening: still attention.
    let mut severe = penicillin.clone();
    severe.body.validity.end = Some("20231231235959".into());
    assert!(!view_at(&severe, "20240101120000").attention);
    if let Some(h) = severe.body.hypersensitivity.as_mut() {
        h.severity = Some(cv("1", KV_ALLVARLIGHETSGRAD, "Livshotande"));
    }
    assert!(view_at(&severe, "20240101120000").attention);

    let epilepsy = AlertInformation {
        header: minimal_header("UPP-2"),
        body: AlertInformationBody {
            serious_disease: Some(cv("G40.9", ICD10_SE, "Epilepsi, ospecificerad")),
            ..body("upp-uas", "Allvarlig sjukdom")
        },
    };
    let v = view_at(&epilepsy, "20240101120000");
    assert_eq!(
        v.title,
        "Allvarlig sjukdom: Epilepsi, ospecificerad (G40.9)"
    );
    assert!(v.attention);

    let dnr = AlertInformation {
        header: minimal_header("UPP-3"),
        body: AlertInformationBody {
            restriction_of_care: Some(
                "Ej HLR\nBeslut efter samtal med patient och närstående".into(),
            ),
            ..body("upp-vbe", "Vårdbegränsning")
        },
    };
    let v = view_at(&dnr, "20240101120000");
    assert_eq!(v.title, "Vårdbegränsning: Ej HLR");
    assert!(v.text.as_deref().is_some_and(|t| t.contains("närstående")));
    assert_eq!(v.fields[0], ("Typ", "Vårdbegränsning".into()));
}

#[test]
fn period_filter() {
    let mut a = full_alert();
    a.body.obsolete_time = None;
    a.body.validity = TimePeriod {
        start: Some("20230510000000".into()),
        end: Some("20230630235959".into()),
    };
    let p = |s: &str, e: &str| DatePeriod {
        start: s.into(),
        end: e.into(),
    };
    assert!(overlaps(&a, &p("20230101", "20230510")));
    assert!(overlaps(&a, &p("20230630", "20231231")));
    assert!(overlaps(&a, &p("20230601", "20230602")));
    assert!(!overlaps(&a, &p("20230701", "20231231")));
    assert!(!overlaps(&a, &p("20220101", "20230509")));
    a.body.validity.end = None;
    assert!(overlaps(&a, &p("20300101", "20301231")));
    a.body.obsolete_time = Some("20240101000000".into());
    assert!(!overlaps(&a, &p("20240102", "20301231")));
    assert_eq!(GetAlertInformationV2::filter_time(&a), "20230510000000");
    assert_eq!(GetAlertInformationV2::CATEGORIZATION, "upp");
}
