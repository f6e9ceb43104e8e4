//! GetVaccinationHistory 2.0: what npo writes validates against the official schema and reads
//! back unchanged; invalid input is refused without panicking; the Swedish view.

mod support;

use npo_riv::common::{
    ContractError, Cv, DatePeriod, PatientSummaryHeader, PersonId, Query, ResultCode, ResultType,
};
use npo_riv::contracts::medication_history_v2::{
    Actor, AdditionalPatientInformation, Ii, OrgUnitInfo, Pq,
};
use npo_riv::contracts::vaccination_history_v2::{
    ATC, AdministrationRecord, Dose, EDQM, GetVaccinationHistoryV2, KV_KON, NAMESPACE,
    RegistrationRecord, VaccinationMedicalRecord, VaccinationMedicalRecordBody,
};
use npo_riv::{Contract, Response};
use support::{check_request, check_response, parse};

const PATIENT: &str = "191212121212";
const SOURCE: &str = "SE2321000016-A1B2";
const CARE_UNIT: &str = "SE2321000016-15CQ";
const CARE_GIVER: &str = "SE2321000016-0001";

fn patient() -> PersonId {
    PersonId::personnummer(PATIENT)
}

fn full_header(document_id: &str) -> PatientSummaryHeader {
    let unit = support::full_org_unit(
        CARE_UNIT,
        "BVC Åby",
        "0470-123 45",
        None,
        "Storgatan 1, 352 30 Växjö",
        "Växjö",
    );
    PatientSummaryHeader {
        document_title: Some("Vaccination".into()),
        document_time: Some("20230514101500".into()),
        accountable: support::professional(
            "20230514103000",
            "SE2321000016-SSK1",
            "Karin Ek",
            Cv::coded("SJ", support::BEFATTNING, "Sjuksköterska"),
            unit,
            CARE_GIVER,
        ),
        legal_authenticator: support::signed("20230514110000", "SE2321000016-SSK1", "Karin Ek"),
        approved_for_patient: true,
        care_contact_id: Some("VK-2023-0042".into()),
        nullified: Some(true),
        nullified_reason: Some("Registrerad på fel patient".into()),
        ..minimal_header(document_id)
    }
}

fn minimal_header(document_id: &str) -> PatientSummaryHeader {
    support::minimal_header(document_id, SOURCE, PATIENT)
}

fn full_actor(name: &str) -> Actor {
    Actor {
        hsa_id: Some("SE2321000016-SSK1".into()),
        name: Some(name.into()),
        email: Some("karin.ek@example.se".into()),
        telecom: Some("0470-123 46".into()),
        address: Some("Storgatan 1".into()),
    }
}

fn full_org() -> OrgUnitInfo {
    OrgUnitInfo {
        hsa_id: Some(CARE_UNIT.into()),
        name: Some("BVC Åby".into()),
        telecom: Some("0470-123 45".into()),
        email: Some("bvc.aby@example.se".into()),
        address: Some("Storgatan 1, 352 30 Växjö".into()),
        location: Some("Växjö".into()),
    }
}

fn hexa() -> AdministrationRecord {
    AdministrationRecord {
        program: Some(Cv {
            display_name: Some("Nationella vaccinationsprogrammet för barn".into()),
            ..Cv::default()
        }),
        prescriber_org: Some(full_org()),
        prescriber: Some(full_actor("Lars Berg")),
        performer_org: Some(full_org()),
        performer: Some(full_actor("Karin Ek")),
        anatomical_site: Some(Cv {
            display_name: Some("Vänster lår".into()),
            ..Cv::default()
        }),
        route: Some(Cv::coded("20035000", EDQM, "Intramuskulär användning")),
        dose: Some(Dose {
            quantity: Some(Pq::new(0.5, "ml")),
            display_name: "0,5 ml".into(),
        }),
        is_dose_complete: Some(true),
        dose_ordinal_number: Some(2),
        number_of_prescribed_doses: Some(3),
        source_description: Some("Given på BVC".into()),
        comment_prescription: Some("Enligt programmet".into()),
        comment_administration: Some("Inga problem & lugnt barn".into()),
        adverse_effects: vec![Cv {
            display_name: Some("Feber över 39 °C".into()),
            ..Cv::default()
        }],
        type_of_vaccine: Some(Cv::coded(
            "J07CA09",
            ATC,
            "Difteri-Haemophilus influenzae B-pertussis-polio-tetanus-hepatit B",
        )),
        vaccine_name: Some(Cv {
            display_name: Some("Infanrix hexa".into()),
            ..Cv::default()
        }),
        batch_id: Some("A21CD123B".into()),
        manufacturer: Some("GlaxoSmithKline".into()),
        target_diseases: vec![
            Cv {
                display_name: Some("Difteri".into()),
                ..Cv::default()
            },
            Cv {
                display_name: Some("Stelkramp".into()),
                ..Cv::default()
            },
        ],
        unique_reference: Some(Ii::new(SOURCE, "VAC-2023-0001-1")),
    }
}

fn full_record() -> VaccinationMedicalRecord {
    VaccinationMedicalRecord {
        header: full_header("GVH-2023-0001"),
        body: VaccinationMedicalRecordBody {
            registration: RegistrationRecord {
                care_giver_org: OrgUnitInfo::named(CARE_GIVER, "Region Kronoberg"),
                care_giver_contact: Some(full_actor("Karin Ek")),
                source_system_name: "Svevac".into(),
                source_system_product_name: Some("Svevac".into()),
                source_system_product_version: Some("6.4".into()),
                source_system_contact: Actor {
                    name: Some("Förvaltning vaccinationsjournal".into()),
                    ..Actor::default()
                },
                care_unit_smi_id: Some("0780-12".into()),
                date: "20230514".into(),
                patient_postal_code: Some("35230".into()),
                unstructured_note: Some("Föräldern informerad om feber.".into()),
                risk_categories: vec![Cv {
                    display_name: Some("Prematur".into()),
                    ..Cv::default()
                }],
                adverse_effects: vec![Cv {
                    display_name: Some("Rodnad vid stickstället".into()),
                    ..Cv::default()
                }],
            },
            administrations: vec![
                hexa(),
                AdministrationRecord {
                    vaccine_name: Some(Cv {
                        display_name: Some("Prevenar 13".into()),
                        ..Cv::default()
                    }),
                    ..AdministrationRecord::default()
                },
            ],
            additional_patient_information: Some(AdditionalPatientInformation {
                date_of_birth: "20221214".into(),
                gender: Some(Cv::coded("2", KV_KON, "Kvinna")),
            }),
        },
    }
}

fn minimal_record() -> VaccinationMedicalRecord {
    VaccinationMedicalRecord {
        header: minimal_header("GVH-2019-0002"),
        body: VaccinationMedicalRecordBody {
            registration: RegistrationRecord {
                care_giver_org: OrgUnitInfo::default(),
                care_giver_contact: None,
                source_system_name: "Svevac".into(),
                source_system_product_name: None,
                source_system_product_version: None,
                source_system_contact: Actor::default(),
                care_unit_smi_id: None,
                date: "20190301".into(),
                patient_postal_code: None,
                unstructured_note: None,
                risk_categories: Vec::new(),
                adverse_effects: Vec::new(),
            },
            administrations: Vec::new(),
            additional_patient_information: None,
        },
    }
}

#[test]
fn request_round_trips() {
    check_request::<GetVaccinationHistoryV2>(&Query {
        care_unit_ids: vec![CARE_UNIT.into(), "SE2321000016-16XB".into()],
        patient_id: patient(),
        period: Some(DatePeriod {
            start: "20230101".into(),
            end: "20231231".into(),
        }),
        source_system_id: Some(SOURCE.into()),
        care_contact_ids: vec!["VK-2023-0042".into()],
    });
    check_request::<GetVaccinationHistoryV2>(&Query::for_patient(patient()));
}

#[test]
fn response_round_trips() {
    check_response::<GetVaccinationHistoryV2>(&Response::new(
        vec![full_record(), minimal_record()],
        Some(ResultType {
            result_code: ResultCode::Info,
            error_code: None,
            log_id: "3f1c2a34-0b7e-4d1e-9a55-1d2c3b4a5e6f".into(),
            sub_code: Some("PARTIAL".into()),
            message: Some("Ett källsystem svarade inte".into()),
        }),
    ));
    check_response::<GetVaccinationHistoryV2>(&Response::new(vec![minimal_record()], None));
    check_response::<GetVaccinationHistoryV2>(&Response::new(
        Vec::new(),
        Some(ResultType::invalid_request(
            "9b0c7a2e-1111-4e1e-8a55-000000000001",
            "sourceSystemHSAid matchar inte den logiska adressen",
        )),
    ));
}

#[test]
fn request_spelling_and_open_period() {
    let xml = format!(
        r#"<v:GetVaccinationHistory xmlns:v="{NAMESPACE}" xmlns:c="urn:riv:clinicalprocess:activityprescription:actoutcome:2">
             <v:careUnitHSAid>{CARE_UNIT}</v:careUnitHSAid>
             <v:patientId><c:id>{PATIENT}</c:id><c:type>1.2.752.129.2.1.3.1</c:type></v:patientId>
             <v:timePeriod><c:end>20231231</c:end></v:timePeriod>
             <v:sourceSystemHSAid>{SOURCE}</v:sourceSystemHSAid>
           </v:GetVaccinationHistory>"#
    );
    let q = GetVaccinationHistoryV2::parse_request(&parse(&xml)).unwrap();
    assert_eq!(q.care_unit_ids, vec![CARE_UNIT.to_owned()]);
    assert_eq!(q.source_system_id.as_deref(), Some(SOURCE));
    assert_eq!(
        q.period,
        Some(DatePeriod {
            start: "19000101".into(),
            end: "20231231".into()
        })
    );
    let empty = xml.replace("<c:end>20231231</c:end>", "");
    assert_eq!(
        GetVaccinationHistoryV2::parse_request(&parse(&empty))
            .unwrap()
            .period,
        None
    );
}

#[test]
fn refuses_invalid_input() {
    let ok = GetVaccinationHistoryV2::write_response(&Response::new(vec![full_record()], None));
    assert!(GetVaccinationHistoryV2::parse_response(&parse(&ok)).is_ok());

    let missing = [
        (
            "<core:sourceSystemName>Svevac</core:sourceSystemName>",
            "sourceSystemName",
        ),
        ("<core:date>20230514</core:date>", "date"),
        ("<core:displayName>0,5 ml</core:displayName>", "displayName"),
        (
            "<core:approvedForPatient>true</core:approvedForPatient>",
            "approvedForPatient",
        ),
    ];
    for (element, name) in missing {
        let bad = ok.replacen(element, "", 1);
        assert_ne!(bad, ok, "{element}");
        assert_eq!(
            GetVaccinationHistoryV2::parse_response(&parse(&bad)),
            Err(ContractError::Missing(name))
        );
    }
    let no_registration = ok.replace("core:registrationRecord>", "core:registration>");
    assert_eq!(
        GetVaccinationHistoryV2::parse_response(&parse(&no_registration)),
        Err(ContractError::Missing("registrationRecord"))
    );

    for (from, to) in [
        ("<core:date>20230514<", "<core:date>14/05/2023<"),
        ("<core:doseOrdinalNumber>2<", "<core:doseOrdinalNumber>två<"),
        ("<core:isDoseComplete>true<", "<core:isDoseComplete>ja<"),
        ("<core:value>0.5<", "<core:value>0,5<"),
        ("<core:dateOfBirth>20221214<", "<core:dateOfBirth>20221314<"),
        ("<core:resultCode>OK<", "<core:resultCode>BRA<"),
        (
            "<core:documentTime>20230514101500<",
            "<core:documentTime>20230514<",
        ),
    ] {
        let bad = ok.replacen(from, to, 1);
        assert_ne!(bad, ok, "{from}");
        assert!(
            matches!(
                GetVaccinationHistoryV2::parse_response(&parse(&bad)),
                Err(ContractError::Invalid(..))
            ),
            "{to}"
        );
    }

    let req = GetVaccinationHistoryV2::write_request(&Query::for_patient(patient()));
    assert!(GetVaccinationHistoryV2::parse_response(&parse(&req)).is_err());
    assert!(GetVaccinationHistoryV2::parse_request(&parse(&ok)).is_err());
    let wrong_ns = req.replace(
        NAMESPACE,
        "urn:riv:clinicalprocess:activityprescription:actoutcome:GetMedicationHistoryResponder:2",
    );
    assert!(GetVaccinationHistoryV2::parse_request(&parse(&wrong_ns)).is_err());
    let no_patient = req.replace("tns:patientId", "tns:patient");
    assert_eq!(
        GetVaccinationHistoryV2::parse_request(&parse(&no_patient)),
        Err(ContractError::Missing("patientId"))
    );
}

#[test]
fn view_in_swedish() {
    let v = GetVaccinationHistoryV2::view(&full_record());
    assert_eq!(v.title, "Infanrix hexa + Prevenar 13");
    assert_eq!(v.time, "20230514101500");
    let field = |label: &str| {
        v.fields
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("Vaccinationsdatum"), Some("2023-05-14"));
    assert_eq!(field("Dos"), Some("2 av 3"));
    assert_eq!(field("Skydd mot"), Some("Difteri, Stelkramp"));
    assert_eq!(field("Vaccinatör"), Some("Karin Ek"));
    assert_eq!(field("Batchnummer"), Some("A21CD123B"));
    assert_eq!(
        field("Biverkningar"),
        Some("Rodnad vid stickstället, Feber över 39 °C")
    );
    assert_eq!(field("Makulerad"), Some("Registrerad på fel patient"));
    assert!(v.attention, "adverse effects call for attention");
    assert!(v.text.is_some_and(|t| t.contains("Föräldern informerad")));

    let m = GetVaccinationHistoryV2::view(&minimal_record());
    assert_eq!(m.title, "Vaccination");
    assert_eq!(m.time, "20190301000000");
    assert!(!m.attention);
}

#[test]
fn contract_constants() {
    assert_eq!(GetVaccinationHistoryV2::NAME, "GetVaccinationHistory");
    assert_eq!(GetVaccinationHistoryV2::VERSION, "2.0");
    assert_eq!(GetVaccinationHistoryV2::CATEGORIZATION, "caa-gvh");
    assert_eq!(
        GetVaccinationHistoryV2::SERVICE_DOMAIN,
        "riv:clinicalprocess:activityprescription:actoutcome"
    );
}
