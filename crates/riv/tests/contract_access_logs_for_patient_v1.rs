//! GetAccessLogsForPatient 1.0: what npo writes validates against the official schema (xmllint),
//! as a body and inside a SOAP envelope, and reads back unchanged; what the schema refuses, the
//! parser refuses with an error (never a panic).

mod support;

use npo_riv::contracts::access_logs_for_patient_v1::*;
use npo_riv::soap;
use npo_riv::xml::Element;
use support::{LOGICAL_ADDRESS, parse, validated_body, validated_envelope};

const PATIENT: &str = "191212121212";

fn dt(s: &str) -> XsDateTime {
    XsDateTime::parse(s).expect("test date-time")
}

fn check_request(req: &GetAccessLogsForPatientRequest) {
    let body = req.write();
    let el = validated_body(&body);
    assert_eq!(
        &GetAccessLogsForPatientRequest::parse(&el).expect("parse request body"),
        req
    );
    let env = validated_envelope(&soap::request(LOGICAL_ADDRESS, &body));
    assert_eq!(env.logical_address(), Some(LOGICAL_ADDRESS));
    assert_eq!(env.contract_namespace(), NAMESPACE);
    assert_eq!(
        &GetAccessLogsForPatientRequest::parse(&env.body).expect("parse request"),
        req
    );
}

fn check_response(resp: &GetAccessLogsForPatientResponse) -> Element {
    let body = resp.write();
    let el = validated_body(&body);
    assert_eq!(
        &GetAccessLogsForPatientResponse::parse(&el).expect("parse response body"),
        resp
    );
    let env = validated_envelope(&soap::envelope("", &body));
    assert_eq!(env.contract_namespace(), NAMESPACE);
    assert_eq!(
        &GetAccessLogsForPatientResponse::parse(&env.body).expect("parse response"),
        resp
    );
    el
}

fn record(unit: &str, time: &str) -> AccessLogRecord {
    AccessLogRecord {
        care_provider_id: "SE2321000016-0001".into(),
        care_provider_name: "Region Östergötland".into(),
        care_unit_id: unit.into(),
        care_unit_name: "Vårdcentralen Ödeshög".into(),
        access_date: XsDateTime::from_stockholm_timestamp(time).expect("timestamp"),
        purpose: "Vård och behandling".into(),
        resource_type: "dia".into(),
    }
}

fn request_xml(inner: &str) -> String {
    format!(
        "<r:GetAccessLogsForPatientRequest xmlns:r=\"{NAMESPACE}\">{inner}</r:GetAccessLogsForPatientRequest>"
    )
}

const DATES: &str =
    "<r:FromDate>2024-01-01T00:00:00</r:FromDate><r:ToDate>2024-12-31T23:59:59</r:ToDate>";

fn response_xml(inner: &str) -> String {
    format!(
        "<r:GetAccessLogsForPatientResponse xmlns:r=\"{NAMESPACE}\" xmlns:q=\"{QUERYING_NS}\">\
         <r:AccessLogsResultType>{inner}</r:AccessLogsResultType>\
         </r:GetAccessLogsForPatientResponse>"
    )
}

const OK_RESULT: &str = "<q:Result><q:ResultCode>OK</q:ResultCode><q:ResultText/></q:Result>";

fn access_log_xml(skip: &str, replace: Option<(&str, &str)>) -> String {
    let fields = [
        ("CareProviderId", "SE2321000016-0001"),
        ("CareProviderName", "Region Östergötland"),
        ("CareUnitId", "SE2321000016-E1"),
        ("CareUnitName", "Vårdcentralen"),
        ("AccessDate", "2024-03-01T10:00:00+01:00"),
        ("Purpose", "Vård och behandling"),
        ("ResourceType", "dia"),
    ];
    let mut s = String::from("<q:AccessLog>");
    for (name, value) in fields {
        if name == skip {
            continue;
        }
        let value = match replace {
            Some((n, v)) if n == name => v,
            _ => value,
        };
        s.push_str(&format!("<q:{name}>{value}</q:{name}>"));
    }
    s.push_str("</q:AccessLog>");
    s
}

fn parse_response(xml: &str) -> Result<GetAccessLogsForPatientResponse, npo_riv::ContractError> {
    GetAccessLogsForPatientResponse::parse(&parse(xml))
}

fn parse_request(xml: &str) -> Result<GetAccessLogsForPatientRequest, npo_riv::ContractError> {
    GetAccessLogsForPatientRequest::parse(&parse(xml))
}

// ---------------------------------------------------------------------------------------------
// Requests

#[test]
fn full_request_round_trips() {
    let mut req = GetAccessLogsForPatientRequest::new(
        PATIENT,
        dt("2023-07-01T00:00:00+02:00"),
        dt("2024-06-30T23:59:59.999Z"),
    );
    req.queued_report_id = Some("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into());
    check_request(&req);
}

#[test]
fn minimal_request_round_trips() {
    let req = GetAccessLogsForPatientRequest::new(
        PATIENT,
        dt("2024-01-01T00:00:00"),
        dt("2024-01-31T23:59:59"),
    );
    check_request(&req);
    assert!(!req.write().contains("QueuedReportId"));
}

#[test]
fn a_request_in_the_schema_examples_shape_parses() {
    // Default namespace instead of a prefix, whitespace, and an extension element of another
    // namespace (the schema's xs:any ##other).
    let xml = format!(
        "<GetAccessLogsForPatientRequest xmlns=\"{NAMESPACE}\">\n  <PatientId>{PATIENT}</PatientId>\n  \
         <FromDate>2024-01-01T00:00:00+01:00</FromDate>\n  <ToDate>2024-02-01T00:00:00+01:00</ToDate>\n  \
         <x:extra xmlns:x=\"urn:example:extension\">ignored</x:extra>\n</GetAccessLogsForPatientRequest>"
    );
    let el = validated_body(&xml);
    let req = GetAccessLogsForPatientRequest::parse(&el).unwrap();
    assert_eq!(req.patient_id, PATIENT);
    assert_eq!(req.from_date.to_string(), "2024-01-01T00:00:00+01:00");
    assert_eq!(req.queued_report_id, None);
}

#[test]
fn schema_valid_but_questionable_requests_parse_for_the_service_to_judge() {
    // The schema allows an empty patient id and ToDate before FromDate: the service answers
    // VALIDATION_ERROR, not a fault.
    let xml = request_xml(
        "<r:PatientId></r:PatientId><r:FromDate>2024-12-31T00:00:00</r:FromDate>\
         <r:ToDate>2024-01-01T00:00:00</r:ToDate>",
    );
    validated_body(&xml);
    let req = parse_request(&xml).unwrap();
    assert_eq!(req.patient_id, "");
    assert!(req.to_date.to_utc() < req.from_date.to_utc());
}

#[test]
fn bad_requests_are_errors() {
    use npo_riv::ContractError::*;
    let cases: Vec<(String, npo_riv::ContractError)> = vec![
        (request_xml(DATES), Missing("PatientId")),
        (
            request_xml(&format!(
                "<r:PatientId>{PATIENT}</r:PatientId><r:ToDate>2024-01-01T00:00:00</r:ToDate>"
            )),
            Missing("FromDate"),
        ),
        (
            request_xml(&format!(
                "<r:PatientId>{PATIENT}</r:PatientId><r:FromDate>2024-01-01T00:00:00</r:FromDate>"
            )),
            Missing("ToDate"),
        ),
        (
            request_xml(&format!(
                "<r:PatientId>{PATIENT}</r:PatientId><r:FromDate>20240101</r:FromDate>\
                 <r:ToDate>2024-01-01T00:00:00</r:ToDate>"
            )),
            Invalid("FromDate", "not an xs:dateTime"),
        ),
        (
            request_xml(&format!(
                "<r:PatientId>{PATIENT}</r:PatientId><r:FromDate>2024-01-01T00:00:00</r:FromDate>\
                 <r:ToDate>2024-02-30T00:00:00</r:ToDate>"
            )),
            Invalid("ToDate", "not an xs:dateTime"),
        ),
        (
            request_xml(&format!("<r:PatientId>19121212-1212</r:PatientId>{DATES}")),
            Invalid("PatientId", "longer than the schema allows"),
        ),
        (
            request_xml(&format!(
                "<r:PatientId>{PATIENT}</r:PatientId>{DATES}<r:QueuedReportId>{}</r:QueuedReportId>",
                "x".repeat(37)
            )),
            Invalid("QueuedReportId", "longer than the schema allows"),
        ),
        (
            // The patient id in the wrong namespace is no patient id.
            format!(
                "<r:GetAccessLogsForPatientRequest xmlns:r=\"{NAMESPACE}\" xmlns:q=\"{QUERYING_NS}\">\
                 <q:PatientId>{PATIENT}</q:PatientId>{DATES}</r:GetAccessLogsForPatientRequest>"
            ),
            Missing("PatientId"),
        ),
        (
            format!(
                "<r:GetAccessLogsForPatient xmlns:r=\"{NAMESPACE}\"><r:PatientId>{PATIENT}</r:PatientId>{DATES}</r:GetAccessLogsForPatient>"
            ),
            UnexpectedElement("GetAccessLogsForPatientRequest"),
        ),
        (
            format!(
                "<r:GetAccessLogsForPatientRequest xmlns:r=\"urn:riv:ehr:log:querying:GetAccessLogsForPatientResponder:2\"><r:PatientId>{PATIENT}</r:PatientId>{DATES}</r:GetAccessLogsForPatientRequest>"
            ),
            UnexpectedElement("GetAccessLogsForPatientRequest"),
        ),
    ];
    for (xml, expected) in cases {
        assert_eq!(parse_request(&xml), Err(expected), "{xml}");
        // The schema refuses them too (a root of another namespace has no schema at all).
        if xml.contains(NAMESPACE) {
            assert!(
                npo_riv::xsd::validate_element(&parse(&xml)).is_err(),
                "{xml}"
            );
        }
    }
    // A response is not a request.
    let resp = GetAccessLogsForPatientResponse::default().write();
    assert!(parse_request(&resp).is_err());
}

// ---------------------------------------------------------------------------------------------
// Responses

#[test]
fn full_response_round_trips() {
    let mut ok = AccessLogsResult::ok(
        "Loggutdraget innehåller 3 loggposter.",
        vec![
            record("SE2321000016-E1", "20240715103000"),
            AccessLogRecord {
                care_provider_id: "SE162321000255-O1".into(),
                care_provider_name: "Läkarhuset <Ågatan> & Co".into(),
                care_unit_id: "SE162321000255-O1-E9".into(),
                care_unit_name: String::new(),
                access_date: dt("2024-03-31T02:30:00.25+01:00"),
                purpose: "Kvalitetssäkring".into(),
                resource_type: "Vårddokumentation".into(),
            },
            record("SE2321000016-E2", "20240115080000"),
        ],
    );
    ok.result.start_interval = Some(dt("2024-01-01T00:00:00+01:00"));
    ok.result.end_interval = Some(dt("2024-12-31T23:59:59+01:00"));
    let queued = AccessLogsResult {
        result: LogResult {
            code: LogResultCode::ReportOnQueue,
            text: "Loggutdraget står i kö.".into(),
            start_interval: Some(dt("2020-01-01T00:00:00Z")),
            end_interval: Some(dt("2020-12-31T00:00:00Z")),
            queued_report_id: Some("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into()),
            queue_time: Some(-1),
        },
        access_logs: None,
    };
    let resp = GetAccessLogsForPatientResponse {
        results: vec![ok, queued],
    };
    let el = check_response(&resp);
    assert_eq!(el.children.len(), 2);
    assert_eq!(resp.code(), Some(LogResultCode::Ok));
    assert_eq!(resp.access_logs().count(), 3);
    // The schema's spelling of the list element.
    assert!(resp.write().contains("<lq:AccesssLogs>"));
}

#[test]
fn minimal_response_round_trips() {
    // OK with an empty list: the list element is there, without entries.
    let resp = GetAccessLogsForPatientResponse::single(AccessLogsResult::ok("", vec![]));
    let el = check_response(&resp);
    let result = &el.children[0];
    assert!(result.child(QUERYING_NS, "AccesssLogs").is_some());
    assert_eq!(resp.results[0].access_logs, Some(vec![]));

    // No result at all is schema-valid too.
    check_response(&GetAccessLogsForPatientResponse::default());
}

#[test]
fn error_results_round_trip_for_every_code() {
    for code in LogResultCode::ALL {
        let mut r = AccessLogsResult::without_logs(code, code.display_sv());
        if code.is_pending() {
            r.result.queued_report_id = Some("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into());
            r.result.queue_time = Some(30);
        }
        let resp = GetAccessLogsForPatientResponse::single(r);
        check_response(&resp);
        assert_eq!(resp.code(), Some(code));
        assert!(!resp.write().contains("AccesssLogs"));
    }
}

#[test]
fn over_long_values_are_cut_to_what_the_schema_allows() {
    let mut r = record("SE2321000016-E1", "20240101120000");
    r.purpose = "å".repeat(300);
    r.resource_type = "Typ".repeat(20);
    r.care_unit_id = "SE2321000016-".to_owned() + &"X".repeat(40);
    let resp = GetAccessLogsForPatientResponse::single(AccessLogsResult::ok("", vec![r]));
    let el = validated_body(&resp.write());
    let back = GetAccessLogsForPatientResponse::parse(&el).unwrap();
    let got = back.access_logs().next().unwrap();
    assert_eq!(got.purpose.chars().count(), MAX_PURPOSE);
    assert_eq!(got.resource_type.chars().count(), MAX_RESOURCE_TYPE);
    assert_eq!(got.care_unit_id.chars().count(), MAX_HSA_ID);

    let long = GetAccessLogsForPatientRequest::new(
        "1912121212121212",
        dt("2024-01-01T00:00:00"),
        dt("2024-01-02T00:00:00"),
    );
    validated_body(&long.write());
}

#[test]
fn a_response_with_extensions_and_other_prefixes_parses() {
    let xml = format!(
        "<GetAccessLogsForPatientResponse xmlns=\"{NAMESPACE}\">\
         <AccessLogsResultType>\
         <Result xmlns=\"{QUERYING_NS}\"><ResultCode>OK</ResultCode><ResultText>Klart</ResultText>\
         <QueueTime>+007</QueueTime><x:e xmlns:x=\"urn:example:ext\"/></Result>\
         <l:AccesssLogs xmlns:l=\"{QUERYING_NS}\">{}</l:AccesssLogs>\
         </AccessLogsResultType></GetAccessLogsForPatientResponse>",
        access_log_xml("", None).replace("q:", "l:")
    );
    let el = validated_body(&xml);
    let resp = GetAccessLogsForPatientResponse::parse(&el).unwrap();
    assert_eq!(resp.results[0].result.text, "Klart");
    assert_eq!(resp.results[0].result.queue_time, Some(7));
    let log = resp.access_logs().next().unwrap();
    assert_eq!(log.care_unit_id, "SE2321000016-E1");
    assert_eq!(log.access_date.to_string(), "2024-03-01T10:00:00+01:00");
}

#[test]
fn bad_responses_are_errors() {
    use npo_riv::ContractError::*;
    let logs = |inner: String| format!("{OK_RESULT}<q:AccesssLogs>{inner}</q:AccesssLogs>");
    let cases: Vec<(String, npo_riv::ContractError)> = vec![
        (response_xml(""), Missing("Result")),
        (
            response_xml("<q:Result><q:ResultText>x</q:ResultText></q:Result>"),
            Missing("ResultCode"),
        ),
        (
            response_xml("<q:Result><q:ResultCode>OK</q:ResultCode></q:Result>"),
            Missing("ResultText"),
        ),
        (
            response_xml(
                "<q:Result><q:ResultCode>REPORTONQUEUE</q:ResultCode><q:ResultText/></q:Result>",
            ),
            Invalid("ResultCode", "not a value of ResultCodeType"),
        ),
        (
            response_xml("<q:Result><q:ResultCode>ok</q:ResultCode><q:ResultText/></q:Result>"),
            Invalid("ResultCode", "not a value of ResultCodeType"),
        ),
        (
            response_xml(
                "<q:Result><q:ResultCode>OK</q:ResultCode><q:ResultText/>\
                 <q:QueueTime>soon</q:QueueTime></q:Result>",
            ),
            Invalid("QueueTime", "not an xs:int"),
        ),
        (
            response_xml(
                "<q:Result><q:ResultCode>OK</q:ResultCode><q:ResultText/>\
                 <q:QueueTime>2147483648</q:QueueTime></q:Result>",
            ),
            Invalid("QueueTime", "not an xs:int"),
        ),
        (
            response_xml(
                "<q:Result><q:ResultCode>OK</q:ResultCode><q:ResultText/>\
                 <q:StartInterval>2024-01-01</q:StartInterval></q:Result>",
            ),
            Invalid("StartInterval", "not an xs:dateTime"),
        ),
        (
            response_xml(&logs(access_log_xml("CareUnitId", None))),
            Missing("CareUnitId"),
        ),
        (
            response_xml(&logs(access_log_xml("CareProviderName", None))),
            Missing("CareProviderName"),
        ),
        (
            response_xml(&logs(access_log_xml("AccessDate", None))),
            Missing("AccessDate"),
        ),
        (
            response_xml(&logs(access_log_xml("ResourceType", None))),
            Missing("ResourceType"),
        ),
        (
            response_xml(&logs(access_log_xml(
                "",
                Some(("AccessDate", "20240301100000")),
            ))),
            Invalid("AccessDate", "not an xs:dateTime"),
        ),
        (
            response_xml(&logs(access_log_xml(
                "",
                Some(("ResourceType", &"x".repeat(51))),
            ))),
            Invalid("ResourceType", "longer than the schema allows"),
        ),
        (
            response_xml(&logs(access_log_xml(
                "",
                Some(("Purpose", &"x".repeat(257))),
            ))),
            Invalid("Purpose", "longer than the schema allows"),
        ),
        (
            response_xml(&logs(access_log_xml(
                "",
                Some(("CareProviderId", &"x".repeat(33))),
            ))),
            Invalid("CareProviderId", "longer than the schema allows"),
        ),
        (
            // Spelled as one would expect, not as the schema does: refused, not dropped.
            response_xml(&format!(
                "{OK_RESULT}<q:AccessLogs>{}</q:AccessLogs>",
                access_log_xml("", None)
            )),
            UnexpectedElement("AccesssLogs"),
        ),
        (
            format!("<r:GetAccessLogsForPatientRequest xmlns:r=\"{NAMESPACE}\"/>"),
            UnexpectedElement("GetAccessLogsForPatientResponse"),
        ),
    ];
    for (xml, expected) in cases {
        assert_eq!(parse_response(&xml), Err(expected), "{xml}");
        assert!(
            npo_riv::xsd::validate_element(&parse(&xml)).is_err(),
            "the schema accepts {xml}"
        );
    }
    // The bad value of a dateTime is never quoted in the error.
    let err = parse_response(&response_xml(&logs(access_log_xml(
        "",
        Some(("AccessDate", "191212121212")),
    ))))
    .unwrap_err();
    assert!(!err.to_string().contains("1912"));
}

#[test]
fn garbage_never_panics() {
    let valid = GetAccessLogsForPatientResponse::single(AccessLogsResult::ok(
        "",
        vec![record("SE2321000016-E1", "20240101120000")],
    ))
    .write();
    let el = parse(&valid);
    // Remove each element of the tree in turn: every variant parses or errs, none panics.
    fn paths(el: &Element, prefix: Vec<usize>, out: &mut Vec<Vec<usize>>) {
        for (i, c) in el.children.iter().enumerate() {
            let mut p = prefix.clone();
            p.push(i);
            out.push(p.clone());
            paths(c, p, out);
        }
    }
    let mut all = Vec::new();
    paths(&el, vec![], &mut all);
    assert!(all.len() > 10);
    for p in all {
        let mut copy = el.clone();
        let mut node = &mut copy;
        for &i in &p[..p.len() - 1] {
            node = &mut node.children[i];
        }
        node.children.remove(p[p.len() - 1]);
        let _ = GetAccessLogsForPatientResponse::parse(&copy);
        let mut emptied = el.clone();
        let mut node = &mut emptied;
        for &i in &p {
            node = &mut node.children[i];
        }
        node.text = "\u{0}å\u{10ffff}-99999-T".into();
        node.children.clear();
        let _ = GetAccessLogsForPatientResponse::parse(&emptied);
    }
}

#[test]
fn the_citizen_sees_unit_giver_purpose_and_type() {
    let r = record("SE2321000016-E1", "20240715103000");
    let v = r.view();
    assert_eq!(v.title, "Vårdcentralen Ödeshög");
    assert_eq!(v.time, "20240715103000");
    assert_eq!(
        v.fields,
        vec![
            ("Vårdgivare", "Region Östergötland".to_owned()),
            ("Vårdenhet", "Vårdcentralen Ödeshög".to_owned()),
            ("Syfte", "Vård och behandling".to_owned()),
            ("Typ av information", "Diagnoser".to_owned()),
        ]
    );
    assert!(!v.attention);
    // Without names, the HSA-ids are shown.
    let mut bare = r.clone();
    bare.care_unit_name.clear();
    bare.care_provider_name.clear();
    let v = bare.view();
    assert_eq!(v.title, "SE2321000016-E1");
    assert_eq!(v.fields[0].1, "SE2321000016-0001");
    // A resource type npo does not know is shown as it is.
    bare.resource_type = "Journal".into();
    assert_eq!(bare.view().fields[3].1, "Journal");
    // An access given in UTC is shown in Swedish time.
    bare.access_date = dt("2024-07-15T08:30:00Z");
    assert_eq!(bare.view().time, "20240715103000");
}

#[test]
fn constants_match_the_wsdl() {
    assert_eq!(NAME, "GetAccessLogsForPatient");
    assert_eq!(VERSION, "1.0");
    assert_eq!(SOAP_ACTION, format!("{NAMESPACE}:{NAME}"));
    assert_eq!(
        npo_riv::xsd::schema_for(NAMESPACE)
            .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned())),
        Some("GetAccessLogsForPatientResponder_1.0.xsd".to_owned())
    );
}
