#!/usr/bin/env python3
"""Generates the maximal response items of crates/npo/tests/agp_passthrough.rs from the official
RIV-TA schemas: for every contract npo aggregates, one response document whose items carry EVERY
element and attribute the schema allows (optional ones included, once each; an `xs:any ##other`
extension point gets an element of a foreign namespace), with values that satisfy the facets.
A choice can hold one branch per item, so each document has two items: one with the first branch
of every choice, one with the last.

The items are those of a made-up patient and test producer (below); the documents declare their
namespaces on the response root, so an item cut out of the answer is not well-formed without the
declarations it inherits.

Usage: python3 scripts/gen-maximal-items.py [schema root] [output folder]
Needs `xmlschema` (PyPI; `pip install xmlschema==4.3.2`). Every document is checked with xmllint
by the test before use; regenerate after a schema change and commit the result.
"""

import os
import sys
import xml.etree.ElementTree as ET

import xmlschema
from xmlschema.validators import XsdAnyElement, XsdElement, XsdGroup

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../shared/riv-schemas")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "../crates/npo/tests/fixtures/maximal")

# Must match crates/npo/tests/agp_passthrough.rs.
PATIENT = "194010106120"  # a valid personnummer no demo source holds
PRODUCER = "SE5565594230-MAXP"
OID_PNR = "1.2.752.129.2.1.3.1"
OID_HSA = "1.2.752.129.2.1.4.1"
EXT_NS = "urn:npo:test:extension"

# (file name, responder schema relative to ROOT, response element, correction of a broken facet)
CONTRACTS = [
    ("GetAlertInformation_2.0", "GetAlertInformation_2.0/interactions/GetAlertInformationInteraction/GetAlertInformationResponder_2.0.xsd", "GetAlertInformationResponse"),
    ("GetCareContacts_2.0", "GetCareContacts_2.0/interactions/GetCareContactsInteraction/GetCareContactsResponder_2.0.xsd", "GetCareContactsResponse"),
    ("GetCareContacts_3.0", "GetCareContacts_3.0/interactions/GetCareContactsInteraction/GetCareContactsResponder_3.0.xsd", "GetCareContactsResponse"),
    ("GetCareDocumentation_2.1", "GetCareDocumentation_2.1/interactions/GetCareDocumentationInteraction/GetCareDocumentationResponder_2.1.xsd", "GetCareDocumentationResponse"),
    ("GetCareDocumentation_3.0", "GetCareDocumentation_3.0/interactions/GetCareDocumentationInteraction/GetCareDocumentationResponder_3.0.xsd", "GetCareDocumentationResponse"),
    ("GetCarePlans_2.0", "GetCarePlans_2.0/interactions/GetCarePlansInteraction/GetCarePlansResponder_2.0.xsd", "GetCarePlansResponse"),
    ("GetDiagnosis_2.0", "GetDiagnosis_2.0/interactions/GetDiagnosisInteraction/GetDiagnosisResponder_2.0.xsd", "GetDiagnosisResponse"),
    ("GetECGOutcome_1.0", "GetECGOutcome_1.0/interactions/GetECGOutcomeInteraction/GetECGOutcomeResponder_1.0.xsd", "GetECGOutcomeResponse"),
    ("GetImagingOutcome_1.0", "GetImagingOutcome_1.0/interactions/GetImagingOutcomeInteraction/GetImagingOutcomeResponder_1.0.xsd", "GetImagingOutcomeResponse"),
    ("GetLaboratoryOrderOutcome_3.1", "GetLaboratoryOrderOutcome_3.1/interactions/GetLaboratoryOrderOutcomeInteraction/GetLaboratoryOrderOutcomeResponder_3.1.xsd", "GetLaboratoryOrderOutcomeResponse"),
    ("GetLaboratoryOrderOutcome_4.0", "GetLaboratoryOrderOutcome_4.0/interactions/GetLaboratoryOrderOutcomeInteraction/GetLaboratoryOrderOutcomeResponder_4.0.xsd", "GetLaboratoryOrderOutcomeResponse"),
    ("GetMaternityMedicalHistory_2.0", "GetMaternityMedicalHistory_2.0/interactions/GetMaternityMedicalHistoryInteraction/GetMaternityMedicalHistoryResponder_2.0.xsd", "GetMaternityMedicalHistoryResponse"),
    ("GetReferralOutcome_3.1", "GetReferralOutcome_3.1/interactions/GetReferralOutcomeInteraction/GetReferralOutcomeResponder_3.1.xsd", "GetReferralOutcomeResponse"),
    ("GetRequestActivities_1.0", "GetRequestActivities_1.0/interactions/GetRequestActivitiesInteraction/GetRequestActivitiesResponder_1.0.xsd", "GetRequestActivitiesResponse"),
    ("GetRequestActivities_2.0", "GetRequestActivities_2.0/interactions/GetRequestActivitiesInteraction/GetRequestActivitiesResponder_2.0.xsd", "GetRequestActivitiesResponse"),
    ("GetFunctionalStatus_2.0", "GetFunctionalStatus_2.0/interactions/GetFunctionalStatusInteraction/GetFunctionalStatusResponder_2.0.xsd", "GetFunctionalStatusResponse"),
    ("GetMedicationHistory_2.1", "GetMedicationHistory_2.1/interactions/GetMedicationHistoryInteraction/GetMedicationHistoryResponder_2.1.xsd", "GetMedicationHistoryResponse"),
    ("GetObservations_1.1", "GetObservations_1.1/interactions/GetObservationsInteraction/GetObservationsResponder_1.1.xsd", "GetObservationsResponse"),
    ("GetVaccinationHistory_2.0", "GetVaccinationHistory_2.0/interactions/GetVaccinationHistoryInteraction/GetVaccinationHistoryResponder_2.0.xsd", "GetVaccinationHistoryResponse"),
]

# Values tried, in order, for a simple type with a pattern or length facet: the first the type
# accepts is used.
CANDIDATES = [
    "20240115103000", "20240115", "202401151030", "2024011510", "202401", "2024",
    PRODUCER, PATIENT, OID_HSA, "1", "12", "123", "A", "AB", "ABC", "A1", "1.5",
    "2024-01-15T10:30:00", "2024-01-15", "urn:npo:x", "true", "x",
    "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "3F2504E0-4F89-41D3-9A0C-0305E82C3301",
]

XSD = "{http://www.w3.org/2001/XMLSchema}"


def text_value(t, name):
    """A value of simple type `t` for an element or attribute called `name`."""
    if name == "subjectOfCareId":
        return PATIENT  # the published pattern is broken (npo_riv::xsd::CORRECTIONS)
    enum = getattr(t, "enumeration", None)
    if enum:
        return str(enum[0])
    prim = t.primitive_type.local_name if hasattr(t, "primitive_type") and t.primitive_type is not None else "string"
    if getattr(t, "patterns", None) is None and prim == "string" and not has_length_facet(t):
        return "Värde <%s> & \"mer\" 'å'" % name
    by_type = {
        "boolean": ["true"], "integer": ["1"], "int": ["1"], "decimal": ["1", "1.5"], "double": ["1.5"],
        "float": ["1.5"], "date": ["2024-01-15"], "dateTime": ["2024-01-15T10:30:00"],
        "base64Binary": ["VmFyZGU="], "anyURI": ["urn:npo:x"], "long": ["1"], "short": ["1"],
        "positiveInteger": ["1"], "nonNegativeInteger": ["1"], "time": ["10:30:00"],
    }
    for v in by_type.get(prim, []) + CANDIDATES:
        try:
            if t.is_valid(v):
                return v
        except Exception:  # noqa: BLE001 - a candidate the type cannot even decode
            pass
    raise SystemExit("no value for %s (%s)" % (name, t))


def has_length_facet(t):
    facets = getattr(t, "facets", None) or {}
    return any(k in facets for k in (XSD + "length", XSD + "minLength", XSD + "maxLength"))


class Generator:
    def __init__(self, mode):
        self.mode = mode  # "first" or "last" branch of every choice
        self.stack = []

    def element(self, xe, parent):
        t = xe.type
        key = t.name or id(t)
        if self.stack.count(key) >= 1 and t.is_complex():
            return  # recursive type: one level is enough
        el = ET.SubElement(parent, xe.name) if parent is not None else ET.Element(xe.name)
        local = xe.local_name
        if t.is_simple():
            el.text = text_value(t, local)
            return el
        self.stack.append(key)
        for aname, attr in t.attributes.items():
            if aname is None or not hasattr(attr, "type"):
                continue
            el.set(aname, text_value(attr.type, attr.local_name))
        if t.has_simple_content():
            el.text = text_value(t.content, local)
        elif t.content is not None and hasattr(t.content, "model"):
            self.group(t.content, el)
        self.stack.pop()
        return el

    def group(self, g, el):
        if g.max_occurs == 0:
            return
        items = list(g)
        if g.model == "choice":
            if not items:
                return
            items = [items[0] if self.mode == "first" else items[-1]]
        for p in items:
            self.particle(p, el)

    def particle(self, p, el):
        if p.max_occurs == 0:
            return
        if isinstance(p, XsdElement):
            self.element(p, el)
        elif isinstance(p, XsdAnyElement):
            ns = p.namespace
            if "##other" in ns or "##any" in ns:
                ext = ET.SubElement(el, "{%s}tillagg" % EXT_NS, {"kalla": "test"})
                ext.text = "Utökning som npo inte modellerar"
        elif isinstance(p, XsdGroup):
            self.group(p, el)


def fix_identities(item, n, doc_id):
    """The patient, the producer and a unique document id where npo reads them."""
    for el in item.iter():
        local = el.tag.split("}")[-1]
        kids = {c.tag.split("}")[-1]: c for c in el}
        if local in ("sourceSystemHSAId", "sourceSystemHSAid"):
            el.text = PRODUCER
        elif local == "documentId":
            el.text = doc_id
        elif local == "subjectOfCareId":
            el.text = PATIENT
        elif local in ("patientId", "originalPatientId"):
            if "id" in kids:
                kids["id"].text = PATIENT
            if "type" in kids:
                kids["type"].text = OID_PNR
            if "extension" in kids:
                kids["extension"].text = PATIENT
            if "root" in kids:
                kids["root"].text = OID_PNR
        elif local in ("sourceSystemId",) and "extension" in kids:
            kids["root"].text = OID_HSA
            kids["extension"].text = PRODUCER
        elif local == "record" and "id" in kids:
            rid = {c.tag.split("}")[-1]: c for c in kids["id"]}
            if "extension" in rid:
                rid["extension"].text = doc_id
            if "root" in rid:
                rid["root"].text = PRODUCER
        elif local in ("senderRequestId", "requestId") and el.text and not kids:
            el.text = doc_id
        elif "format" in kids and "value" in kids:
            # A partial timestamp: the value as precise as its format says.
            kids["value"].text = "20240115103000"[: len(kids["format"].text or "")]
        elif local == "patient" and "id" in kids:
            pid = {c.tag.split("}")[-1]: c for c in kids["id"]}
            if "root" in pid:
                pid["root"].text = OID_PNR
            if "extension" in pid:
                pid["extension"].text = PATIENT
        elif local == "sourceSystem" and "id" in kids:
            sid = {c.tag.split("}")[-1]: c for c in kids["id"]}
            if "root" in sid:
                sid["root"].text = OID_HSA
            if "extension" in sid:
                sid["extension"].text = PRODUCER
        elif local == "observation" and "id" in kids:
            oid = {c.tag.split("}")[-1]: c for c in kids["id"]}
            if "extension" in oid:
                oid["extension"].text = doc_id


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, rel, response in CONTRACTS:
        schema = xmlschema.XMLSchema(os.path.join(ROOT, rel))
        xe = schema.elements[response]
        tns = xe.target_namespace
        root = ET.Element(xe.name)
        item_decl = xe.type.content[0]
        for n, mode in enumerate(("first", "last")):
            gen = Generator(mode)
            item = gen.element(item_decl, root)
            fix_identities(item, n, "max-%s-%d" % (name.replace(".", "-"), n + 1))
        # Everything after the items (result, hasMore) in its minimal form, if required.
        gen = Generator("first")
        for p in list(xe.type.content)[1:]:
            if isinstance(p, XsdElement) and p.min_occurs > 0:
                el = gen.element(p, root)
                for c in el.iter():
                    if c.tag.endswith("}resultCode"):
                        c.text = "OK"
        # Prefixes: tns for the responder, core… for the rest, declared on the root only.
        prefixes = {tns: "tns", EXT_NS: "ext"}
        for el in root.iter():
            ns = el.tag[1:].split("}")[0] if el.tag.startswith("{") else ""
            if ns and ns not in prefixes:
                prefixes[ns] = "core" if "core" not in prefixes.values() else "c%d" % len(prefixes)
        for ns, p in prefixes.items():
            ET.register_namespace(p, ns)
        xml = ET.tostring(root, encoding="unicode")
        with open(os.path.join(OUT, name + ".xml"), "w", encoding="utf-8") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n' + xml + "\n")
        print(name, len(xml), "bytes")


if __name__ == "__main__":
    main()
