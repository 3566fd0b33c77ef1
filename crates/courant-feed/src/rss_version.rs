//! RSS with no or an odd `version`. feed-rs reads an `<rss>` root only with
//! version 2.0, 0.91 or 0.92 and refuses every other document as "no root
//! element"; feeds without the attribute, or with 0.93, 0.94 or 2.01, are
//! served by real publishers. Such a root is read as RSS 2.0, which every
//! later RSS 0.9x version is a subset of.

use quick_xml::events::{BytesStart, Event};

/// The document with its `<rss>` root's version set to 2.0, when feed-rs
/// would not read the version it has; `None` otherwise.
pub(crate) fn normalize(doc: &[u8]) -> Option<Vec<u8>> {
    let mut reader = quick_xml::Reader::from_reader(doc);
    loop {
        let before = usize::try_from(reader.buffer_position()).ok()?;
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) => {
                return rewrite(
                    &e,
                    doc,
                    before,
                    usize::try_from(reader.buffer_position()).ok()?,
                )
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

fn rewrite(root: &BytesStart<'_>, doc: &[u8], from: usize, to: usize) -> Option<Vec<u8>> {
    if root.name().as_ref() != "rss" {
        return None;
    }
    let mut attrs = Vec::new();
    for a in root.attributes().with_checks(false).flatten() {
        let key = a.key.as_ref().to_string();
        let value = a.value.to_string();
        if key == "version" {
            if matches!(value.trim(), "2.0" | "0.91" | "0.92" | "") {
                return None;
            }
            continue;
        }
        attrs.push((key, value));
    }
    let mut tag = String::from("<rss version=\"2.0\"");
    for (k, v) in attrs {
        // The raw value is still escaped as it was in the document.
        tag.push_str(&format!(" {k}=\"{}\"", v.replace('"', "&quot;")));
    }
    tag.push('>');
    let empty = doc.get(..to)?.ends_with(b"/>");
    if empty {
        tag.insert(tag.len() - 1, '/');
    }
    Some([doc.get(..from)?, tag.as_bytes(), doc.get(to..)?].concat())
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn odd_versions_become_2_0() {
        let table: [(&str, Option<&str>); 5] = [
            ("<rss><channel/></rss>", Some("<rss version=\"2.0\"><channel/></rss>")),
            (
                "<?xml version=\"1.0\"?><!-- c --><rss version=\"0.94\" xmlns:dc=\"x\"><channel/></rss>",
                Some("<?xml version=\"1.0\"?><!-- c --><rss version=\"2.0\" xmlns:dc=\"x\"><channel/></rss>"),
            ),
            ("<rss version=\"2.0\"><channel/></rss>", None),
            ("<rss version=\"0.91\"><channel/></rss>", None),
            ("<feed><title>x</title></feed>", None),
        ];
        for (doc, want) in table {
            let got = normalize(doc.as_bytes()).map(|d| String::from_utf8(d).unwrap_or_default());
            assert_eq!(got.as_deref(), want, "{doc}");
        }
    }
}
