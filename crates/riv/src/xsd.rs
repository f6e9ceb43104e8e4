//! XSD validation of RIV-TA messages against the official schemas in `shared/riv-schemas`,
//! by running `xmllint` (package `libxml2-utils`; `scripts/install-deps.sh` installs it).
//!
//! Used by the contract tests of every crate and by `npo validate`. It is not on any request
//! path: it writes temporary files and starts a process per element.
//!
//! How it works: [`schema_for`] maps an element's namespace to the XSD file that declares it as
//! a global element; [`element_to_document`] re-serialises the element (a subtree of a parsed
//! envelope) as a standalone document; [`validate_element`] runs
//! `xmllint --noout --nonet --schema <xsd> <document>`. [`validate_envelope`] does that for every
//! header block and the body of a SOAP envelope.
//!
//! Note on privacy: unlike the rest of this crate, [`XsdError::Invalid`] carries xmllint's own
//! messages, which quote offending values (for example a patient id that does not match a
//! pattern). Use it in tests and tooling, never in logs of production traffic.

use crate::soap::{self, SOAP_ENV_NS, SoapError};
use crate::xml::{self, Element, Limits};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Environment variable that overrides the schema root folder.
pub const SCHEMAS_ENV: &str = "NPO_RIV_SCHEMAS";
/// Namespace of the aggregating services' `ProcessingStatus` header.
pub const HEADERS_NS: &str = crate::headers::HEADERS_NS;
/// The file used for [`HEADERS_NS`], relative to the schema root.
pub const HEADERS_XSD: &str =
    "_common_agp_headers/core_components/interoperability_headers_1.0.xsd";
/// Folder (directly under the schema root) of third-party copies of newer domain releases; not
/// used by [`schema_for`].
pub const EXCLUDED_DIR: &str = "_rivta-domains-latest";
/// How much of xmllint's error output [`XsdError::Invalid`] keeps, in characters.
pub const MAX_ERROR_CHARS: usize = 2000;

const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Why an element or envelope could not be validated, or did not validate.
#[derive(Debug, thiserror::Error)]
pub enum XsdError {
    /// No schema in the schema root declares this namespace's elements.
    #[error("no schema known for namespace {0:?} (schema root: {root})", root = schema_root().display())]
    NoSchema(String),
    /// `xmllint` could not be started.
    #[error("could not run xmllint: {0} (run scripts/install-deps.sh to install it)")]
    Xmllint(#[source] std::io::Error),
    /// The temporary document could not be written.
    #[error("could not write the temporary document: {0}")]
    TempFile(#[source] std::io::Error),
    /// xmllint rejected the document (or could not compile the schema; `errors` says which).
    /// `errors` is xmllint's trimmed stderr, at most [`MAX_ERROR_CHARS`] characters, with the
    /// temporary file's path replaced by `document`. It may quote document content.
    #[error("{element} does not validate against {}:\n{errors}", .schema.display())]
    Invalid {
        /// `{namespace}localName` of the validated element.
        element: String,
        schema: PathBuf,
        errors: String,
    },
    /// The input is not an acceptable SOAP envelope.
    #[error("not a valid SOAP envelope: {0}")]
    Envelope(#[from] SoapError),
    /// A SOAP Fault body failed the structural check.
    #[error("invalid SOAP Fault: {0}")]
    Fault(&'static str),
}

/// The folder holding the RIV-TA schemas: `$NPO_RIV_SCHEMAS` if set (and not empty), else
/// `shared/riv-schemas` next to the workspace (`<CARGO_MANIFEST_DIR>/../../../shared/riv-schemas`,
/// fixed at compile time). Canonicalised if it exists.
pub fn schema_root() -> PathBuf {
    let root = match std::env::var_os(SCHEMAS_ENV) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/riv-schemas"),
    };
    root.canonicalize().unwrap_or(root)
}

/// The XSD file that declares the global elements of namespace `ns`, if any.
///
/// The map is built once per process (from [`schema_root`] at the first call) by scanning every
/// `*.xsd` below the root, except the third-party copies under [`EXCLUDED_DIR`] (the per-contract
/// folders are preferred), and reading each file's `targetNamespace`. It holds:
/// - responder namespaces (`...:<Interaction>Responder:<major>`): the responder schema;
/// - `urn:riv:itintegration:registry:1` (`LogicalAddress`): one of the identical
///   `itintegration_registry_1.0.xsd` copies;
/// - `urn:riv:interoperability:headers:1` (`ProcessingStatus`): always [`HEADERS_XSD`] when present.
///
/// Core type namespaces (`...:description:2` and so on) are not mapped: messages never have
/// such an element at the top of a header block or body.
///
/// When several contract versions share a namespace (a minor version keeps the major version's
/// namespace, e.g. GetCareDocumentation 2.0 and 2.1 both use `...GetCareDocumentationResponder:2`),
/// the file from the folder with the highest version (`<Contract>_<major>.<minor>`, compared
/// numerically) wins: minor versions only add optional elements, so the newest schema accepts
/// every older message. Ties go to the first path in sorted order.
pub fn schema_for(ns: &str) -> Option<PathBuf> {
    static MAP: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    MAP.get_or_init(|| build_schema_map(&schema_root()))
        .get(ns)
        .cloned()
}

fn is_responder_ns(ns: &str) -> bool {
    ns.rsplit(':')
        .nth(1)
        .is_some_and(|s| s.ends_with("Responder"))
}

fn build_schema_map(root: &Path) -> HashMap<String, PathBuf> {
    let mut files = Vec::new();
    collect_xsd(root, root, &mut files);
    files.sort();
    let mut best: HashMap<String, (Vec<u32>, PathBuf)> = HashMap::new();
    for file in files {
        let Some(tns) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|s| target_namespace(&s))
        else {
            continue;
        };
        if !(is_responder_ns(&tns) || tns == soap::REGISTRY_NS || tns == HEADERS_NS) {
            continue;
        }
        let version = folder_version(root, &file);
        match best.entry(tns) {
            Entry::Vacant(e) => {
                e.insert((version, file));
            }
            Entry::Occupied(mut e) => {
                if version > e.get().0 {
                    e.insert((version, file));
                }
            }
        }
    }
    let mut map: HashMap<String, PathBuf> = best.into_iter().map(|(k, (_, p))| (k, p)).collect();
    let headers = root.join(HEADERS_XSD);
    if headers.is_file() {
        map.insert(HEADERS_NS.to_owned(), headers);
    }
    map
}

fn collect_xsd(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if dir == root && entry.file_name() == EXCLUDED_DIR {
                continue;
            }
            collect_xsd(root, &path, out);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xsd"))
        {
            out.push(path);
        }
    }
}

/// `[2, 1]` for `<root>/GetCareDocumentation_2.1/...`; empty if the folder has no version.
fn folder_version(root: &Path, file: &Path) -> Vec<u32> {
    file.strip_prefix(root)
        .ok()
        .and_then(|rel| rel.components().next())
        .and_then(|c| c.as_os_str().to_str())
        .and_then(|folder| folder.rsplit_once('_'))
        .and_then(|(_, v)| v.split('.').map(|n| n.parse().ok()).collect())
        .unwrap_or_default()
}

/// The `targetNamespace` attribute of the document's root start tag (comments, the XML
/// declaration and processing instructions before it are skipped).
fn target_namespace(doc: &str) -> Option<String> {
    let mut rest = doc;
    let tag = loop {
        rest = &rest[rest.find('<')?..];
        if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[r.find("-->")? + 3..];
        } else if rest.starts_with("<?") || rest.starts_with("<!") {
            rest = &rest[rest.find('>')? + 1..];
        } else {
            break &rest[..rest.find('>')?];
        }
    };
    let mut search = tag;
    while let Some(i) = search.find("targetNamespace") {
        let before = search[..i].chars().next_back();
        let after = search[i + "targetNamespace".len()..].trim_start();
        search = &search[i + 1..];
        if !before.is_some_and(char::is_whitespace) {
            continue;
        }
        let Some(value) = after.strip_prefix('=').map(str::trim_start) else {
            continue;
        };
        let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let value = &value[1..];
        return Some(value[..value.find(quote)?].to_owned());
    }
    None
}

/// Re-serialises `el` and its subtree as a standalone UTF-8 document.
///
/// Every namespace used by an element is declared once, on the root, with a generated prefix
/// (`ns0`, `ns1`, ... in document order); elements without a namespace are written without a
/// prefix, and no default namespace is ever declared, so each element keeps exactly its
/// namespace. Text and attribute values are escaped.
///
/// Layout: an element whose content is only child elements (its own text is whitespace) is
/// written one child per line, indented, so that xmllint's line numbers point somewhere useful;
/// any other text is written exactly as parsed, before the children (the tree does not keep the
/// position of mixed content).
///
/// Attributes: [`Element`] keeps attributes by local name only. They are written unqualified,
/// except `schemaLocation` and `noNamespaceSchemaLocation`, which no RIV-TA schema declares
/// and which are written as the `xsi:` attributes they were (as in the schema repos' examples).
pub fn element_to_document(el: &Element) -> String {
    let mut namespaces: Vec<&str> = Vec::new();
    let mut xsi_attr = false;
    collect_namespaces(el, &mut namespaces, &mut xsi_attr);
    let mut prefixes: Vec<(&str, String)> = namespaces
        .iter()
        .enumerate()
        .map(|(i, ns)| (*ns, format!("ns{i}")))
        .collect();
    if xsi_attr && !namespaces.contains(&XSI_NS) {
        prefixes.push((XSI_NS, "xsi".to_owned()));
    }
    let mut out = String::with_capacity(256);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    write_element(el, &prefixes, 0, &mut out);
    out.push('\n');
    out
}

fn collect_namespaces<'a>(el: &'a Element, out: &mut Vec<&'a str>, xsi_attr: &mut bool) {
    if !el.ns.is_empty() && !out.contains(&el.ns.as_str()) {
        out.push(&el.ns);
    }
    *xsi_attr |= el.attrs.iter().any(|(k, _)| is_xsi_attr(k));
    for c in &el.children {
        collect_namespaces(c, out, xsi_attr);
    }
}

fn is_xsi_attr(name: &str) -> bool {
    matches!(name, "schemaLocation" | "noNamespaceSchemaLocation")
}

fn prefix_of<'a>(prefixes: &'a [(&str, String)], ns: &str) -> &'a str {
    prefixes
        .iter()
        .find(|(n, _)| *n == ns)
        .map(|(_, p)| p.as_str())
        .unwrap_or_default()
}

fn write_element(el: &Element, prefixes: &[(&str, String)], depth: usize, out: &mut String) {
    let tag = if el.ns.is_empty() {
        el.name.clone()
    } else {
        format!("{}:{}", prefix_of(prefixes, &el.ns), el.name)
    };
    out.push('<');
    out.push_str(&tag);
    if depth == 0 {
        for (ns, prefix) in prefixes {
            out.push_str(&format!(" xmlns:{prefix}=\"{}\"", xml::escape(ns)));
        }
    }
    for (name, value) in &el.attrs {
        out.push(' ');
        if is_xsi_attr(name) {
            out.push_str(prefix_of(prefixes, XSI_NS));
            out.push(':');
        }
        out.push_str(name);
        out.push_str("=\"");
        out.push_str(&xml::escape(value));
        out.push('"');
    }
    if el.children.is_empty() && el.text.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    let element_only = !el.children.is_empty() && el.text.trim().is_empty();
    if !element_only {
        out.push_str(&xml::escape(&el.text));
    }
    for child in &el.children {
        if element_only {
            newline(out, depth + 1);
        }
        write_element(child, prefixes, depth + 1, out);
    }
    if element_only {
        newline(out, depth);
    }
    out.push_str("</");
    out.push_str(&tag);
    out.push('>');
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Validates `el` (with its subtree) against the schema of its namespace with xmllint.
pub fn validate_element(el: &Element) -> Result<(), XsdError> {
    let schema = schema_for(&el.ns).ok_or_else(|| XsdError::NoSchema(el.ns.clone()))?;
    validate_element_against(el, &schema)
}

/// Validates `el` against the schema file `schema` with xmllint.
pub fn validate_element_against(el: &Element, schema: &Path) -> Result<(), XsdError> {
    let schema = schema.to_owned();
    let doc = element_to_document(el);
    let mut file = tempfile::Builder::new()
        .prefix("npo-xsd-")
        .suffix(".xml")
        .tempfile()
        .map_err(XsdError::TempFile)?;
    file.write_all(doc.as_bytes())
        .and_then(|()| file.flush())
        .map_err(XsdError::TempFile)?;
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(&schema)
        .arg(file.path())
        .output()
        .map_err(XsdError::Xmllint)?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stderr = stderr.replace(file.path().to_string_lossy().as_ref(), "document");
    Err(XsdError::Invalid {
        element: format!("{{{}}}{}", el.ns, el.name),
        schema,
        errors: truncate(stderr.trim(), MAX_ERROR_CHARS),
    })
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Validates a whole SOAP 1.1 envelope: it must pass [`soap::parse_envelope`] (default
/// [`Limits`]), and every header block and the body element must validate with
/// [`validate_element`] (a header block in a namespace without a schema is an error).
///
/// A SOAP Fault body is checked structurally instead, because the SOAP 1.1 envelope schema is not
/// in the schema folder: its children must be the unqualified `faultcode`, `faultstring`,
/// optional `faultactor` and optional `detail`, in that order and each at most once, and
/// `faultcode` and `faultstring` must not be empty.
pub fn validate_envelope(xml: &[u8]) -> Result<(), XsdError> {
    let env = soap::parse_envelope(xml, &Limits::default())?;
    for header in &env.headers {
        validate_element(header)?;
    }
    if env.body.is(SOAP_ENV_NS, "Fault") {
        check_fault(&env.body)
    } else {
        validate_element(&env.body)
    }
}

/// A documented defect in an official schema and its one-facet correction.
#[derive(Clone, Copy, Debug)]
pub struct Correction {
    /// The contract folder under the schema root, e.g. `GetRequestActivities_1.0`.
    pub folder: &'static str,
    /// The text as published, and what it is corrected to.
    pub published: &'static str,
    pub corrected: &'static str,
    pub why: &'static str,
}

/// The defects npo knows of. Both restrict `subjectOfCareId` with a pattern anchored by `^…$`:
/// XSD patterns are implicitly anchored and have no anchors, so the published facet matches
/// no twelve-digit id at all (xmllint and every conforming validator reject every real
/// message). npo writes correct messages; tests validate these contracts against a copy with
/// the anchors removed, and separately assert that the anchors are the only complaint.
pub const CORRECTIONS: &[Correction] = &[
    Correction {
        folder: "AssertCareEngagement_1.0",
        published: "^[0-9]{8}[0-9pPtTfF][0-9]{3}$",
        corrected: "[0-9]{8}[0-9pPtTfF][0-9]{3}",
        why: "XSD patterns have no ^/$ anchors",
    },
    Correction {
        folder: "GetRequestActivities_1.0",
        published: "^[0-9]{8}[0-9pPtTfF][0-9]{3}$",
        corrected: "[0-9]{8}[0-9pPtTfF][0-9]{3}",
        why: "XSD patterns have no ^/$ anchors",
    },
];

/// The schema for `ns` with the documented corrections applied: for a contract in
/// [`CORRECTIONS`], a corrected copy of its folder (made once per process in a temporary
/// directory); otherwise the official file, as [`schema_for`].
pub fn corrected_schema_for(ns: &str) -> Option<PathBuf> {
    let official = schema_for(ns)?;
    let root = schema_root();
    let Some(c) = CORRECTIONS
        .iter()
        .find(|c| official.starts_with(root.join(c.folder)))
    else {
        return Some(official);
    };
    static COPIES: OnceLock<std::sync::Mutex<HashMap<&'static str, PathBuf>>> = OnceLock::new();
    let mut copies = COPIES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let dir = match copies.get(c.folder) {
        Some(d) => d.clone(),
        None => {
            let dir = std::env::temp_dir().join(format!(
                "npo-xsd-corrected-{}-{}",
                std::process::id(),
                c.folder
            ));
            let mut files = Vec::new();
            collect_xsd(&root.join(c.folder), &root.join(c.folder), &mut files);
            for f in files {
                let rel = f.strip_prefix(root.join(c.folder)).ok()?;
                let text = std::fs::read_to_string(&f).ok()?;
                let target = dir.join(rel);
                std::fs::create_dir_all(target.parent()?).ok()?;
                std::fs::write(&target, text.replace(c.published, c.corrected)).ok()?;
            }
            copies.insert(c.folder, dir.clone());
            dir
        }
    };
    Some(dir.join(official.strip_prefix(root.join(c.folder)).ok()?))
}

/// Like [`validate_envelope`], but bodies of contracts with a documented schema defect are
/// validated against the corrected copy ([`corrected_schema_for`]).
pub fn validate_envelope_corrected(xml: &[u8]) -> Result<(), XsdError> {
    let env = soap::parse_envelope(xml, &Limits::default())?;
    for header in &env.headers {
        validate_element(header)?;
    }
    if env.body.is(SOAP_ENV_NS, "Fault") {
        return check_fault(&env.body);
    }
    match corrected_schema_for(&env.body.ns) {
        Some(schema) => validate_element_against(&env.body, &schema),
        None => Err(XsdError::NoSchema(env.body.ns.clone())),
    }
}

fn check_fault(fault: &Element) -> Result<(), XsdError> {
    const ORDER: [&str; 4] = ["faultcode", "faultstring", "faultactor", "detail"];
    let mut next = 0;
    for child in &fault.children {
        if !child.ns.is_empty() {
            return Err(XsdError::Fault("Fault children must be unqualified"));
        }
        match ORDER[next..].iter().position(|n| *n == child.name) {
            Some(i) => next += i + 1,
            None => {
                return Err(XsdError::Fault(
                    "Fault holds an unexpected, repeated or misplaced element",
                ));
            }
        }
    }
    for (name, missing) in [
        ("faultcode", "faultcode is missing or empty"),
        ("faultstring", "faultstring is missing or empty"),
    ] {
        if fault.child_text("", name).is_none_or(str::is_empty) {
            return Err(XsdError::Fault(missing));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_target_namespace_with_either_quote() {
        let a = "<?xml version='1.0'?>\n<!-- targetNamespace=\"urn:comment\" -->\n<xs:schema xmlns:xs='x'\n  targetNamespace='urn:a' elementFormDefault='qualified'>";
        assert_eq!(target_namespace(a).as_deref(), Some("urn:a"));
        let b = r#"<schema xmlns:tns="urn:b" targetNamespace = "urn:b">"#;
        assert_eq!(target_namespace(b).as_deref(), Some("urn:b"));
        assert_eq!(target_namespace("<schema xmlns='x'>"), None);
    }

    #[test]
    fn responder_namespaces() {
        assert!(is_responder_ns(
            "urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2"
        ));
        assert!(!is_responder_ns(
            "urn:riv:clinicalprocess:healthcond:description:2"
        ));
        assert!(!is_responder_ns("urn:riv:itintegration:registry:1"));
    }

    #[test]
    fn folder_versions_compare_numerically() {
        let root = Path::new("/r");
        let v = |p: &str| folder_version(root, Path::new(p));
        assert_eq!(v("/r/GetCareDocumentation_2.1/a/b.xsd"), vec![2, 1]);
        assert!(v("/r/GetX_2.10/a.xsd") > v("/r/GetX_2.9/a.xsd"));
        assert!(v("/r/_common/a.xsd").is_empty());
    }

    #[test]
    fn documents_keep_namespaces_without_default_namespace() {
        let doc = r#"<a:r xmlns:a="urn:a" xmlns:b="urn:b" xsi:schemaLocation="urn:a a.xsd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
            <a:x k="&quot;v&lt;">t &amp; å</a:x><b:y/><z xmlns=""><a:w/></z></a:r>"#;
        let el = xml::parse(doc.as_bytes(), &Limits::default()).unwrap();
        let out = element_to_document(&el);
        assert!(!out.contains("xmlns="), "{out}");
        assert!(
            out.contains(r#"<ns0:r xmlns:ns0="urn:a" xmlns:ns1="urn:b" xmlns:xsi="#),
            "{out}"
        );
        assert!(out.contains(r#"xsi:schemaLocation="urn:a a.xsd""#), "{out}");
        assert!(out.contains("\n  <z>\n    <ns0:w/>\n  </z>"), "{out}");
        let back = xml::parse(out.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(strip_ws(&back), strip_ws(&el));
        assert_eq!(back.children[0].text, "t & å");
        assert_eq!(back.children[0].attrs, vec![("k".into(), "\"v<".into())]);
        assert_eq!(back.children[2].ns, "");
    }

    fn strip_ws(el: &Element) -> Element {
        let mut el = el.clone();
        if !el.children.is_empty() && el.text.trim().is_empty() {
            el.text.clear();
        }
        el.children = el.children.iter().map(strip_ws).collect();
        el
    }

    #[test]
    fn fault_structure() {
        let parse = |s: &str| xml::parse(s.as_bytes(), &Limits::default()).unwrap();
        let ns = SOAP_ENV_NS;
        let ok = parse(&format!(
            r#"<s:Fault xmlns:s="{ns}"><faultcode>s:Server</faultcode><faultstring>x</faultstring><detail/></s:Fault>"#
        ));
        assert!(check_fault(&ok).is_ok());
        for bad in [
            "<faultcode>s:Server</faultcode>",
            "<faultcode></faultcode><faultstring>x</faultstring>",
            "<faultstring>x</faultstring><faultcode>s:Server</faultcode>",
            "<faultcode>s:Server</faultcode><faultstring>x</faultstring><faultstring>y</faultstring>",
            "<s:faultcode>s:Server</s:faultcode><faultstring>x</faultstring>",
        ] {
            let el = parse(&format!(r#"<s:Fault xmlns:s="{ns}">{bad}</s:Fault>"#));
            assert!(check_fault(&el).is_err(), "{bad}");
        }
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate("ååå", 2), "åå…");
        assert_eq!(truncate("åå", 2), "åå");
    }
}
