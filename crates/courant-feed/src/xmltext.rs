//! Pieces shared by the rewrites that run before feed-rs (`atom03`,
//! `rss_body`): an element's inner events, and their text or markup.

use quick_xml::events::Event;
use quick_xml::reader::NsReader;
use quick_xml::XmlVersion;

/// The events inside the element just started, up to its end tag (consumed).
pub(crate) fn inner_events<'a>(reader: &mut NsReader<&'a [u8]>) -> Option<Vec<Event<'a>>> {
    let mut depth = 0usize;
    let mut inner = Vec::new();
    loop {
        let (_, ev) = reader.read_resolved_event().ok()?;
        match &ev {
            Event::Start(_) => depth += 1,
            Event::End(_) if depth == 0 => return Some(inner),
            Event::End(_) => depth -= 1,
            Event::Eof => return None,
            _ => {}
        }
        inner.push(ev);
    }
}

/// The decoded text of events, markup among them ignored.
pub(crate) fn text_of(inner: &[Event<'_>]) -> Option<String> {
    let mut s = String::new();
    for ev in inner {
        match ev {
            Event::Text(t) => s.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::CData(c) => s.push_str(&c[..]),
            Event::GeneralRef(r) => {
                let reference = format!("&{};", r.xml_content(XmlVersion::Implicit1_0));
                s.push_str(&quick_xml::escape::unescape(&reference).ok()?);
            }
            _ => {}
        }
    }
    Some(s)
}

/// The events written back as markup (inline XHTML, to be escaped as HTML).
pub(crate) fn markup_of(inner: Vec<Event<'_>>) -> Option<String> {
    let mut w = quick_xml::Writer::new(Vec::new());
    for ev in inner {
        w.write_event(ev).ok()?;
    }
    Some(String::from_utf8_lossy(&w.into_inner()).into_owned())
}
