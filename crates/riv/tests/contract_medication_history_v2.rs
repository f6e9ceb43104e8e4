//! GetMedicationHistory 2.1: what npo writes validates against the official schema and reads
//! back unchanged; invalid input is refused without panicking; the Swedish view.

mod support;

use npo_riv::common::{
    ContractError, Cv, DatePeriod, HealthcareProfessional, PatientSummaryHeader, PersonId, Query,
    ResultCode, ResultType,
};
use npo_riv::contracts::medication_history_v2::{
    ATC, AdditionalPatientInformation, ConditionalDosage, DispensationAuthorization, Dosage,
    DosageParts, DoseRate, Drug, DrugChoice, EDQM, Generics, GetMedicationHistoryV2, ICD10_SE, Ii,
    KV_KON, LengthOfTreatment, MedicationHistoryRequest, MedicationMedicalRecord,
    MedicationMedicalRecordBody, MedicationPrescription, NAMESPACE, NPL_ID, NonReplaceable, Pq,
    PqInterval, PrescriptionReason, PrescriptionStatus, SingleDose, TypeOfPrescription,
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

fn professional(time: &str) -> HealthcareProfessional {
    support::professional(
        time,
        "SE2321000016-DOC1",
        "Åsa Öberg",
        Cv::coded("LK", support::BEFATTNING, "Läkare"),
        support::full_org_unit(
            CARE_UNIT,
            "Vårdcentralen Åby",
            "0470-123 45",
            Some("vc.aby@example.se"),
            "Storgatan 1, 352 30 Växjö",
            "Växjö",
        ),
        CARE_GIVER,
    )
}

fn full_header(document_id: &str) -> PatientSummaryHeader {
    PatientSummaryHeader {
        document_title: Some("Läkemedelsordination".into()),
        document_time: Some("20230514101500".into()),
        accountable: professional("20230514093000"),
        legal_authenticator: support::signed("20230514100000", "SE2321000016-DOC1", "Åsa Öberg"),
        approved_for_patient: true,
        care_contact_id: Some("VK-2023-0042".into()),
        nullified: Some(false),
        nullified_reason: Some("–".into()),
        ..minimal_header(document_id)
    }
}

fn minimal_header(document_id: &str) -> PatientSummaryHeader {
    support::minimal_header(document_id, SOURCE, PATIENT)
}

fn metformin() -> Drug {
    Drug {
        npl_id: Cv {
            code: Some("20000101000001".into()),
            code_system: Some(NPL_ID.into()),
            display_name: Some("Metformin Sandoz 500 mg filmdragerad tablett".into()),
            ..Cv::default()
        },
        atc_code: Some(Cv::coded("A10BA02", ATC, "Metformin")),
        route: Some(Cv::coded("20053000", EDQM, "Oral användning")),
        pharmaceutical_form: Some("Filmdragerad tablett".into()),
        strength: Some(500.0),
        strength_unit: Some("mg".into()),
    }
}

fn full_dosage() -> Dosage {
    Dosage {
        length_of_treatment: Some(LengthOfTreatment {
            interval: PqInterval::exact(90.0, "d"),
            is_maximum: false,
        }),
        instruction: Some(
            "1 tablett 2 gånger dagligen, morgon och kväll i samband med måltid".into(),
        ),
        unit_dose: Some(Cv {
            original_text: Some("tablett".into()),
            ..Cv::default()
        }),
        short_notation: Some("1x2".into()),
        set_dosage: Some(DosageParts {
            frequency: Some(DoseRate {
                dose: PqInterval::exact(1.0, "tablett"),
                rate: Pq::new(2.0, "1/d"),
            }),
            period: Some(DoseRate {
                dose: PqInterval {
                    low: Some(0.5),
                    high: None,
                    unit: "tablett".into(),
                },
                rate: Pq::new(1.0, "wk"),
            }),
            single_dose: Some(SingleDose {
                dose: PqInterval {
                    low: None,
                    high: Some(2.0),
                    unit: "tablett".into(),
                },
                time: Some("20230514120000".into()),
            }),
            unstructured: Some("Tas med mat & mycket vatten <obs>".into()),
        }),
        maximum_dosage: Some(DosageParts {
            frequency: Some(DoseRate {
                dose: PqInterval::exact(1.0, "tablett"),
                rate: Pq::new(3.0, "1/d"),
            }),
            ..DosageParts::default()
        }),
        conditional_dosage: Some(ConditionalDosage {
            condition: "Vid högt blodsocker".into(),
            dosage: DosageParts {
                unstructured: Some("1 extra tablett".into()),
                ..DosageParts::default()
            },
        }),
    }
}

fn full_record() -> MedicationMedicalRecord {
    let chain = Ii::new("1.2.752.129.2.1.2.1", "ORD-100");
    MedicationMedicalRecord {
        header: full_header("GMH-2023-0001"),
        body: MedicationMedicalRecordBody {
            prescription: MedicationPrescription {
                prescription_id: Ii::new("1.2.752.129.2.1.2.1", "ORD-101"),
                type_of_prescription: TypeOfPrescription::Insattning,
                status: PrescriptionStatus::Active,
                note: Some("Dosökning efter HbA1c 58 mmol/mol.".into()),
                principal_reasons: vec![PrescriptionReason {
                    reason: Cv::coded(
                        "E11.9",
                        ICD10_SE,
                        "Diabetes mellitus typ 2 utan komplikationer",
                    ),
                    other_reason: Some("Otillräcklig effekt av kost".into()),
                }],
                additional_reasons: vec![PrescriptionReason {
                    reason: Cv {
                        original_text: Some("Övervikt".into()),
                        ..Cv::default()
                    },
                    other_reason: None,
                }],
                evaluation_time: Some("20231114000000".into()),
                treatment_purpose: Some("Mot diabetes".into()),
                chain_id: Some(chain.clone()),
                preceding_id: Some(chain),
                succeeding_id: Some(Ii {
                    root: "1.2.752.129.2.1.2.1".into(),
                    extension: None,
                }),
                prescriber: Some(professional("20230514093000")),
                evaluator: Some(HealthcareProfessional {
                    author_time: "20231114100000".into(),
                    hsa_id: Some("SE2321000016-DOC2".into()),
                    name: Some("Per Ågren".into()),
                    role_code: None,
                    org_unit: None,
                    care_unit_hsa_id: None,
                    care_giver_hsa_id: None,
                }),
                start_of_first_treatment: Some("20210301000000".into()),
                start_of_treatment: Some("20230515000000".into()),
                end_of_treatment: Some("20240514000000".into()),
                end_of_treatment_reason: Some(Cv {
                    original_text: Some("Dosändring".into()),
                    ..Cv::default()
                }),
                self_medication: false,
                drug: Some(DrugChoice {
                    comment: Some("Generiskt utbyte tillåtet".into()),
                    unstructured: Some("Metformin 500 mg".into()),
                    merchandise: Some(Cv::coded("123456", "1.2.752.129.2.1.5.3", "Artikel")),
                    npl_pack_id: Some(Cv::coded(
                        "20000101100001",
                        "1.2.752.129.2.1.5.2",
                        "100 tabletter",
                    )),
                    drug: Some(metformin()),
                    generics: Some(Generics {
                        substance: Some("Metformin".into()),
                        strength: Some(Pq::new(500.0, "mg")),
                        form: Some("Filmdragerad tablett".into()),
                    }),
                    dosage: vec![full_dosage(), Dosage::default()],
                }),
                dispensation_authorization: Some(DispensationAuthorization {
                    id: Ii::new("1.2.752.129.2.1.2.1", "REC-101"),
                    valid_until: Some("20240514".into()),
                    receiving_pharmacy: Some(Ii::new("1.2.752.129.2.1.6", "7350045510012")),
                    minimum_dispensation_interval: Some(Pq::new(75.0, "d")),
                    total_amount: Some(400.0),
                    package_unit: Some("tablett".into()),
                    distribution_method: Some("Apotek".into()),
                    authorizer: professional("20230514093500"),
                    authorizer_comment: Some("Förmån".into()),
                    first_dispensation_before: Some("20230814".into()),
                    signatura: "1 tablett 2 gånger dagligen".into(),
                    non_replaceable: Some(NonReplaceable::Patient),
                    drug: Some(DrugChoice {
                        drug: Some(metformin()),
                        ..DrugChoice::default()
                    }),
                }),
            },
            additional_patient_information: Some(AdditionalPatientInformation {
                date_of_birth: "19121212".into(),
                gender: Some(Cv::coded("1", KV_KON, "Man")),
            }),
        },
    }
}

fn minimal_record() -> MedicationMedicalRecord {
    MedicationMedicalRecord {
        header: minimal_header("GMH-2019-0002"),
        body: MedicationMedicalRecordBody {
            prescription: MedicationPrescription {
                prescription_id: Ii {
                    root: "1.2.752.129.2.1.2.1".into(),
                    extension: None,
                },
                type_of_prescription: TypeOfPrescription::Utsattning,
                status: PrescriptionStatus::Inactive,
                note: None,
                principal_reasons: Vec::new(),
                additional_reasons: Vec::new(),
                evaluation_time: None,
                treatment_purpose: None,
                chain_id: None,
                preceding_id: None,
                succeeding_id: None,
                prescriber: None,
                evaluator: None,
                start_of_first_treatment: None,
                start_of_treatment: None,
                end_of_treatment: None,
                end_of_treatment_reason: None,
                self_medication: true,
                drug: None,
                dispensation_authorization: None,
            },
            additional_patient_information: None,
        },
    }
}

fn full_request() -> MedicationHistoryRequest {
    MedicationHistoryRequest {
        query: Query {
            care_unit_ids: vec![CARE_UNIT.into(), "SE2321000016-16XB".into()],
            patient_id: patient(),
            period: Some(DatePeriod {
                start: "20230101".into(),
                end: "20231231".into(),
            }),
            source_system_id: Some(SOURCE.into()),
            care_contact_ids: vec!["VK-2023-0042".into(), "VK-2023-0043".into()],
        },
        care_giver_ids: vec![CARE_GIVER.into()],
        prescription_chain_id: Some(Ii::new("1.2.752.129.2.1.2.1", "ORD-100")),
        prescription_status: Some(PrescriptionStatus::Active),
    }
}

#[test]
fn request_round_trips() {
    check_request::<GetMedicationHistoryV2>(&full_request());
    check_request::<GetMedicationHistoryV2>(&MedicationHistoryRequest::for_patient(patient()));
    let mut inactive = MedicationHistoryRequest::for_patient(patient());
    inactive.prescription_status = Some(PrescriptionStatus::Inactive);
    check_request::<GetMedicationHistoryV2>(&inactive);
}

#[test]
fn response_round_trips() {
    check_response::<GetMedicationHistoryV2>(&Response::new(
        vec![full_record(), minimal_record()],
        Some(ResultType {
            result_code: ResultCode::Info,
            error_code: None,
            log_id: "3f1c2a34-0b7e-4d1e-9a55-1d2c3b4a5e6f".into(),
            sub_code: Some("PARTIAL".into()),
            message: Some("Ett källsystem svarade inte".into()),
        }),
    ));
    // The schema requires a result: none is written as an empty OK and reads back as none.
    check_response::<GetMedicationHistoryV2>(&Response::new(vec![minimal_record()], None));
    check_response::<GetMedicationHistoryV2>(&Response::new(
        Vec::new(),
        Some(ResultType::invalid_request(
            "9b0c7a2e-1111-4e1e-8a55-000000000001",
            "Ogiltig tidsperiod",
        )),
    ));
    check_response::<GetMedicationHistoryV2>(&Response::new(
        Vec::new(),
        Some(ResultType::ok("9b0c7a2e-1111-4e1e-8a55-000000000002")),
    ));
}

#[test]
fn open_period_and_request_filters() {
    let xml = format!(
        r#"<GetMedicationHistory xmlns="{NAMESPACE}" xmlns:c="urn:riv:clinicalprocess:activityprescription:actoutcome:2">
             <patientId><c:id>{PATIENT}</c:id><c:type>1.2.752.129.2.1.3.1</c:type></patientId>
             <datePeriod><c:start>20220101</c:start></datePeriod>
           </GetMedicationHistory>"#
    );
    let req = GetMedicationHistoryV2::parse_request(&parse(&xml)).unwrap();
    assert_eq!(
        req.query.period,
        Some(DatePeriod {
            start: "20220101".into(),
            end: "20991231".into()
        })
    );
    let full = full_record();
    let mut r = MedicationHistoryRequest::for_patient(patient());
    assert!(r.matches(&full));
    r.prescription_status = Some(PrescriptionStatus::Inactive);
    assert!(!r.matches(&full));
    r.prescription_status = None;
    r.care_giver_ids = vec!["SE2321000016-9999".into()];
    assert!(!r.matches(&full));
    assert!(full_request().matches(&full));
}

fn written(record: &MedicationMedicalRecord) -> String {
    GetMedicationHistoryV2::write_response(&Response::new(vec![record.clone()], None))
}

#[test]
fn refuses_invalid_input() {
    let ok = written(&full_record());
    assert!(GetMedicationHistoryV2::parse_response(&parse(&ok)).is_ok());

    // A required element missing.
    let no_status = ok.replace(
        "<core:prescriptionStatus>Active</core:prescriptionStatus>",
        "",
    );
    assert_eq!(
        GetMedicationHistoryV2::parse_response(&parse(&no_status)),
        Err(ContractError::Missing("prescriptionStatus"))
    );
    let no_self = ok.replace("<core:selfMedication>false</core:selfMedication>", "");
    assert!(GetMedicationHistoryV2::parse_response(&parse(&no_self)).is_err());
    let no_result = ok.replace(
        "<tns:result><core:resultCode>OK</core:resultCode><core:logId></core:logId></tns:result>",
        "",
    );
    assert_ne!(no_result, ok);
    assert_eq!(
        GetMedicationHistoryV2::parse_response(&parse(&no_result)),
        Err(ContractError::Missing("result"))
    );

    // Values outside the enumerations and patterns.
    for (from, to) in [
        ("<core:typeOfPrescription>I<", "<core:typeOfPrescription>X<"),
        (
            "<core:prescriptionStatus>Active<",
            "<core:prescriptionStatus>active<",
        ),
        (
            "<core:nonReplaceable>Patient<",
            "<core:nonReplaceable>Apotek<",
        ),
        ("<core:strength>500<", "<core:strength>fem<"),
        (
            "<core:startOfTreatment>20230515000000<",
            "<core:startOfTreatment>2023-05-15<",
        ),
        ("<core:validUntil>20240514<", "<core:validUntil>20241314<"),
        ("<core:selfMedication>false<", "<core:selfMedication>nej<"),
        ("<core:resultCode>OK<", "<core:resultCode>FINE<"),
    ] {
        let bad = ok.replacen(from, to, 1);
        assert_ne!(bad, ok, "{from}");
        assert!(
            matches!(
                GetMedicationHistoryV2::parse_response(&parse(&bad)),
                Err(ContractError::Invalid(..))
            ),
            "{to}"
        );
    }

    // Wrong root elements.
    let req = GetMedicationHistoryV2::write_request(&full_request());
    assert!(GetMedicationHistoryV2::parse_response(&parse(&req)).is_err());
    assert!(GetMedicationHistoryV2::parse_request(&parse(&ok)).is_err());
    let other_ns = req.replace(
        NAMESPACE,
        "urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2",
    );
    assert!(GetMedicationHistoryV2::parse_request(&parse(&other_ns)).is_err());

    // Bad request values.
    let bad_status = req.replace(">Active<", ">Paused<");
    assert!(GetMedicationHistoryV2::parse_request(&parse(&bad_status)).is_err());
    let no_patient = req.replace("tns:patientId", "tns:personId");
    assert_eq!(
        GetMedicationHistoryV2::parse_request(&parse(&no_patient)),
        Err(ContractError::Missing("patientId"))
    );
    let reversed = req.replace("20230101", "20250101");
    assert!(GetMedicationHistoryV2::parse_request(&parse(&reversed)).is_err());
}

#[test]
fn view_in_swedish() {
    let v = GetMedicationHistoryV2::view(&full_record());
    assert_eq!(v.title, "Metformin Sandoz 500 mg filmdragerad tablett");
    assert_eq!(v.time, "20230515000000");
    let field = |label: &str| {
        v.fields
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("Ordinationstyp"), Some("Insättning"));
    assert_eq!(field("Status"), Some("Aktiv"));
    assert_eq!(field("ATC-kod"), Some("A10BA02 Metformin"));
    assert_eq!(
        field("Ordinationsorsak"),
        Some("Diabetes mellitus typ 2 utan komplikationer (E11.9)")
    );
    assert_eq!(field("Behandlingsstart"), Some("2023-05-15"));
    assert_eq!(field("Första behandlingsstart"), Some("2021-03-01"));
    assert_eq!(field("Förskriven mängd"), Some("400 tablett"));
    assert!(
        field("Dosering").is_some_and(|d| d.starts_with("1 tablett 2 gånger dagligen")),
        "{:?}",
        v.fields
    );
    assert_eq!(
        v.text.as_deref(),
        Some("Dosökning efter HbA1c 58 mmol/mol.")
    );
    assert!(!v.attention);

    let m = GetMedicationHistoryV2::view(&minimal_record());
    assert_eq!(m.title, "Läkemedel utan benämning");
    assert_eq!(m.time, "20190301000000");
    assert!(m.fields.contains(&("Ordinationstyp", "Utsättning".into())));
    assert!(m.fields.contains(&("Egenvård", "Ja".into())));

    // A structured dosage without text is described from its parts.
    let mut structured = full_record();
    if let Some(d) = structured.body.prescription.drug.as_mut() {
        d.drug = None;
        d.unstructured = None;
        d.dosage = vec![Dosage {
            set_dosage: Some(DosageParts {
                frequency: Some(DoseRate {
                    dose: PqInterval::exact(0.5, "tablett"),
                    rate: Pq::new(2.0, "1/d"),
                }),
                ..DosageParts::default()
            }),
            ..Dosage::default()
        }];
    }
    let s = GetMedicationHistoryV2::view(&structured);
    assert_eq!(s.title, "Metformin 500 mg filmdragerad tablett");
    assert!(
        s.fields
            .contains(&("Dosering", "0,5 tablett 2 gånger per d".into()))
    );
}

#[test]
fn contract_constants() {
    assert_eq!(GetMedicationHistoryV2::NAME, "GetMedicationHistory");
    assert_eq!(GetMedicationHistoryV2::VERSION, "2.1");
    assert_eq!(GetMedicationHistoryV2::CATEGORIZATION, "caa-gmh");
    assert_eq!(
        GetMedicationHistoryV2::SERVICE_DOMAIN,
        "riv:clinicalprocess:activityprescription:actoutcome"
    );
    assert_eq!(
        GetMedicationHistoryV2::NAMESPACE,
        "urn:riv:clinicalprocess:activityprescription:actoutcome:GetMedicationHistoryResponder:2"
    );
}
