//! RSS items that carry their full text in an XHTML `<body>` (or
//! `<xhtml:body>`) or in `<fullitem>`, as some publishers' feeds do. feed-rs
//! reads neither, so such an item lost its text; each becomes the
//! `content:encoded` feed-rs reads, its markup escaped.

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::{Namespace, ResolveResult};

use crate::xmltext::{inner_events, markup_of, text_of};

const XHTML: &str = "http://www.w3.org/1999/xhtml";
const CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";

/// The document with those elements of its items rewritten; `None` when
/// there are none, or when it does not read as XML.
pub(crate) fn rewrite(doc: &[u8]) -> Option<Vec<u8>> {
    let has = |s: &str| memchr::memmem::find(doc, s.as_bytes()).is_some();
    if !(has("<body") || has(":body") || has("<fullitem")) || !has("<item") {
        return None;
    }
    let mut reader = quick_xml::reader::NsReader::from_reader(doc);
    let mut out = quick_xml::Writer::new(Vec::with_capacity(doc.len() + 128));
    let mut path: Vec<String> = Vec::new();
    let mut changed = false;
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        let in_item = path.last().map(String::as_str) == Some("item");
        match event {
            Event::Eof => break,
            Event::Start(e) if in_item && is_full_text(&e, &ns) => {
                let inner = inner_events(&mut reader)?;
                let html = if e.local_name().as_ref() == "fullitem" {
                    text_of(&inner)?
                } else {
                    markup_of(inner)?
                };
                let mut start = BytesStart::new("content:encoded");
                start.push_attribute(("xmlns:content", CONTENT));
                out.write_event(Event::Start(start)).ok()?;
                out.write_event(Event::Text(BytesText::new(&html))).ok()?;
                out.write_event(Event::End(BytesEnd::new("content:encoded")))
                    .ok()?;
                changed = true;
            }
            Event::Start(e) => {
                path.push(e.local_name().as_ref().to_string());
                out.write_event(Event::Start(e)).ok()?;
            }
            Event::End(e) => {
                path.pop();
                out.write_event(Event::End(e)).ok()?;
            }
            other => out.write_event(other).ok()?,
        }
    }
    changed.then(|| out.into_inner())
}

fn is_full_text(e: &BytesStart<'_>, ns: &ResolveResult<'_>) -> bool {
    match e.local_name().as_ref() {
        "fullitem" => true,
        "body" => match ns {
            ResolveResult::Bound(Namespace(n)) => *n == XHTML,
            ResolveResult::Unbound => true,
            ResolveResult::Unknown(_) => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn full_text_elements_become_content() {
        let table = [
            (
                "<rss version=\"2.0\"><channel><item><body xmlns=\"http://www.w3.org/1999/xhtml\"><p>A <b>b</b></p></body></item></channel></rss>",
                Some("&lt;p&gt;A &lt;b&gt;b&lt;/b&gt;&lt;/p&gt;</content:encoded>"),
            ),
            (
                "<rss version=\"2.0\"><channel><item><fullitem>&lt;p&gt;x&lt;/p&gt;</fullitem></item></channel></rss>",
                Some(">&lt;p&gt;x&lt;/p&gt;</content:encoded>"),
            ),
            ("<rss version=\"2.0\"><channel><item><title>t</title></item></channel></rss>", None),
            // A body outside an item is not an item's text.
            ("<rss version=\"2.0\"><channel><body>x</body><item/></channel></rss>", None),
        ];
        for (doc, want) in table {
            let got = rewrite(doc.as_bytes()).map(|d| String::from_utf8(d).unwrap_or_default());
            match want {
                Some(w) => assert!(got.as_deref().unwrap_or("").contains(w), "{doc}\n{got:?}"),
                None => assert!(got.is_none(), "{doc}\n{got:?}"),
            }
        }
    }
}
