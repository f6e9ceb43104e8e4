//! GetLaboratoryOrderOutcome 4.0: round trips through the official schema (chemistry and
//! microbiology), refusals, the view.

mod support;

use npo_riv::common::{Cv, DatePeriod, PersonId, Query};
use npo_riv::contracts::access_control_header::{
    AccessControlHeader, Author, AuthorOrgUnit, Header, Ii, OID_HSA, Record, Signature,
};
use npo_riv::contracts::laboratory_outcome_v4::{
    Actor, Analysis, AnalysisGroup, AnalysisResult, GetLaboratoryOrderOutcomeV4,
    LaboratoryOrderOutcome, LaboratoryOrderOutcomeBody, LaboratoryOrderOutcomeRequest, NPU,
    OrgUnit, Pq, PqInterval, REPORT_STATUS, Reference, Referral, SNOMED_CT, Specimen, Value,
    is_decimal,
};
use npo_riv::{Contract, ContractError, Response, xsd};

const PATIENT: &str = "191212121212";
const SOURCE: &str = "SE2321000016-A1B2";
const CARE_UNIT: &str = "SE2321000016-15CQ";
const CARE_GIVER: &str = "SE2321000016-0001";
const LAB: &str = "SE2321000016-LABK";

fn patient() -> PersonId {
    PersonId::personnummer(PATIENT)
}

fn snomed(code: &str, name: &str) -> Cv {
    Cv::coded(code, SNOMED_CT, name)
}

fn full_header(id: &str) -> Header {
    Header {
        access_control: AccessControlHeader {
            accountable_care_giver: Some(Ii::hsa(CARE_GIVER)),
            accountable_care_unit: Some(Ii::hsa(CARE_UNIT)),
            patient_id: patient(),
            block_comparison_time: "20240311083000".into(),
            approved_for_patient: true,
        },
        source_system_id: Ii::hsa(SOURCE),
        record: Record {
            id: Ii::new(SOURCE, id),
            timestamp: "20240311140000".into(),
        },
        author: Some(Author {
            id: Some(Ii::hsa("SE2321000016-DOC1")),
            name: Some("Åsa Öberg".into()),
            timestamp: "20240311140000".into(),
            by_role: Some(Cv::coded("LK", "1.2.752.129.2.2.1.4", "Läkare")),
            // Lab 4 has no author org unit: not written, so not set here.
            org_unit: None,
        }),
        signature: Some(Signature {
            id: Some(Ii::hsa("SE2321000016-DOC2")),
            name: Some("Per Ågren".into()),
            timestamp: "20240312080000".into(),
            by_role: None,
        }),
    }
}

fn minimal_header(id: &str) -> Header {
    Header {
        access_control: AccessControlHeader {
            accountable_care_giver: None,
            accountable_care_unit: None,
            patient_id: PersonId {
                id: String::new(),
                type_: String::new(),
            },
            block_comparison_time: "20190301080000".into(),
            approved_for_patient: false,
        },
        source_system_id: Ii::hsa(SOURCE),
        record: Record {
            id: Ii {
                root: id.into(),
                extension: None,
            },
            timestamp: "20190301120000".into(),
        },
        author: None,
        signature: None,
    }
}

fn specimen(material: Cv) -> Specimen {
    Specimen {
        identifier: Some(Ii::new(LAB, "K1234567")),
        material: Some(material),
        timestamp: "20240311083000".into(),
        anatomical_location: Some(snomed("368208006", "Vänster överarm")),
        comment: Some("Stasad < 1 min".into()),
    }
}

fn chemistry() -> AnalysisGroup {
    AnalysisGroup {
        name: Some("Njurfunktion".into()),
        comment: Some("Hemolys & lipemi".into()),
        code: Some(Cv::coded("NPU04998", NPU, "P-Kreatinin")),
        analyses: vec![
            Analysis {
                identifier: Some(Ii::new(LAB, "A1")),
                timestamp: Some("20240311100000".into()),
                code: Cv::coded("NPU04998", NPU, "P-Kreatinin"),
                method: Some(Cv {
                    original_text: Some("Enzymatisk metod".into()),
                    ..Cv::default()
                }),
                status: Some(snomed("255594003", "Fullständig")),
                comment: Some("Får ej användas för biobank".into()),
                accredited: Some(true),
                specimens: vec![specimen(snomed("119361006", "Plasma"))],
                results: vec![AnalysisResult {
                    result_type: Some(Cv::coded("NPU04998", NPU, "P-Kreatinin")),
                    value: Value::Pq(Pq {
                        value: "112".into(),
                        unit: "µmol/L".into(),
                    }),
                    comment: Some("Förhöjt jämfört med föregående".into()),
                    interpretations: vec![snomed("281302008", "Över referensintervallet")],
                    reference: Some(Reference {
                        interval: Some(PqInterval {
                            low: Some("45".into()),
                            low_closed: Some(true),
                            high: Some("90".into()),
                            high_closed: Some(true),
                            unit: "µmol/L".into(),
                        }),
                        description: None,
                        population: Some("Kvinnor 18–66 år".into()),
                        comment: Some("NORIP".into()),
                    }),
                    related: Vec::new(),
                }],
            },
            Analysis {
                identifier: None,
                timestamp: None,
                code: Cv {
                    original_text: Some("Kvot".into()),
                    ..Cv::default()
                },
                method: None,
                status: None,
                comment: None,
                accredited: None,
                specimens: Vec::new(),
                results: vec![
                    AnalysisResult {
                        result_type: None,
                        value: Value::IntervalPq(PqInterval {
                            low: Some("-1.5e3".into()),
                            unit: String::new(),
                            ..PqInterval::default()
                        }),
                        comment: None,
                        interpretations: Vec::new(),
                        reference: Some(Reference {
                            description: Some("Se kommentar".into()),
                            ..Reference::default()
                        }),
                        related: Vec::new(),
                    },
                    AnalysisResult {
                        result_type: None,
                        value: Value::St("Svar följer".into()),
                        comment: None,
                        interpretations: Vec::new(),
                        reference: None,
                        related: Vec::new(),
                    },
                ],
            },
        ],
    }
}

fn susceptibility(name: &str, sir: &str) -> Analysis {
    let code = match sir {
        "S" => "131196009",
        "I" => "11896004",
        _ => "30714006",
    };
    Analysis {
        identifier: None,
        timestamp: None,
        code: Cv {
            original_text: Some(name.into()),
            ..Cv::default()
        },
        method: None,
        status: None,
        comment: None,
        accredited: None,
        specimens: Vec::new(),
        results: vec![AnalysisResult {
            result_type: None,
            value: Value::Cv(snomed(code, sir)),
            comment: None,
            interpretations: Vec::new(),
            reference: None,
            related: Vec::new(),
        }],
    }
}

fn urine_culture() -> AnalysisGroup {
    AnalysisGroup {
        name: Some("Urinodling".into()),
        comment: None,
        code: None,
        analyses: vec![Analysis {
            identifier: Some(Ii::new(LAB, "M1")),
            timestamp: Some("20240313090000".into()),
            code: Cv {
                original_text: Some("Urinodling".into()),
                ..Cv::default()
            },
            method: None,
            status: None,
            comment: None,
            accredited: Some(true),
            specimens: vec![specimen(snomed("122575003", "Urin"))],
            results: vec![AnalysisResult {
                result_type: None,
                value: Value::Cv(snomed("112283007", "Escherichia coli")),
                comment: Some("Växt av >100 000 CFU/mL".into()),
                interpretations: vec![snomed("263654008", "Avvikande")],
                reference: None,
                related: vec![
                    susceptibility("Mecillinam", "S"),
                    susceptibility("Nitrofurantoin", "S"),
                    susceptibility("Trimetoprim", "R"),
                ],
            }],
        }],
    }
}

fn full_item() -> LaboratoryOrderOutcome {
    LaboratoryOrderOutcome {
        header: full_header("LAB-2024-0001"),
        body: LaboratoryOrderOutcomeBody {
            identifier: Ii::new(LAB, "SVAR-1"),
            laboratory_identifier: Some(Ii::new(LAB, "L24031100017")),
            report_type: Cv::coded("final", REPORT_STATUS, "Slutsvar"),
            text: Some("Samtliga analyser utförda.".into()),
            referral: Referral {
                identifier: Ii::new(SOURCE, "RID-4711"),
                timestamp: "20240311080000".into(),
                question: Some("Njurfunktion? Urinvägsinfektion?".into()),
                requester: Actor {
                    id: Some(Ii::hsa("SE2321000016-DOC1")),
                    name: "Åsa Öberg".into(),
                    by_role: Some(Cv::coded("LK", "1.2.752.129.2.2.1.4", "Läkare")),
                    org_unit: Some(OrgUnit {
                        id: Some(Ii::hsa(CARE_UNIT)),
                        name: "Vårdcentralen Åby".into(),
                    }),
                },
            },
            groups: vec![chemistry(), urine_culture()],
            recipient_unit: OrgUnit {
                id: Some(Ii::hsa(CARE_UNIT)),
                name: "Vårdcentralen Åby".into(),
            },
            recipient_signature: Some(Signature {
                id: Some(Ii::hsa("SE2321000016-DOC1")),
                name: Some("Åsa Öberg".into()),
                timestamp: "20240312090000".into(),
                by_role: None,
            }),
            contact_information: Some("Laboratoriet, tel 0470-58 70 00 (vardagar 8–16)".into()),
        },
    }
}

fn minimal_item() -> LaboratoryOrderOutcome {
    LaboratoryOrderOutcome {
        header: minimal_header("LAB-2019-0002"),
        body: LaboratoryOrderOutcomeBody {
            identifier: Ii {
                root: LAB.into(),
                extension: None,
            },
            laboratory_identifier: None,
            report_type: Cv::default(),
            text: None,
            referral: Referral {
                identifier: Ii::new(SOURCE, "RID-1"),
                timestamp: "20190301070000".into(),
                question: None,
                requester: Actor {
                    id: None,
                    name: "Okänd".into(),
                    by_role: None,
                    org_unit: None,
                },
            },
            groups: Vec::new(),
            recipient_unit: OrgUnit {
                id: None,
                name: "Vårdcentralen".into(),
            },
            recipient_signature: None,
            contact_information: None,
        },
    }
}

#[test]
fn request_round_trips() {
    support::check_request::<GetLaboratoryOrderOutcomeV4>(&LaboratoryOrderOutcomeRequest {
        query: Query {
            care_unit_ids: vec![CARE_UNIT.into(), "SE2321000016-16XB".into()],
            patient_id: patient(),
            period: Some(DatePeriod {
                start: "20230101".into(),
                end: "20231231".into(),
            }),
            source_system_id: Some(SOURCE.into()),
            care_contact_ids: Vec::new(),
        },
        care_giver_ids: vec![CARE_GIVER.into()],
        specimen_ids: vec![Ii::new(LAB, "K1234567")],
        referral_ids: vec![Ii::new(SOURCE, "RID-4711"), Ii::new(SOURCE, "RID-4712")],
    });
    support::check_request::<GetLaboratoryOrderOutcomeV4>(
        &LaboratoryOrderOutcomeRequest::for_patient(patient()),
    );
}

#[test]
fn open_date_period_reads_as_bounds() {
    let mut req = LaboratoryOrderOutcomeRequest::for_patient(patient());
    req.query.period = Some(DatePeriod {
        start: "20230101".into(),
        end: "20231231".into(),
    });
    let text = GetLaboratoryOrderOutcomeV4::write_request(&req)
        .replace("<core:end>20231231</core:end>", "");
    let el = support::validated_body(&text);
    let back = GetLaboratoryOrderOutcomeV4::parse_request(&el).unwrap();
    assert_eq!(back.query.period.unwrap().end, "20991231");
}

#[test]
fn response_round_trips() {
    support::check_response::<GetLaboratoryOrderOutcomeV4>(&Response::new(
        vec![full_item(), minimal_item()],
        None,
    ));
    support::check_response::<GetLaboratoryOrderOutcomeV4>(&Response::new(
        vec![minimal_item()],
        None,
    ));
    // There is no result element in 4.0: an empty answer is just empty.
    support::check_response::<GetLaboratoryOrderOutcomeV4>(&Response::new(Vec::new(), None));
}

fn written() -> String {
    GetLaboratoryOrderOutcomeV4::write_response(&Response::new(vec![full_item()], None))
}

fn parse(s: &str) -> Result<Response<LaboratoryOrderOutcome>, ContractError> {
    GetLaboratoryOrderOutcomeV4::parse_response(&support::parse(s))
}

#[test]
fn refuses_broken_messages() {
    let ok = written();
    assert!(parse(&ok).is_ok());

    let no_time = ok.replace(
        "<core:blockComparisonTime>20240311083000</core:blockComparisonTime>",
        "",
    );
    assert_eq!(
        parse(&no_time),
        Err(ContractError::Missing("blockComparisonTime"))
    );
    // The schema agrees.
    assert!(matches!(
        xsd::validate_element(&support::parse(&no_time)),
        Err(xsd::XsdError::Invalid { .. })
    ));
    let no_giver = ok.replace(
        &format!(
            "<core:accountableCareGiver><core:root>{OID_HSA}</core:root><core:extension>{CARE_GIVER}</core:extension></core:accountableCareGiver>"
        ),
        "",
    );
    assert_eq!(
        parse(&no_giver),
        Err(ContractError::Missing("accountableCareGiver"))
    );
    let no_extension = ok.replace(
        &format!("<core:extension>{SOURCE}</core:extension></core:sourceSystemId>"),
        "</core:sourceSystemId>",
    );
    assert_eq!(
        parse(&no_extension),
        Err(ContractError::Missing("extension"))
    );
    let bad_decimal = ok.replace(
        "<core:value>112</core:value>",
        "<core:value>112,0</core:value>",
    );
    assert_eq!(
        parse(&bad_decimal),
        Err(ContractError::Invalid("value", "not a decimal"))
    );
    let bad_bool = ok.replace(
        "<core:approvedForPatient>true</core:approvedForPatient>",
        "<core:approvedForPatient>yes</core:approvedForPatient>",
    );
    assert!(matches!(
        parse(&bad_bool),
        Err(ContractError::Invalid("approvedForPatient", _))
    ));
    let empty_value = ok.replace("<core:st>Svar följer</core:st>", "");
    assert_eq!(parse(&empty_value), Err(ContractError::Missing("value")));
    let no_referral = {
        let start = ok.find("<core:referral>").unwrap();
        let end = ok.find("</core:referral>").unwrap() + "</core:referral>".len();
        format!("{}{}", &ok[..start], &ok[end..])
    };
    assert_eq!(parse(&no_referral), Err(ContractError::Missing("referral")));
}

#[test]
fn refuses_wrong_root_elements_and_requests() {
    let req = GetLaboratoryOrderOutcomeV4::write_request(
        &LaboratoryOrderOutcomeRequest::for_patient(patient()),
    );
    assert!(GetLaboratoryOrderOutcomeV4::parse_request(&support::parse(&written())).is_err());
    assert!(parse(&req).is_err());
    let v3 = req.replace("Responder:4", "Responder:3");
    assert_eq!(
        GetLaboratoryOrderOutcomeV4::parse_request(&support::parse(&v3)),
        Err(ContractError::UnexpectedElement(
            "GetLaboratoryOrderOutcome"
        ))
    );
    let no_ext = req.replace(&format!("<core:extension>{PATIENT}</core:extension>"), "");
    assert_eq!(
        GetLaboratoryOrderOutcomeV4::parse_request(&support::parse(&no_ext)),
        Err(ContractError::Missing("extension"))
    );
    let mut dated = LaboratoryOrderOutcomeRequest::for_patient(patient());
    dated.query.period = Some(DatePeriod {
        start: "20240101".into(),
        end: "20230101".into(),
    });
    let text = GetLaboratoryOrderOutcomeV4::write_request(&dated);
    assert!(matches!(
        GetLaboratoryOrderOutcomeV4::parse_request(&support::parse(&text)),
        Err(ContractError::Invalid("datePeriod", _))
    ));
}

#[test]
fn decimals_follow_the_schema_pattern() {
    for ok in ["0", "7.8", "-12", "1e5", "1.5E-3", "112"] {
        assert!(is_decimal(ok), "{ok}");
    }
    for bad in ["", "07", "7,8", "1.", ".5", "e5", "1e", "--1", "1.2.3"] {
        assert!(!is_decimal(bad), "{bad}");
    }
}

#[test]
fn view_and_meta() {
    let item = full_item();
    let v = GetLaboratoryOrderOutcomeV4::view(&item);
    assert_eq!(v.title, "P-Kreatinin, Kvot, Urinodling");
    assert!(v.attention);
    assert_eq!(v.time, "20240311083000");
    assert!(v.fields.contains(&("Svarsstatus", "Slutsvar".to_owned())));
    // The sampling time is shown as a time, not as the raw timestamp.
    assert!(
        v.fields
            .contains(&("Provtagning", "2024-03-11 08:30".to_owned())),
        "{:?}",
        v.fields
    );
    assert!(v.fields.contains(&(
        "Resultat",
        "P-Kreatinin 112 µmol/L ↑ (ref 45–90)".to_owned()
    )));
    assert!(v.fields.contains(&(
        "Resultat",
        "Urinodling: Escherichia coli (avvikande)".to_owned()
    )));
    assert!(v.fields.contains(&(
        "Resistensbestämning",
        "Mecillinam S, Nitrofurantoin S, Trimetoprim R".to_owned()
    )));
    assert!(
        v.fields
            .contains(&("Kommentar", "Växt av >100 000 CFU/mL".to_owned()))
    );

    let mut one = full_item();
    one.body.groups.truncate(1);
    one.body.groups[0].analyses.truncate(1);
    one.body.groups[0].analyses[0].results[0]
        .interpretations
        .clear();
    one.body.groups[0].analyses[0].results[0].value = Value::Pq(Pq {
        value: "7.8".into(),
        unit: "µmol/L".into(),
    });
    let v = GetLaboratoryOrderOutcomeV4::view(&one);
    assert_eq!(v.title, "P-Kreatinin 7,8 µmol/L (ref 45–90)");
    assert!(!v.attention);

    let m = GetLaboratoryOrderOutcomeV4::meta(&item);
    assert_eq!(m.document_id, "LAB-2024-0001");
    assert_eq!(m.source_system, SOURCE);
    assert_eq!(m.patient_id, &patient());
    assert_eq!(m.registration_time, "20240311083000");
    assert_eq!(m.care_unit, Some(CARE_UNIT));
    assert_eq!(m.care_giver, Some(CARE_GIVER));

    let min = minimal_item();
    let m = GetLaboratoryOrderOutcomeV4::meta(&min);
    assert_eq!(m.document_id, "LAB-2019-0002");
    assert_eq!((m.care_unit, m.care_giver), (None, None));
    assert!(m.patient_id.id.is_empty());
}

#[test]
fn author_org_unit_is_description_only() {
    let mut item = full_item();
    item.header.author.as_mut().unwrap().org_unit = Some(AuthorOrgUnit {
        hsa_id: Some(CARE_UNIT.into()),
        name: Some("Vårdcentralen Åby".into()),
    });
    let text = GetLaboratoryOrderOutcomeV4::write_response(&Response::new(vec![item], None));
    assert!(!text.contains("orgUnitHSAId"));
    support::validated_body(&text);
}
