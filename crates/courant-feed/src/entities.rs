//! Ampersands and entity references XML refuses, as feeds write them: a bare
//! `&` in a link's query string, HTML's named entities (`&nbsp;`, `&eacute;`)
//! that XML never declared, `&#X41;` with a capital X. The strict parser
//! stops at the first one and loses the whole document.

/// The document with every reference XML would refuse made into one it
/// reads: an HTML entity becomes its numeric reference, an `&` that starts no
/// reference becomes `&amp;`. CDATA sections and comments are left as they
/// are. `None` when there is nothing to repair.
pub(crate) fn repair(doc: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(doc.len() + 64);
    let mut changed = false;
    let mut i = 0;
    while i < doc.len() {
        let rest = &doc[i..];
        let verbatim = [(&b"<![CDATA["[..], &b"]]>"[..]), (b"<!--", b"-->")]
            .into_iter()
            .find(|(open, _)| rest.starts_with(open));
        if let Some((open, close)) = verbatim {
            let end = find(rest, close, open.len()).map_or(rest.len(), |e| e + close.len());
            out.extend_from_slice(&rest[..end]);
            i += end;
            continue;
        }
        if rest[0] != b'&' {
            out.push(rest[0]);
            i += 1;
            continue;
        }
        let (replacement, used) = reference(rest);
        changed |= replacement.as_slice() != &rest[..used];
        out.extend_from_slice(&replacement);
        i += used;
    }
    changed.then_some(out)
}

/// What the `&` at the start of `rest` should be written as, and how many
/// bytes of `rest` that replaces.
fn reference(rest: &[u8]) -> (Vec<u8>, usize) {
    let end = rest
        .iter()
        .take(40)
        .position(|b| *b == b';')
        .filter(|e| *e > 1);
    let Some(end) = end else {
        return (b"&amp;".to_vec(), 1);
    };
    let name = &rest[1..end];
    let whole = end + 1;
    if let Some(num) = name.strip_prefix(b"#") {
        let (digits, radix) = match num.first() {
            Some(b'x' | b'X') => (&num[1..], 16),
            _ => (num, 10),
        };
        let value = std::str::from_utf8(digits)
            .ok()
            .and_then(|d| u32::from_str_radix(d, radix).ok())
            .and_then(char::from_u32);
        return match value {
            Some(c) if radix == 16 && num[0] == b'X' => (numeric(c), whole),
            Some(_) => (rest[..whole].to_vec(), whole),
            None => (b"&amp;".to_vec(), 1),
        };
    }
    if matches!(name, b"amp" | b"lt" | b"gt" | b"quot" | b"apos") {
        return (rest[..whole].to_vec(), whole);
    }
    if !name.iter().all(u8::is_ascii_alphanumeric) {
        return (b"&amp;".to_vec(), 1);
    }
    let text = String::from_utf8_lossy(&rest[..whole]);
    let decoded = html_escape::decode_html_entities(&text);
    if decoded != text {
        return (decoded.chars().flat_map(numeric).collect(), whole);
    }
    (b"&amp;".to_vec(), 1)
}

fn numeric(c: char) -> Vec<u8> {
    format!("&#{};", u32::from(c)).into_bytes()
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(hay.get(from..)?, needle).map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::repair;

    #[test]
    fn refused_references_are_repaired() {
        let table: [(&str, Option<&str>); 8] = [
            ("<a>x &amp; y &#169; &#xA9;</a>", None),
            ("<a>?a=1&b=2&c</a>", Some("<a>?a=1&amp;b=2&amp;c</a>")),
            ("<a>&nbsp;&eacute;</a>", Some("<a>&#160;&#233;</a>")),
            ("<a>&#X41;</a>", Some("<a>&#65;</a>")),
            ("<a>&nosuchthing;</a>", Some("<a>&amp;nosuchthing;</a>")),
            ("<a>&#xZZ;</a>", Some("<a>&amp;#xZZ;</a>")),
            ("<a><![CDATA[a & b &nbsp;]]></a>", None),
            ("<!-- & --><a>& </a>", Some("<!-- & --><a>&amp; </a>")),
        ];
        for (doc, want) in table {
            let got = repair(doc.as_bytes()).map(|d| String::from_utf8(d).unwrap_or_default());
            assert_eq!(got.as_deref(), want, "{doc}");
        }
    }
}
