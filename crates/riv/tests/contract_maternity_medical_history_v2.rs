//! GetMaternityMedicalHistory 2.0: requests and responses validate against the official schema
//! and read back unchanged; broken messages are refused; the view speaks Swedish.

mod support;

use npo_riv::common::{
    DatePeriod, LegalAuthenticator, PatientSummaryHeader, PersonId, Query, ResultType,
};
use npo_riv::contracts::maternity_medical_history_v2::*;
use npo_riv::{Contract, ContractError, Response};
use support::{check_request, check_response, parse};

const PATIENT: &str = "199003152386";
const SOURCE: &str = "SE2321000016-SRC1";
const CARE_UNIT: &str = "SE2321000016-BMM1";
const CARE_GIVER: &str = "SE2321000016-0001";

type C = GetMaternityMedicalHistoryV2;

fn patient() -> PersonId {
    PersonId::personnummer(PATIENT)
}

fn full_query() -> Query {
    Query {
        care_unit_ids: vec![CARE_UNIT.into(), "SE2321000016-FOR1".into()],
        patient_id: patient(),
        period: Some(DatePeriod {
            start: "20230101".into(),
            end: "20241231".into(),
        }),
        source_system_id: Some(SOURCE.into()),
        care_contact_ids: vec!["VK-2024-0042".into(), "VK-2024-0043".into()],
    }
}

fn full_header(document_id: &str) -> PatientSummaryHeader {
    PatientSummaryHeader {
        document_title: Some("Inskrivning MVC – Barnmorskemottagningen Ekbacken".into()),
        document_time: Some("20240312101500".into()),
        accountable: support::professional(
            "20240312103000",
            "SE2321000016-P1001",
            "Åsa Öberg",
            support::role("BM", "Barnmorska", "Barnmorska, mödrahälsovård"),
            support::full_org_unit(
                CARE_UNIT,
                "Barnmorskemottagningen Ekbacken",
                "0470-123 45",
                Some("bmm.ekbacken@example.se"),
                "Storgatan 1, 352 30 Växjö",
                "Växjö",
            ),
            CARE_GIVER,
        ),
        legal_authenticator: Some(LegalAuthenticator {
            signature_time: "20240312150000".into(),
            hsa_id: Some("SE2321000016-P1001".into()),
            // This domain's legalAuthenticator has no name.
            name: None,
        }),
        approved_for_patient: true,
        care_contact_id: Some("VK-2024-0042".into()),
        nullified: Some(true),
        nullified_reason: Some("Felregistrerad – fel patient & ersatt".into()),
        ..support::minimal_header(document_id, SOURCE, PATIENT)
    }
}

fn minimal_header(document_id: &str) -> PatientSummaryHeader {
    let mut accountable = support::minimal_professional("20240401083000");
    accountable.hsa_id = Some("SE2321000016-P1002".into());
    accountable.org_unit = Some(support::org_unit(
        CARE_UNIT,
        "Barnmorskemottagningen Ekbacken",
    ));
    accountable.care_unit_hsa_id = Some(CARE_UNIT.into());
    accountable.care_giver_hsa_id = Some(CARE_GIVER.into());
    PatientSummaryHeader {
        accountable,
        ..support::minimal_header(document_id, SOURCE, PATIENT)
    }
}

fn registration() -> RegistrationRecord {
    RegistrationRecord {
        last_menstrual_period: Some("20240115".into()),
        indication_pregnancy: Some("20240212".into()),
        contraceptive_discontinued: Some("20230901".into()),
        edd_from_last_menstrual_period: Some("20241021".into()),
        edd_from_ultrasound: Some("20241024".into()),
        edd_from_embryo_transfer: Some("20241023".into()),
        length: Some(Pq::new(168.0, "cm")),
        weight: Some(Pq::new(71.4, "kg")),
        body_mass_index: Some(Pq::new(25.3, "kg/m2")),
        infertility_years: Some(1.5),
        previous_pregnancies: vec![
            PreviousPregnancy {
                year: 2019,
                month: 5,
                delivery: Some(DeliveryOutcome::LiveBorn),
                healthcare_facility: Some("Förlossningen, Länssjukhuset".into()),
                progress: Some("Normal förlossning, vaginal".into()),
                sex: Some(Sex::Female),
                weight_of_child: Some(Pq::new(3450.0, "g")),
                gestation_weeks: Some(40),
            },
            PreviousPregnancy {
                year: 2021,
                month: 11,
                delivery: Some(DeliveryOutcome::Miscarriage),
                healthcare_facility: None,
                progress: None,
                sex: None,
                weight_of_child: None,
                gestation_weeks: Some(9),
            },
        ],
        thrombosis: Some(false),
        endocrine_disease: Some(true),
        recurrent_urinary_tract_infections: Some(false),
        diabetes_mellitus: Some(false),
        medication: vec![
            Medication {
                medicament: "Levaxin 50 mikrogram tablett".into(),
                dosage: Some("1 tablett dagligen".into()),
            },
            Medication {
                medicament: "Folsyra 0,4 mg".into(),
                dosage: None,
            },
        ],
        standard_care: Some(true),
    }
}

fn checkup() -> PregnancyCheckupRecord {
    PregnancyCheckupRecord {
        complete_weeks_of_gestation: Some(34),
        weight: Some(Pq::new(82.1, "kg")),
        symphysis_fundal_height: Some(Pq::new(33.0, "cm")),
        haemoglobin: Some(Pq::new(112.0, "g/L")),
        blood_pressure_systolic: Some(Pq::new(145.0, "mm[Hg]")),
        blood_pressure_diastolic: Some(Pq::new(95.0, "mm[Hg]")),
        proteinuria: Some(Pq::new(1.0, "1")),
        glycosuria: Some(Pq::new(0.0, "1")),
        fetal_position: vec![FetalPosition::Cephalic, FetalPosition::Breech],
        fetal_presentation: vec![FetalPosition::Cephalic, FetalPosition::Oblique],
        fetal_heart_rate: vec![Pq::new(142.0, "/min"), Pq::new(138.0, "/min")],
        type_of_leave: vec![TypeOfLeave::SickLeave, TypeOfLeave::PregnancyLeave],
        medication_since_registration: vec![Medication {
            medicament: "Järn (Niferex) 100 mg".into(),
            dosage: Some("1 x 1".into()),
        }],
    }
}

fn post_delivery() -> PostDeliveryRecord {
    PostDeliveryRecord {
        mother: MotherPostDelivery {
            blood_pressure_systolic: Some(Pq::new(118.0, "mm[Hg]")),
            blood_pressure_diastolic: Some(Pq::new(76.0, "mm[Hg]")),
            haemoglobin: Some(Pq::new(104.0, "g/L")),
            body_temperature: Some(37.4),
            scars_ok: Some(true),
            suture_removed: Some(false),
            perineum_comfortable: Some(true),
            vulva_vagina_portio_ok: Some(true),
            uterus_contracted: Some(true),
            uterus_note: Some("Fundus 2 cm under naveln".into()),
            breastfeeding: Some(true),
        },
        children: vec![
            ChildPostDelivery {
                ordinal_number: 1,
                weight: Some(Pq::new(2890.0, "g")),
                apgar_1: Some(8),
                apgar_5: Some(9),
                apgar_10: Some(10),
            },
            ChildPostDelivery {
                ordinal_number: 2,
                weight: None,
                apgar_1: None,
                apgar_5: None,
                apgar_10: None,
            },
        ],
    }
}

fn items() -> Vec<MaternityMedicalRecord> {
    vec![
        // Every part at once (the schema allows it), with a full header.
        MaternityMedicalRecord {
            header: full_header("MTR-2024-0001"),
            body: MaternityMedicalRecordBody {
                registration: Some(registration()),
                checkup: Some(checkup()),
                post_delivery: Some(post_delivery()),
            },
        },
        // Minimal: an empty body and the least header the domain allows.
        MaternityMedicalRecord {
            header: minimal_header("MTR-2024-0002"),
            body: MaternityMedicalRecordBody::default(),
        },
        // Minimal parts.
        MaternityMedicalRecord {
            header: minimal_header("MTR-2024-0003"),
            body: MaternityMedicalRecordBody {
                registration: Some(RegistrationRecord::default()),
                checkup: Some(PregnancyCheckupRecord::default()),
                post_delivery: Some(PostDeliveryRecord {
                    mother: MotherPostDelivery::default(),
                    children: vec![ChildPostDelivery {
                        ordinal_number: 1,
                        weight: None,
                        apgar_1: None,
                        apgar_5: None,
                        apgar_10: None,
                    }],
                }),
            },
        },
    ]
}

#[test]
fn contract_identity() {
    assert_eq!(C::NAME, "GetMaternityMedicalHistory");
    assert_eq!(C::VERSION, "2.0");
    assert_eq!(
        C::NAMESPACE,
        "urn:riv:clinicalprocess:healthcond:actoutcome:GetMaternityMedicalHistoryResponder:2"
    );
    assert_eq!(
        C::SERVICE_DOMAIN,
        "riv:clinicalprocess:healthcond:actoutcome"
    );
    assert_eq!(C::CATEGORIZATION, "utr-mtr");
}

#[test]
fn requests_round_trip() {
    check_request::<C>(&full_query());
    check_request::<C>(&Query::for_patient(patient()));
}

#[test]
fn responses_round_trip() {
    check_response::<C>(&Response::new(items(), None));
    check_response::<C>(&Response::new(Vec::new(), None));
}

#[test]
fn the_contract_has_no_result_element() {
    // An INFO or ERROR result cannot be carried: it is dropped on writing.
    let mut info = ResultType::ok("log-1");
    info.result_code = npo_riv::common::ResultCode::Info;
    info.message = Some("Ett källsystem svarade inte".into());
    for result in [info, ResultType::invalid_request("log-2", "Fel")] {
        let written = C::write_response(&Response::new(Vec::new(), Some(result)));
        assert!(!written.contains("result"), "{written}");
        let el = support::validated_body(&written);
        let back = C::parse_response(&el).unwrap();
        assert!(back.items.is_empty() && back.result.is_none());
    }
}

#[test]
fn meta_and_filter_time() {
    let items = items();
    let m = C::meta(&items[0]);
    assert_eq!(m.document_id, "MTR-2024-0001");
    assert_eq!(m.source_system, SOURCE);
    assert_eq!(m.patient_id, &patient());
    assert_eq!(m.registration_time, "20240312103000");
    assert_eq!(m.care_unit, Some(CARE_UNIT));
    assert_eq!(m.care_giver, Some(CARE_GIVER));
    assert!(m.approved_for_patient);
    assert_eq!(m.care_contact_id, Some("VK-2024-0042"));
    assert_eq!(C::filter_time(&items[0]), "20240312101500");
    assert_eq!(C::filter_time(&items[1]), "20240401083000");
}

// ---------------------------------------------------------------------------------------------
// refused messages

fn written(items: Vec<MaternityMedicalRecord>) -> String {
    C::write_response(&Response::new(items, None))
}

fn one(body: MaternityMedicalRecordBody) -> String {
    written(vec![MaternityMedicalRecord {
        header: minimal_header("MTR-X"),
        body,
    }])
}

fn refused(text: &str) -> ContractError {
    C::parse_response(&parse(text)).expect_err("must be refused")
}

#[test]
fn missing_required_elements_are_refused() {
    let base = written(vec![items()[1].clone()]);
    for (element, name) in [
        (
            "<core:documentId>MTR-2024-0002</core:documentId>",
            "documentId",
        ),
        (
            "<core:approvedForPatient>false</core:approvedForPatient>",
            "approvedForPatient",
        ),
        (
            "<core:healthcareProfessionalHSAId>SE2321000016-P1002</core:healthcareProfessionalHSAId>",
            "healthcareProfessionalHSAId",
        ),
        (
            "<core:healthcareProfessionalCareGiverHSAId>SE2321000016-0001</core:healthcareProfessionalCareGiverHSAId>",
            "healthcareProfessionalCareGiverHSAId",
        ),
        (
            "<core:healthcareProfessionalCareUnitHSAId>SE2321000016-BMM1</core:healthcareProfessionalCareUnitHSAId>",
            "healthcareProfessionalCareUnitHSAId",
        ),
    ] {
        let broken = base.replace(element, "");
        assert_ne!(broken, base, "{element} not found");
        assert_eq!(refused(&broken), ContractError::Missing(name));
        // The schema agrees.
        assert!(npo_riv::xsd::validate_element(&parse(&broken)).is_err());
    }
    let no_org_unit = {
        let start = base.find("<core:healthcareProfessionalOrgUnit>").unwrap();
        let end_tag = "</core:healthcareProfessionalOrgUnit>";
        let end = base.find(end_tag).unwrap() + end_tag.len();
        format!("{}{}", &base[..start], &base[end..])
    };
    assert_eq!(
        refused(&no_org_unit),
        ContractError::Missing("healthcareProfessionalOrgUnit")
    );
    let no_body = base.replace(
        "<core:maternityMedicalRecordBody></core:maternityMedicalRecordBody>",
        "",
    );
    assert_ne!(no_body, base);
    assert_eq!(
        refused(&no_body),
        ContractError::Missing("maternityMedicalRecordBody")
    );

    // A post-delivery record without a child.
    let mut p = post_delivery();
    p.children.clear();
    let text = one(MaternityMedicalRecordBody {
        post_delivery: Some(p),
        ..Default::default()
    });
    assert_eq!(
        refused(&text),
        ContractError::Missing("childPostDeliveryRecord")
    );
    // A PQ without its value.
    let text = one(MaternityMedicalRecordBody {
        checkup: Some(checkup()),
        ..Default::default()
    })
    .replace("<core:value>33</core:value>", "");
    assert_eq!(refused(&text), ContractError::Missing("value"));
}

#[test]
fn values_outside_the_schema_are_refused() {
    let reg = one(MaternityMedicalRecordBody {
        registration: Some(registration()),
        ..Default::default()
    });
    // DeliveryCodeEnum has no 3.
    let bad = reg.replace(
        "<core:delivery>5</core:delivery>",
        "<core:delivery>3</core:delivery>",
    );
    assert_ne!(bad, reg);
    assert_eq!(
        refused(&bad),
        ContractError::Invalid("delivery", "not an allowed code")
    );
    assert!(npo_riv::xsd::validate_element(&parse(&bad)).is_err());
    // SexCodeEnum has no 3.
    let bad = reg.replace("<core:sex>2</core:sex>", "<core:sex>3</core:sex>");
    assert!(matches!(refused(&bad), ContractError::Invalid("sex", _)));
    // Dates are YYYYMMDD.
    let bad = reg.replace("20240115", "2024-01-15");
    assert!(matches!(
        refused(&bad),
        ContractError::Invalid("lastMenstrualPeriod", _)
    ));
    // A decimal is not a double.
    let bad = reg.replace(
        "<core:infertility>1.5</core:infertility>",
        "<core:infertility>1.5e0</core:infertility>",
    );
    assert_ne!(bad, reg);
    assert!(matches!(
        refused(&bad),
        ContractError::Invalid("infertility", _)
    ));

    let chk = one(MaternityMedicalRecordBody {
        checkup: Some(checkup()),
        ..Default::default()
    });
    let bad = chk.replacen(
        "<core:fetalPosition>0</core:fetalPosition>",
        "<core:fetalPosition>huvud</core:fetalPosition>",
        1,
    );
    assert!(matches!(
        refused(&bad),
        ContractError::Invalid("fetalPosition", _)
    ));
    let bad = chk.replacen(
        "<core:typeOfLeave>0</core:typeOfLeave>",
        "<core:typeOfLeave>7</core:typeOfLeave>",
        1,
    );
    assert!(matches!(
        refused(&bad),
        ContractError::Invalid("typeOfLeave", _)
    ));
    let bad = chk.replace(
        "<core:value>33</core:value>",
        "<core:value>33,5</core:value>",
    );
    assert!(matches!(
        refused(&bad),
        ContractError::Invalid("symphysisFundalHeight", _)
    ));

    let post = one(MaternityMedicalRecordBody {
        post_delivery: Some(post_delivery()),
        ..Default::default()
    });
    let bad = post.replace(
        "<core:apgarScore5>9</core:apgarScore5>",
        "<core:apgarScore5>12</core:apgarScore5>",
    );
    assert!(matches!(
        refused(&bad),
        ContractError::Invalid("apgarScore5", _)
    ));
    let bad = post.replace(
        "<core:breastfeeding>true</core:breastfeeding>",
        "<core:breastfeeding>ja</core:breastfeeding>",
    );
    assert!(matches!(
        refused(&bad),
        ContractError::Invalid("breastfeeding", _)
    ));

    let bad = written(vec![items()[1].clone()]).replace("20240401083000", "20240401");
    assert!(matches!(
        refused(&bad),
        ContractError::Invalid("authorTime", _)
    ));
}

#[test]
fn wrong_root_elements_are_refused() {
    let req = C::write_request(&full_query());
    let resp = written(items());
    assert_eq!(
        C::parse_request(&parse(&resp)).unwrap_err(),
        ContractError::UnexpectedElement("GetMaternityMedicalHistory")
    );
    assert_eq!(
        C::parse_response(&parse(&req)).unwrap_err(),
        ContractError::UnexpectedElement("GetMaternityMedicalHistoryResponse")
    );
    // The right local name in another namespace.
    let other = req.replace(
        NAMESPACE,
        "urn:riv:clinicalprocess:healthcond:actoutcome:GetMaternityMedicalHistoryResponder:1",
    );
    assert!(C::parse_request(&parse(&other)).is_err());
    // A request without a patient, and with a period the wrong way round.
    let no_patient = C::write_request(&Query::for_patient(patient()));
    let start = no_patient.find("<tns:patientId>").unwrap();
    let end = no_patient.find("</tns:patientId>").unwrap() + "</tns:patientId>".len();
    let no_patient = format!("{}{}", &no_patient[..start], &no_patient[end..]);
    assert_eq!(
        C::parse_request(&parse(&no_patient)).unwrap_err(),
        ContractError::Missing("patientId")
    );
    let backwards = req.replace("20230101", "20251231");
    assert!(C::parse_request(&parse(&backwards)).is_err());
}

#[test]
fn the_request_spells_the_care_unit_filter_with_a_small_d() {
    let req = C::write_request(&full_query());
    assert!(req.contains("<tns:careUnitHSAid>"), "{req}");
}

// ---------------------------------------------------------------------------------------------
// view

#[test]
fn views_are_swedish_and_call_out_what_matters() {
    let reg = MaternityMedicalRecord {
        header: minimal_header("MTR-V1"),
        body: MaternityMedicalRecordBody {
            registration: Some(registration()),
            ..Default::default()
        },
    };
    let v = C::view(&reg);
    assert_eq!(v.title, "Inskrivning i mödrahälsovården");
    assert_eq!(v.time, "20240401083000");
    let field = |v: &npo_riv::ItemView, label: &str| {
        v.fields
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| panic!("no field {label}: {:?}", v.fields))
    };
    assert_eq!(field(&v, "Beräknad förlossning (ultraljud)"), "2024-10-24");
    assert_eq!(field(&v, "Graviditet och paritet"), "Gravida 3, para 1");
    assert_eq!(field(&v, "Vikt"), "71,4 kg");
    assert_eq!(field(&v, "BMI"), "25,3");
    assert_eq!(field(&v, "Bedömning vid inskrivning"), "Basprogram");
    assert!(
        field(&v, "Tidigare graviditet").starts_with("2019-05, Levande fött barn, flicka, 3450 g")
    );
    assert!(!v.attention);

    let chk = MaternityMedicalRecord {
        header: full_header("MTR-V2"),
        body: MaternityMedicalRecordBody {
            checkup: Some(checkup()),
            ..Default::default()
        },
    };
    let v = C::view(&chk);
    // The kind of record (with the week) is the title; the header's title is a field.
    assert_eq!(v.title, "Graviditetskontroll, vecka 34");
    assert_eq!(
        field(&v, "Dokument"),
        "Inskrivning MVC – Barnmorskemottagningen Ekbacken"
    );
    assert_eq!(field(&v, "Blodtryck"), "145/95 mmHg");
    assert_eq!(field(&v, "Fosterljud"), "142 slag/min, 138 slag/min");
    assert_eq!(field(&v, "Fosterbjudning"), "Huvud, Snedläge");
    assert_eq!(field(&v, "U-albumin"), "1+");
    assert_eq!(field(&v, "U-glukos"), "Negativ");
    assert_eq!(
        field(&v, "Makulerad"),
        "Felregistrerad – fel patient & ersatt"
    );
    // Hypertension in week 34.
    assert!(v.attention);

    let mut normal = checkup();
    normal.blood_pressure_systolic = Some(Pq::new(118.0, "mm[Hg]"));
    normal.blood_pressure_diastolic = Some(Pq::new(72.0, "mm[Hg]"));
    let v = C::view(&MaternityMedicalRecord {
        header: minimal_header("MTR-V3"),
        body: MaternityMedicalRecordBody {
            checkup: Some(normal),
            ..Default::default()
        },
    });
    assert_eq!(v.title, "Graviditetskontroll, vecka 34");
    assert!(!v.attention);

    let mut post = post_delivery();
    let v = C::view(&MaternityMedicalRecord {
        header: minimal_header("MTR-V4"),
        body: MaternityMedicalRecordBody {
            post_delivery: Some(post.clone()),
            ..Default::default()
        },
    });
    assert_eq!(v.title, "Efter förlossningen");
    assert_eq!(field(&v, "Temperatur"), "37,4 °C");
    assert_eq!(field(&v, "Amning"), "Ja");
    assert_eq!(field(&v, "Barn"), "1: 2890 g, Apgar 8-9-10");
    assert!(!v.attention);
    post.children[0].apgar_5 = Some(5);
    let v = C::view(&MaternityMedicalRecord {
        header: minimal_header("MTR-V5"),
        body: MaternityMedicalRecordBody {
            post_delivery: Some(post),
            ..Default::default()
        },
    });
    assert!(v.attention, "low Apgar at 5 minutes");
}
