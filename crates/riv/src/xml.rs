//! Strict, bounded XML reading into a small namespace-resolved tree, and XML writing.
//!
//! Why a hand-written tree instead of serde: RIV-TA messages are namespace-qualified
//! (`elementFormDefault="qualified"`) and senders choose their own prefixes. quick-xml's serde
//! support matches on prefixed names, not on resolved namespaces, so it would accept wrong
//! namespaces and reject valid prefixes. The tree below resolves every element to
//! `(namespace URI, local name)` with quick-xml's `NsReader`, and the contract modules map it to
//! typed models with explicit, namespace-checked lookups.

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use std::fmt::Write as _;

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
/// the concatenated text directly inside it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element {
    pub ns: String,
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

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
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| XmlError::Malformed(e.to_string()))?;
                    let key = attr.key;
                    if key.as_namespace_binding().is_some() {
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
                let el = Element {
                    ns,
                    name,
                    attrs,
                    children: Vec::new(),
                    text: String::new(),
                };
                if empty {
                    close(&mut stack, &mut root, el);
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unexpected end tag".into()))?;
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
}
