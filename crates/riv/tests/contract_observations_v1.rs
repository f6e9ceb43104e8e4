//! GetObservations 1.1: round trips through the official schema, Inera's example, strict
//! parsing, the request's filters, the view.

mod support;

use npo_riv::common::{ContractError, DatePeriod, OID_PERSONNUMMER, PersonId, Query, ResultType};
use npo_riv::contracts::observations_v1::{
    Authenticator, CareGiver, CareUnit, Code, GetObservationsRequest, GetObservationsV1,
    HL7_ROLE_CLASS, HSA_ID_OID, Ii, KV_KON, Observation, ObservationGroup, ObservationPatient,
    ObservationValue, PartialPeriod, PartialTime, PerformerRole, Person, Pq, SNOMED_CT,
};
use npo_riv::{Contract, Response};
use support::{check_request, check_response, parse};

const PATIENT: &str = "191212121212";
const SOURCE: &str = "SE2321000016-A1B2";
const UNIT: &str = "SE2321000016-15CQ";
const GIVER: &str = "SE2321000016-0001";
const AGREEMENT: &str = "3f1c2a34-0b7e-4d1e-9a55-1d2c3b4a5e6f";
const ROOT: &str = "D3CC3AFD-310E-40C1-8E89-0342389C2F1F";

fn obs(ext: &str, code: &str, value: Option<ObservationValue>) -> Observation {
    Observation {
        id: Ii {
            root: ROOT.into(),
            extension: ext.into(),
        },
        type_: Code::snomed(code, ""),
        status: None,
        time: PartialPeriod::at("20240311101500"),
        method: None,
        value,
        target_site: None,
        value_negation: false,
        description: None,
        approved_for_patient: true,
        registration_time: Some("20240311102000".into()),
    }
}

fn pq(v: &str, unit: &str) -> Option<ObservationValue> {
    Some(ObservationValue::Pq(Pq {
        value: v.into(),
        unit: unit.into(),
    }))
}

fn full_group() -> ObservationGroup {
    let mut weight = obs("OBS-1", "27113001", pq("12.45", "kg"));
    weight.status = Some(Code {
        code: "completed".into(),
        code_system: "2.16.840.1.113883.5.14".into(),
        code_system_name: Some("ActStatus".into()),
        code_system_version: Some("1".into()),
        display_name: Some("Slutförd".into()),
    });
    weight.method = Some(Code::new("258104002", SNOMED_CT, "Mätt"));
    weight.target_site = Some(Code::new("38266002", SNOMED_CT, "Hela kroppen"));
    weight.description = Some("Vägd utan kläder & blöja <BVC>".into());
    let mut ts = obs(
        "OBS-5",
        "399423000",
        Some(ObservationValue::Ts(PartialTime {
            format: "YYYYMM".into(),
            value: "202403".into(),
        })),
    );
    ts.type_ = Code::new("399423000", SNOMED_CT, "Datum för mätning");
    ts.time = PartialPeriod {
        start: Some(PartialTime {
            format: "YYYYMMDD".into(),
            value: "20240311".into(),
        }),
        end: None,
    };
    ts.registration_time = None;
    ts.value_negation = true;
    ObservationGroup {
        patient: ObservationPatient {
            id: PersonId::personnummer(PATIENT),
            name: Some("Tolvan Tolvansson".into()),
            date_of_birth: "20220505".into(),
            gender: Some(Code::new("1", KV_KON, "Man")),
        },
        performer: PerformerRole {
            id: Some(Ii::hsa("SE2321000016-NUR1")),
            code: Code::new("ASSIGNED", HL7_ROLE_CLASS, "Tilldelad"),
            person: Some(Person {
                id: Some(Ii::hsa("SE2321000016-NUR1")),
                name: Some("Åsa Öberg".into()),
            }),
            care_unit: Some(CareUnit {
                id: Ii::hsa(UNIT),
                name: Some("BVC Åby".into()),
                care_giver: CareGiver {
                    id: Ii::hsa(GIVER),
                    name: Some("Region Kronoberg".into()),
                },
            }),
        },
        legal_authenticator: Some(Authenticator {
            id: Some(Ii::hsa("SE2321000016-DOC1")),
            time: PartialTime::full("20240311113000"),
            name: Some("Per Ågren".into()),
        }),
        source_system: Ii::hsa(SOURCE),
        observations: vec![
            weight,
            obs("OBS-2", "248334005", pq("87.5", "cm")),
            obs("OBS-3", "363812007", pq("48.0", "cm")),
            obs(
                "OBS-4",
                "60621009",
                Some(ObservationValue::Cv(Code::new(
                    "N",
                    "2.16.840.1.113883.5.83",
                    "Normal",
                ))),
            ),
            ts,
            obs(
                "OBS-6",
                "364075005",
                Some(ObservationValue::IvlTs(PartialPeriod {
                    start: Some(PartialTime::full("20240311100000")),
                    end: Some(PartialTime {
                        format: "YYYYMMDDhhmm".into(),
                        value: "202403111015".into(),
                    }),
                })),
            ),
            obs("OBS-7", "271649006", None),
        ],
    }
}

fn minimal_group() -> ObservationGroup {
    ObservationGroup {
        patient: ObservationPatient {
            id: PersonId::personnummer(PATIENT),
            name: None,
            date_of_birth: "19121212".into(),
            gender: None,
        },
        performer: PerformerRole {
            id: None,
            code: Code {
                code: "ASSIGNED".into(),
                code_system: HL7_ROLE_CLASS.into(),
                ..Code::default()
            },
            person: None,
            care_unit: None,
        },
        legal_authenticator: None,
        source_system: Ii::hsa(SOURCE),
        observations: vec![Observation {
            id: Ii {
                root: ROOT.into(),
                extension: "OBS-9".into(),
            },
            type_: Code {
                code: "27113001".into(),
                code_system: SNOMED_CT.into(),
                ..Code::default()
            },
            status: None,
            time: PartialPeriod::default(),
            method: None,
            value: None,
            target_site: None,
            value_negation: false,
            description: None,
            approved_for_patient: false,
            registration_time: None,
        }],
    }
}

fn full_request() -> GetObservationsRequest {
    GetObservationsRequest {
        query: Query {
            care_unit_ids: vec![UNIT.into()],
            patient_id: PersonId::personnummer(PATIENT),
            period: Some(DatePeriod {
                start: "20230101".into(),
                end: "20241231".into(),
            }),
            source_system_id: Some(SOURCE.into()),
            care_contact_ids: Vec::new(),
        },
        observation_types: vec![Code::snomed("27113001", ""), Code::snomed("248334005", "")],
        observation_ids: vec![Ii {
            root: ROOT.into(),
            extension: "OBS-1".into(),
        }],
        care_giver_id: Some(GIVER.into()),
        interaction_agreement_id: AGREEMENT.into(),
    }
}

#[test]
fn request_round_trips() {
    check_request::<GetObservationsV1>(&full_request());
    check_request::<GetObservationsV1>(&GetObservationsRequest::for_patient(
        PersonId::personnummer(PATIENT),
        AGREEMENT,
    ));
}

#[test]
fn request_time_with_one_end_only() {
    let xml = GetObservationsV1::write_request(&full_request())
        .replace("<core:start>20230101000000</core:start>", "")
        .replace("20241231235959", "20241231120000");
    let req = GetObservationsV1::parse_request(&support::validated_body(&xml)).unwrap();
    assert_eq!(
        req.query.period,
        Some(DatePeriod {
            start: "19000101".into(),
            end: "20241231".into(),
        })
    );
}

#[test]
fn response_round_trips() {
    check_response::<GetObservationsV1>(&Response::new(vec![full_group(), minimal_group()], None));
    check_response::<GetObservationsV1>(&Response::new(vec![minimal_group()], None));
    check_response::<GetObservationsV1>(&Response::new(Vec::new(), None));
    // There is no result element in 1.1: it is dropped.
    let written =
        GetObservationsV1::write_response(&Response::new(Vec::new(), Some(ResultType::ok("x"))));
    assert!(!written.contains("result"));
}

#[test]
fn inera_example_reads_and_round_trips() {
    let path =
        npo_riv::xsd::schema_root().join("_samples/GetObservationsResponse_vikt_langd.example.xml");
    let text = std::fs::read_to_string(&path).expect("example file");
    let text = text.trim_start_matches('\u{feff}');
    let resp = GetObservationsV1::parse_response(&parse(text)).unwrap();
    assert_eq!(resp.items.len(), 1);
    let g = &resp.items[0];
    assert_eq!(g.patient.id.id, "191212121212");
    assert_eq!(g.patient.id.type_, OID_PERSONNUMMER);
    assert_eq!(g.observations.len(), 2);
    assert_eq!(g.observations[1].type_.code, "27113001");
    let meta = GetObservationsV1::meta(g);
    assert_eq!(meta.source_system, "SE162321000255-KKKKK");
    assert_eq!(meta.care_unit, Some("SE162321000255-DDDDD"));
    assert_eq!(meta.care_giver, Some("SE162321000255-FFFFFFF"));
    assert_eq!(meta.document_id, "5");
    assert_eq!(GetObservationsV1::filter_time(g), "20140911121400");
    let v = GetObservationsV1::view(g);
    assert_eq!(v.title, "Längd 187 cm, Vikt 80 kg");
    check_response::<GetObservationsV1>(&resp);
}

fn written_full() -> String {
    GetObservationsV1::write_response(&Response::new(vec![full_group()], None))
}

#[test]
fn missing_required_elements_are_errors() {
    let xml = written_full();
    let without_observations = {
        let start = xml.find("<core:observation>").unwrap();
        let end = xml.rfind("</core:observation>").unwrap() + "</core:observation>".len();
        format!("{}{}", &xml[..start], &xml[end..])
    };
    assert_eq!(
        GetObservationsV1::parse_response(&parse(&without_observations)),
        Err(ContractError::Missing("observation"))
    );
    for (from, to, missing) in [
        (
            "<core:dateOfBirth>20220505</core:dateOfBirth>",
            "",
            "dateOfBirth",
        ),
        (
            "<core:valueNegation>false</core:valueNegation>",
            "",
            "valueNegation",
        ),
        (
            "<core:codeSystem>2.16.840.1.113883.5.110</core:codeSystem>",
            "",
            "codeSystem",
        ),
        ("<core:sourceSystem>", "<core:system>", "sourceSystem"),
        ("<core:unit>kg</core:unit>", "", "unit"),
    ] {
        let bad = xml.replacen(from, to, 1).replace(
            "</core:sourceSystem>",
            if missing == "sourceSystem" {
                "</core:system>"
            } else {
                "</core:sourceSystem>"
            },
        );
        assert_ne!(bad, xml);
        assert_eq!(
            GetObservationsV1::parse_response(&parse(&bad)),
            Err(ContractError::Missing(missing)),
            "{missing}"
        );
    }
    let req = GetObservationsV1::write_request(&full_request());
    let bad = req.replace(
        &format!("<tns:interactionAgreementId>{AGREEMENT}</tns:interactionAgreementId>"),
        "",
    );
    assert_eq!(
        GetObservationsV1::parse_request(&parse(&bad)),
        Err(ContractError::Missing("interactionAgreementId"))
    );
}

#[test]
fn bad_values_are_errors() {
    let xml = written_full();
    for (from, to, name) in [
        (
            "<core:format>YYYYMM</core:format>",
            "<core:format>MMYYYY</core:format>",
            "format",
        ),
        (
            "<core:value>202403</core:value>",
            "<core:value>202413</core:value>",
            "value",
        ),
        (
            "<core:value>12.45</core:value>",
            "<core:value>12,45</core:value>",
            "value",
        ),
        (
            "<core:dateOfBirth>20220505</core:dateOfBirth>",
            "<core:dateOfBirth>2022-05-05</core:dateOfBirth>",
            "dateOfBirth",
        ),
        (
            "<core:registrationTime>20240311102000</core:registrationTime>",
            "<core:registrationTime>202403111020</core:registrationTime>",
            "registrationTime",
        ),
        (
            "<core:approvedForPatient>true</core:approvedForPatient>",
            "<core:approvedForPatient>yes</core:approvedForPatient>",
            "approvedForPatient",
        ),
    ] {
        let bad = xml.replacen(from, to, 1);
        assert_ne!(bad, xml, "{name}");
        assert!(
            matches!(
                GetObservationsV1::parse_response(&parse(&bad)),
                Err(ContractError::Invalid(n, _)) if n == name
            ),
            "{name}"
        );
    }
    let req = GetObservationsV1::write_request(&full_request());
    for bad in [
        req.replace(AGREEMENT, "not-a-uuid"),
        req.replace(AGREEMENT, "3f1c2a34-0b7e-3d1e-9a55-1d2c3b4a5e6f"),
    ] {
        assert_eq!(
            GetObservationsV1::parse_request(&parse(&bad)),
            Err(ContractError::Invalid(
                "interactionAgreementId",
                "not a UUID"
            ))
        );
    }
    let reversed = req.replace("20230101000000", "20250101000000");
    assert!(matches!(
        GetObservationsV1::parse_request(&parse(&reversed)),
        Err(ContractError::Invalid("time", _))
    ));
}

#[test]
fn wrong_root_element_is_an_error() {
    let req = GetObservationsV1::write_request(&full_request());
    assert_eq!(
        GetObservationsV1::parse_response(&parse(&req)),
        Err(ContractError::UnexpectedElement("GetObservationsResponse"))
    );
    assert_eq!(
        GetObservationsV1::parse_request(&parse(&written_full())),
        Err(ContractError::UnexpectedElement("GetObservations"))
    );
}

#[test]
fn request_selects_observations() {
    let g = full_group();
    let r = full_request();
    let sel = r.select(&g).expect("weight matches");
    assert_eq!(sel.observations.len(), 1);
    assert_eq!(sel.observations[0].id.extension, "OBS-1");
    let mut r2 = full_request();
    r2.care_giver_id = Some("SE2120001234-0001".into());
    assert!(r2.select(&g).is_none());
    let mut r3 = GetObservationsRequest::for_patient(PersonId::personnummer(PATIENT), AGREEMENT);
    r3.observation_types = vec![Code::snomed("363812007", "")];
    assert_eq!(r3.select(&g).unwrap().observations[0].id.extension, "OBS-3");
    r3.query.period = Some(DatePeriod {
        start: "20250101".into(),
        end: "20250102".into(),
    });
    assert!(r3.select(&g).is_none());
}

#[test]
fn meta_and_view() {
    let g = full_group();
    let m = GetObservationsV1::meta(&g);
    assert_eq!(m.document_id, "OBS-1");
    assert_eq!(m.registration_time, "20240311102000");
    assert_eq!(m.care_unit, Some(UNIT));
    assert_eq!(m.care_giver, Some(GIVER));
    assert_eq!(m.patient_id.id, PATIENT);
    assert!(m.approved_for_patient);
    assert_eq!(GetObservationsV1::filter_time(&g), "20240311101500");
    let v = GetObservationsV1::view(&g);
    assert!(
        v.title
            .starts_with("Vikt 12,45 kg, Längd 87,5 cm, Huvudomfång 48,0 cm")
    );
    assert!(v.fields.contains(&("Vikt", "12,45 kg".into())));
    assert!(v.fields.contains(&("Vårdenhet", "BVC Åby".into())));
    assert!(v.fields.contains(&("Utförd av", "Åsa Öberg".into())));
    assert!(
        v.fields
            .contains(&("Observation", "Datum för mätning: Ej påvisat".into()))
    );
    assert_eq!(v.text.as_deref(), Some("Vägd utan kläder & blöja <BVC>"));
    assert!(!v.attention);

    let min = minimal_group();
    let m = GetObservationsV1::meta(&min);
    assert!(!m.approved_for_patient);
    assert_eq!(m.care_unit, None);
    assert_eq!(GetObservationsV1::filter_time(&min), "");

    // Blood pressure is shown as one value; a very high one calls for attention.
    let mut bp = minimal_group();
    bp.observations = vec![
        obs("BP-1", "271649006", pq("186", "mm[Hg]")),
        obs("BP-2", "271650006", pq("104", "mm[Hg]")),
        obs("BP-3", "364075005", pq("72", "/min")),
    ];
    let v = GetObservationsV1::view(&bp);
    assert_eq!(v.title, "Blodtryck 186/104 mmHg, Puls 72 /min");
    assert!(v.attention);
    assert_eq!(GetObservationsV1::meta(&bp).care_contact_id, None);
    let _ = HSA_ID_OID;
}
