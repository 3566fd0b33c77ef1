//! Atom 0.3 (and its drafts' namespaces) read as Atom 1.0. feed-rs knows only
//! the 1.0 namespace, so a 0.3 feed (still served by old blog engines) came
//! out empty. The rewrite maps the 0.3 names onto 1.0 (`modified` →
//! `updated`, `issued` → `published`, `tagline` → `subtitle`, `copyright` →
//! `rights`), and each text construct's `mode` and MIME `type` onto 1.0's
//! `text` or `html`: base64 is decoded, and markup written inline (with or
//! without an XHTML `div`) becomes escaped HTML.

use std::borrow::Cow;

use base64::Engine as _;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::XmlVersion;

use crate::xmltext::{inner_events, markup_of, text_of};

/// Atom 0.3 and the namespaces of the drafts before it.
const LEGACY: [&str; 5] = [
    "http://purl.org/atom/ns#",
    "http://purl.org/echo/",
    "http://purl.org/pie/",
    "http://example.com/necho",
    "http://example.com/newformat#",
];
const NS10: &str = "http://www.w3.org/2005/Atom";
const TEXT_CONSTRUCTS: [&str; 9] = [
    "title",
    "subtitle",
    "tagline",
    "summary",
    "content",
    "rights",
    "copyright",
    "info",
    "name",
];

/// The document rewritten as Atom 1.0 when it is Atom 0.3; `None` otherwise
/// or when it does not read as XML (the strict parser then reports why).
pub(crate) fn to_atom10(doc: &[u8]) -> Option<Vec<u8>> {
    // Cheap test first: most documents never mention these namespaces.
    let has = |ns: &str| memchr::memmem::find(doc, ns.as_bytes()).is_some();
    if !LEGACY.iter().any(|ns| has(ns)) {
        return None;
    }
    let mut reader = quick_xml::reader::NsReader::from_reader(doc);
    let mut out = quick_xml::Writer::new(Vec::with_capacity(doc.len() + 64));
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        let ours = matches!(ns, ResolveResult::Bound(Namespace(n)) if LEGACY.contains(&n));
        let event = match event {
            Event::Eof => break,
            Event::Start(e) if ours && is_text_construct(&e) => {
                let inner = inner_events(&mut reader)?;
                for ev in text_construct(&e, inner)? {
                    out.write_event(ev).ok()?;
                }
                continue;
            }
            Event::Start(e) => Event::Start(start(&e, ours, None)?),
            Event::Empty(e) => Event::Empty(start(&e, ours, None)?),
            Event::End(e) if ours => {
                Event::End(BytesEnd::new(rename(e.name().as_ref()).into_owned()))
            }
            other => other,
        };
        out.write_event(event).ok()?;
    }
    Some(out.into_inner())
}

fn is_text_construct(e: &BytesStart<'_>) -> bool {
    TEXT_CONSTRUCTS.contains(&e.local_name().as_ref())
}

/// A 0.3 text construct as 1.0: its start tag, one text, its end tag.
fn text_construct<'a>(e: &BytesStart<'_>, inner: Vec<Event<'a>>) -> Option<Vec<Event<'static>>> {
    let mode = attr(e, "mode");
    let mime = attr(e, "type");
    let html_mime = matches!(
        mime.as_deref(),
        Some("text/html" | "html" | "application/xhtml+xml" | "xhtml")
    );
    let has_markup = inner
        .iter()
        .any(|ev| matches!(ev, Event::Start(_) | Event::Empty(_)));
    let (kind, text) = if mode.as_deref() == Some("base64") {
        let raw = text_of(&inner)?;
        let clean: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(clean)
            .ok()?;
        (
            if html_mime { "html" } else { "text" },
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    } else if has_markup {
        // Inline markup, in a div or naked: the same HTML, escaped.
        ("html", markup_of(inner)?)
    } else {
        let kind = if mode.as_deref() == Some("escaped") && html_mime {
            "html"
        } else {
            "text"
        };
        (kind, text_of(&inner)?)
    };
    let name = rename(e.name().as_ref()).into_owned();
    Some(vec![
        Event::Start(start(e, true, Some(kind))?.into_owned()),
        Event::Text(BytesText::new(&text).into_owned()),
        Event::End(BytesEnd::new(name)),
    ])
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok())
        .map(|v| v.trim().to_string())
}

/// One element's start tag: the legacy namespace declarations point at 1.0,
/// and an element of the legacy namespace gets its 1.0 name and `kind`.
fn start(e: &BytesStart<'_>, ours: bool, kind: Option<&str>) -> Option<BytesStart<'static>> {
    let name = e.name().as_ref().to_string();
    let mut new = BytesStart::new(if ours {
        rename(&name).into_owned()
    } else {
        name
    });
    for a in e.attributes().with_checks(false) {
        let a = a.ok()?;
        let key = a.key.as_ref().to_string();
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .ok()?
            .into_owned();
        match key.as_str() {
            k if (k == "xmlns" || k.starts_with("xmlns:")) && LEGACY.contains(&value.as_str()) => {
                new.push_attribute((k, NS10));
            }
            "mode" | "type" | "version" if ours => {}
            k => new.push_attribute((k, value.as_str())),
        }
    }
    if let Some(kind) = kind {
        new.push_attribute(("type", kind));
    }
    Some(new)
}

/// Keeps any prefix, renames the local part.
fn rename(name: &str) -> Cow<'_, str> {
    let (prefix, local) = match name.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, name),
    };
    let local10 = match local {
        "modified" => "updated",
        "issued" => "published",
        "tagline" => "subtitle",
        "copyright" => "rights",
        _ => return Cow::Borrowed(name),
    };
    match prefix {
        Some(p) => Cow::Owned(format!("{p}:{local10}")),
        None => Cow::Borrowed(local10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(inner: &str) -> String {
        let doc = format!(
            "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><entry>{inner}</entry></feed>"
        );
        String::from_utf8(to_atom10(doc.as_bytes()).unwrap_or_default()).unwrap_or_default()
    }

    #[test]
    fn text_constructs_map_onto_atom10() {
        let table = [
            (
                "<title>A &amp; B</title>",
                "<title type=\"text\">A &amp; B</title>",
            ),
            (
                "<summary mode=\"escaped\" type=\"text/html\">&lt;b&gt;x&lt;/b&gt;</summary>",
                "<summary type=\"html\">&lt;b&gt;x&lt;/b&gt;</summary>",
            ),
            (
                "<summary mode=\"base64\" type=\"text/html\">PGI+eDwvYj4=</summary>",
                "<summary type=\"html\">&lt;b&gt;x&lt;/b&gt;</summary>",
            ),
            (
                "<title>Example <b>Atom</b></title>",
                "<title type=\"html\">Example &lt;b&gt;Atom&lt;/b&gt;</title>",
            ),
            (
                "<modified>2003-12-31T10:14:55Z</modified>",
                "<updated>2003-12-31T10:14:55Z</updated>",
            ),
            (
                "<issued>2003-12-31T10:14:55Z</issued>",
                "<published>2003-12-31T10:14:55Z</published>",
            ),
        ];
        for (inner, want) in table {
            let got = entry(inner);
            assert!(got.contains(want), "{inner}\n got {got}");
            assert!(got.contains("http://www.w3.org/2005/Atom"), "{got}");
        }
    }

    #[test]
    fn other_documents_are_left_alone() {
        assert!(to_atom10(b"<rss><channel><title>x</title></channel></rss>").is_none());
        let atom10 = b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>x</title></feed>";
        assert!(to_atom10(atom10).is_none());
    }
}
