//! Strict, bounded XML reading into a small namespace-resolved tree, and XML writing.
//!
//! Why a hand-written tree instead of serde: RIV-TA messages are namespace-qualified
//! (`elementFormDefault="qualified"`) and senders choose their own prefixes. quick-xml's serde
//! support matches on prefixed names, not on resolved namespaces, so it would accept wrong
//! namespaces and reject valid prefixes. The tree below resolves every element to
//! `(namespace URI, local name)` with quick-xml's `NsReader`, and the contract modules map it to
//! typed models with explicit, namespace-checked lookups.
//!
//! Each element also records its byte span in the document and the namespace declarations on
//! its own start tag, so that [`fragment`] can hand an element on exactly as it came (the
//! aggregating services pass items through unchanged, including what npo does not model).

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::{PrefixDeclaration, ResolveResult};
use std::fmt::Write as _;
use std::ops::Range;

/// Limits applied to every document read from the network.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Maximum document size in bytes.
    pub max_bytes: usize,
    /// Maximum element nesting depth.
    pub max_depth: usize,
    /// Maximum number of elements in one document.
    pub max_elements: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 16 * 1024 * 1024,
            max_depth: 64,
            max_elements: 500_000,
        }
    }
}

/// Why a document was refused. Messages name the rule, never the document's content.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum XmlError {
    #[error("document exceeds the maximum size of {0} bytes")]
    TooLarge(usize),
    #[error("document exceeds the maximum nesting depth of {0}")]
    TooDeep(usize),
    #[error("document exceeds the maximum of {0} elements")]
    TooManyElements(usize),
    #[error("document type declarations (DTD) are not allowed")]
    Dtd,
    #[error("document is not well-formed XML: {0}")]
    Malformed(String),
    #[error("element prefix is not bound to a namespace")]
    UnboundPrefix,
    #[error("document is empty")]
    Empty,
}

/// One element: resolved namespace, local name, attributes (local name, value), children and
/// the concatenated text directly inside it. `span` and `ns_decls` say where it stood in the
/// parsed document, so its source can be handed on unchanged ([`fragment`]); equality ignores
/// them (two documents with the same content are equal whatever their layout).
#[derive(Clone, Debug, Default)]
pub struct Element {
    pub ns: String,
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
    /// Byte range of the whole element, start tag to end tag, in the document it was parsed
    /// from.
    pub span: Range<usize>,
    /// Namespace declarations on the element's own start tag: (prefix, `""` for the default
    /// namespace; namespace URI).
    pub ns_decls: Vec<(String, String)>,
}

impl PartialEq for Element {
    fn eq(&self, other: &Self) -> bool {
        self.ns == other.ns
            && self.name == other.name
            && self.attrs == other.attrs
            && self.text == other.text
            && self.children == other.children
    }
}

impl Eq for Element {}

impl Element {
    /// True if this element has namespace `ns` and local name `name`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    /// First child with the given namespace and local name.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// All children with the given namespace and local name.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// Trimmed text content.
    pub fn text(&self) -> &str {
        self.text.trim()
    }

    /// The trimmed text of the first child `ns:name`, if present.
    pub fn child_text(&self, ns: &str, name: &str) -> Option<&str> {
        self.child(ns, name).map(Element::text)
    }
}

/// Parses `input` into its root element, enforcing `limits`. DTDs are refused; the only entity
/// references accepted are XML's five predefined ones and character references.
pub fn parse(input: &[u8], limits: &Limits) -> Result<Element, XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge(limits.max_bytes));
    }
    let text = std::str::from_utf8(input)
        .map_err(|_| XmlError::Malformed("document is not valid UTF-8".into()))?;
    let mut reader = NsReader::from_str(text);
    let cfg = reader.config_mut();
    cfg.check_end_names = true;
    cfg.expand_empty_elements = false;
    cfg.trim_text(false);

    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;

    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| XmlError::Malformed(describe(&e)))?;
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let empty = matches!(event, Event::Empty(_));
                if root.is_some() {
                    return Err(XmlError::Malformed("content after the root element".into()));
                }
                count += 1;
                if count > limits.max_elements {
                    return Err(XmlError::TooManyElements(limits.max_elements));
                }
                if stack.len() + 1 > limits.max_depth {
                    return Err(XmlError::TooDeep(limits.max_depth));
                }
                let ns = match resolved {
                    ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
                    ResolveResult::Unbound => String::new(),
                    ResolveResult::Unknown(_) => return Err(XmlError::UnboundPrefix),
                };
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                let mut attrs = Vec::new();
                let mut ns_decls = Vec::new();
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| XmlError::Malformed(e.to_string()))?;
                    let key = attr.key;
                    if let Some(binding) = key.as_namespace_binding() {
                        let prefix = match binding {
                            PrefixDeclaration::Default => String::new(),
                            PrefixDeclaration::Named(p) => String::from_utf8_lossy(p).into_owned(),
                        };
                        let uri = attr
                            .unescape_value()
                            .map_err(|e| XmlError::Malformed(describe(&e)))?
                            .into_owned();
                        ns_decls.push((prefix, uri));
                        continue;
                    }
                    let value = attr
                        .unescape_value()
                        .map_err(|e| XmlError::Malformed(describe(&e)))?
                        .into_owned();
                    attrs.push((
                        String::from_utf8_lossy(key.local_name().as_ref()).into_owned(),
                        value,
                    ));
                }
                let after = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                let el = Element {
                    ns,
                    name,
                    attrs,
                    children: Vec::new(),
                    text: String::new(),
                    span: before..after,
                    ns_decls,
                };
                if empty {
                    close(&mut stack, &mut root, el);
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let mut el = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unexpected end tag".into()))?;
                el.span.end = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                close(&mut stack, &mut root, el);
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| XmlError::Malformed(describe(&e)))?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => {
                        return Err(XmlError::Malformed("text outside the root element".into()));
                    }
                }
            }
            Event::GeneralRef(r) => {
                let ch = if let Some(ch) = r
                    .resolve_char_ref()
                    .map_err(|e| XmlError::Malformed(describe(&e)))?
                {
                    ch
                } else {
                    let name = r.decode().map_err(|e| XmlError::Malformed(describe(&e)))?;
                    match name.as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        _ => {
                            return Err(XmlError::Malformed("undeclared entity reference".into()));
                        }
                    }
                };
                match stack.last_mut() {
                    Some(el) => el.text.push(ch),
                    None => {
                        return Err(XmlError::Malformed("text outside the root element".into()));
                    }
                }
            }
            Event::CData(c) => {
                let s = c.decode().map_err(|e| XmlError::Malformed(describe(&e)))?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None => {
                        return Err(XmlError::Malformed("CDATA outside the root element".into()));
                    }
                }
            }
            Event::DocType(_) => return Err(XmlError::Dtd),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("unexpected end of document".into()));
    }
    root.ok_or(XmlError::Empty)
}

fn close(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

/// quick-xml error messages can quote document content; keep only the kind of error.
fn describe(e: &dyn std::fmt::Display) -> String {
    let s = e.to_string();
    let kind = s.split(':').next().unwrap_or("syntax error").trim();
    kind.chars().take(80).collect()
}

/// XML 1.0's `Char` production: tab, LF, CR, and U+0020 upwards except U+FFFE and U+FFFF
/// (surrogates cannot occur in a `str`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= '\u{20}' && c != '\u{fffe}' && c != '\u{ffff}')
}

/// Appends source text, replacing characters XML 1.0 forbids (literal, or as character
/// references) with U+FFFD.
fn push_clean(out: &mut String, s: &str) {
    let suspicious = s.bytes().any(|b| b < 0x20 || b == b'&' || b == 0xef);
    if !suspicious {
        out.push_str(s);
        return;
    }
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '&'
            && let Some(body) = rest.strip_prefix("&#")
            && let Some(end) = body.find(';')
        {
            let (digits, radix) = match body[..end].strip_prefix('x') {
                Some(hex) => (hex, 16),
                None => (&body[..end], 10),
            };
            let allowed = u32::from_str_radix(digits, radix)
                .ok()
                .and_then(char::from_u32)
                .is_some_and(is_xml_char);
            if allowed {
                out.push_str(&rest[..end + 3]);
            } else {
                out.push_str("&#xFFFD;");
            }
            rest = &rest[end + 3..];
            continue;
        }
        out.push(if is_xml_char(c) { c } else { '\u{fffd}' });
        rest = &rest[c.len_utf8()..];
    }
}

/// The source of `el`, parsed from `source`, as a standalone well-formed fragment: its bytes
/// as they came, except that
/// - the namespace declarations it uses but inherits are added to its start tag (`inherited`:
///   the bindings in scope at its parent, in document order, a later one for a prefix winning;
///   e.g. `xmlns:ns2` declared on the envelope's root), and
/// - characters XML 1.0 forbids (literal or as character references) become U+FFFD, so npo
///   never writes them.
///
/// Used to pass items on unchanged (the aggregating services): what npo does not model still
/// reaches the consumer. The element must come from a successful [`parse`] of `source`.
pub fn fragment(
    source: &[u8],
    el: &Element,
    inherited: &[(String, String)],
) -> Result<String, XmlError> {
    let raw = source
        .get(el.span.clone())
        .and_then(|b| std::str::from_utf8(b).ok())
        .filter(|s| s.starts_with('<') && s.ends_with('>'))
        .ok_or_else(|| XmlError::Malformed("element span does not match the document".into()))?;

    // The prefixes the fragment's tags use ("" for unprefixed element names).
    let mut used: Vec<String> = Vec::new();
    let note = |p: &str, used: &mut Vec<String>| {
        if p != "xml" && p != "xmlns" && !used.iter().any(|u| u == p) {
            used.push(p.to_owned());
        }
    };
    let mut tags = quick_xml::Reader::from_str(raw);
    loop {
        match tags
            .read_event()
            .map_err(|e| XmlError::Malformed(describe(&e)))?
        {
            Event::Start(t) | Event::Empty(t) => {
                let name = std::str::from_utf8(t.name().into_inner()).unwrap_or("");
                note(name.split_once(':').map_or("", |(p, _)| p), &mut used);
                for a in t.attributes().flatten() {
                    if a.key.as_namespace_binding().is_some() {
                        continue;
                    }
                    let key = std::str::from_utf8(a.key.into_inner()).unwrap_or("");
                    if let Some((p, local)) = key.split_once(':') {
                        note(p, &mut used);
                        // A QName in xsi:type's value uses its prefix too.
                        if local == "type"
                            && let Ok(v) = std::str::from_utf8(&a.value)
                            && let Some((vp, _)) = v.split_once(':')
                        {
                            note(vp.trim(), &mut used);
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut decls = String::new();
    for p in &used {
        if el.ns_decls.iter().any(|(q, _)| q == p) {
            continue;
        }
        let Some((_, uri)) = inherited.iter().rev().find(|(q, _)| q == p) else {
            continue; // declared further in, or not at all (no namespace)
        };
        if p.is_empty() {
            if !uri.is_empty() {
                let _ = write!(decls, " xmlns=\"{}\"", escape(uri));
            }
        } else {
            let _ = write!(decls, " xmlns:{p}=\"{}\"", escape(uri));
        }
    }

    let name_end = raw[1..]
        .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        .map_or(raw.len(), |i| i + 1);
    let mut out = String::with_capacity(raw.len() + decls.len());
    out.push_str(&raw[..name_end]);
    out.push_str(&decls);
    push_clean(&mut out, &raw[name_end..]);
    Ok(out)
}

/// Escapes text for element content and attribute values.
pub fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    // Characters XML 1.0 does not allow (C0 controls other than tab, LF and CR) become U+FFFD,
    // so a stray control character from a source system never makes npo write a malformed
    // document.
    fn allowed(c: char) -> bool {
        (c as u32) >= 0x20 || matches!(c, '\t' | '\n' | '\r')
    }
    if s.chars().all(allowed) {
        quick_xml::escape::escape(s)
    } else {
        let clean: String = s
            .chars()
            .map(|c| if allowed(c) { c } else { '\u{fffd}' })
            .collect();
        std::borrow::Cow::Owned(quick_xml::escape::escape(&clean).into_owned())
    }
}

/// A minimal, allocation-friendly XML writer. Tags are written with the caller's prefixes;
/// namespace declarations are given explicitly on the element that introduces them.
#[derive(Default)]
pub struct XmlWriter {
    buf: String,
}

impl XmlWriter {
    pub fn new() -> Self {
        Self::with_capacity(1024)
    }

    pub fn with_capacity(n: usize) -> Self {
        XmlWriter {
            buf: String::with_capacity(n),
        }
    }

    /// `<tag xmlns:p="uri" ...>`
    pub fn open_ns(&mut self, tag: &str, ns: &[(&str, &str)]) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(tag);
        for (prefix, uri) in ns {
            if prefix.is_empty() {
                let _ = write!(self.buf, " xmlns=\"{}\"", escape(uri));
            } else {
                let _ = write!(self.buf, " xmlns:{}=\"{}\"", prefix, escape(uri));
            }
        }
        self.buf.push('>');
        self
    }

    pub fn open(&mut self, tag: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push('>');
        self
    }

    pub fn close(&mut self, tag: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
        self
    }

    /// `<tag>text</tag>`
    pub fn text(&mut self, tag: &str, text: &str) -> &mut Self {
        self.open(tag);
        self.buf.push_str(&escape(text));
        self.close(tag)
    }

    /// `<tag>text</tag>` if `text` is `Some`.
    pub fn opt_text(&mut self, tag: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.text(tag, t);
        }
        self
    }

    pub fn bool(&mut self, tag: &str, v: bool) -> &mut Self {
        self.text(tag, if v { "true" } else { "false" })
    }

    pub fn opt_bool(&mut self, tag: &str, v: Option<bool>) -> &mut Self {
        if let Some(v) = v {
            self.bool(tag, v);
        }
        self
    }

    /// Appends already-serialised XML.
    pub fn raw(&mut self, xml: &str) -> &mut Self {
        self.buf.push_str(xml);
        self
    }

    pub fn finish(self) -> String {
        self.buf
    }

    pub fn as_str(&self) -> &str {
        &self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lim() -> Limits {
        Limits::default()
    }

    #[test]
    fn resolves_namespaces_whatever_the_prefix() {
        let a = parse(br#"<a:x xmlns:a="urn:a"><a:y>1</a:y></a:x>"#, &lim()).unwrap();
        let b = parse(br#"<x xmlns="urn:a"><y>1</y></x>"#, &lim()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.child_text("urn:a", "y"), Some("1"));
        assert!(a.child("urn:b", "y").is_none());
    }

    #[test]
    fn refuses_dtd_and_entities() {
        let doc = br#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>"#;
        assert_eq!(parse(doc, &lim()), Err(XmlError::Dtd));
        let undeclared = br#"<x>&e;</x>"#;
        assert!(matches!(
            parse(undeclared, &lim()),
            Err(XmlError::Malformed(_))
        ));
        let ok = parse(br#"<x>&lt;&amp;&#229;</x>"#, &lim()).unwrap();
        assert_eq!(ok.text, "<&å");
    }

    #[test]
    fn enforces_limits() {
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert_eq!(parse(deep.as_bytes(), &lim()), Err(XmlError::TooDeep(64)));
        let small = Limits {
            max_bytes: 10,
            ..lim()
        };
        assert_eq!(
            parse(b"<a>0123456789</a>", &small),
            Err(XmlError::TooLarge(10))
        );
        let few = Limits {
            max_elements: 3,
            ..lim()
        };
        assert_eq!(
            parse(b"<a><b/><b/><b/></a>", &few),
            Err(XmlError::TooManyElements(3))
        );
    }

    #[test]
    fn refuses_malformed() {
        for doc in [
            &b"<a><b></a>"[..],
            b"<a>",
            b"",
            b"<a/><b/>",
            b"<p:a/>",
            b"\xff\xfe",
            b"text",
        ] {
            assert!(
                parse(doc, &lim()).is_err(),
                "{:?}",
                String::from_utf8_lossy(doc)
            );
        }
    }

    #[test]
    fn error_messages_do_not_quote_content() {
        let err = parse(b"<a>191212121212</b>", &lim())
            .unwrap_err()
            .to_string();
        assert!(!err.contains("1912"), "{err}");
    }

    #[test]
    fn writer_never_emits_forbidden_control_characters() {
        let mut w = XmlWriter::new();
        w.text("a", "x\u{1}y\tz");
        let s = w.finish();
        assert_eq!(s, "<a>x\u{fffd}y\tz</a>");
        assert!(parse(s.as_bytes(), &lim()).is_ok());
    }

    #[test]
    fn writer_escapes() {
        let mut w = XmlWriter::new();
        w.open_ns("p:a", &[("p", "urn:a")])
            .text("p:b", "<&>")
            .close("p:a");
        let s = w.finish();
        assert_eq!(s, r#"<p:a xmlns:p="urn:a"><p:b>&lt;&amp;&gt;</p:b></p:a>"#);
        let el = parse(s.as_bytes(), &lim()).unwrap();
        assert_eq!(el.child_text("urn:a", "b"), Some("<&>"));
    }

    #[test]
    fn spans_and_declarations_are_recorded() {
        let doc = "<?xml version=\"1.0\"?>\n<a:r xmlns:a=\"urn:a\" xmlns=\"urn:d\"> <x k=\"1\">t&amp;</x><y/></a:r>";
        let r = parse(doc.as_bytes(), &lim()).unwrap();
        assert_eq!(&doc[r.span.clone()], &doc[doc.find("<a:r").unwrap()..]);
        assert_eq!(&doc[r.children[0].span.clone()], "<x k=\"1\">t&amp;</x>");
        assert_eq!(&doc[r.children[1].span.clone()], "<y/>");
        assert_eq!(
            r.ns_decls,
            vec![
                ("a".into(), "urn:a".into()),
                (String::new(), "urn:d".into())
            ]
        );
        assert!(r.children[0].ns_decls.is_empty());
    }

    #[test]
    fn fragments_are_the_source_with_the_declarations_they_inherit() {
        let doc = r#"<s:E xmlns:s="urn:s" xmlns:ns2="urn:two" xmlns:x="urn:unused" xmlns="urn:d"><s:B><ns2:item xmlns:own="urn:own" a="1"><own:v>&lt;kept&gt;</own:v><plain ns2:at="z"/><!-- note --><ns2:w>&#229;</ns2:w></ns2:item></s:B></s:E>"#;
        let root = parse(doc.as_bytes(), &lim()).unwrap();
        let body = &root.children[0];
        let item = &body.children[0];
        let mut scope = root.ns_decls.clone();
        scope.extend(body.ns_decls.iter().cloned());
        let f = fragment(doc.as_bytes(), item, &scope).unwrap();
        assert_eq!(
            f,
            r#"<ns2:item xmlns:ns2="urn:two" xmlns="urn:d" xmlns:own="urn:own" a="1"><own:v>&lt;kept&gt;</own:v><plain ns2:at="z"/><!-- note --><ns2:w>&#229;</ns2:w></ns2:item>"#
        );
        // Well-formed alone, and the same content.
        assert_eq!(&parse(f.as_bytes(), &lim()).unwrap(), item);
    }

    #[test]
    fn fragments_never_carry_forbidden_characters() {
        let doc = "<r><i a=\"\u{1}\">x\u{1}y&#1;z&#x9;&#65;\u{fffe}</i></r>";
        let root = parse(doc.as_bytes(), &lim()).unwrap();
        let f = fragment(doc.as_bytes(), &root.children[0], &[]).unwrap();
        assert_eq!(
            f,
            "<i a=\"\u{fffd}\">x\u{fffd}y&#xFFFD;z&#x9;&#65;\u{fffd}</i>"
        );
        assert!(parse(f.as_bytes(), &lim()).is_ok());
        // A span that does not belong to the document is an error, not a panic.
        let mut other = root.children[0].clone();
        other.span = 3..400;
        assert!(fragment(doc.as_bytes(), &other, &[]).is_err());
    }
}
