//! Repairs for documents the strict parser would refuse whole: feedparser's
//! "bozo" idea. A feed with one bad item or one bad byte still carries good
//! items, and a reader expects to see them; each repair leaves a warning.

use std::borrow::Cow;

use encoding_rs::Encoding;

/// The document as UTF-8, with its XML declaration saying so.
///
/// Valid UTF-8 wins over a declared legacy charset (the rule pages follow):
/// legacy text almost never forms valid multi-byte UTF-8, while re-encoded
/// feeds often keep an old declaration. Bytes that are neither valid UTF-8 nor
/// in their declared charset become U+FFFD, with a warning.
pub(crate) fn to_utf8<'a>(bytes: &'a [u8], warnings: &mut Vec<String>) -> Cow<'a, [u8]> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        if enc == encoding_rs::UTF_8 {
            return to_utf8(body, warnings);
        }
        let (text, bad) = enc.decode_without_bom_handling(body);
        if bad {
            warnings.push(format!("bytes invalid in {} replaced", enc.name()));
        }
        return Cow::Owned(redeclare(text.as_bytes()));
    }
    let declared = declared_encoding(bytes);
    let valid = std::str::from_utf8(bytes).is_ok();
    match declared {
        Some(label) => match Encoding::for_label(label.as_bytes()) {
            Some(enc)
                if enc == encoding_rs::UTF_8
                    || enc == encoding_rs::UTF_16LE
                    || enc == encoding_rs::UTF_16BE =>
            {
                // UTF-16 declared in ASCII bytes cannot be UTF-16 (no BOM).
                if valid {
                    if enc == encoding_rs::UTF_8 {
                        Cow::Borrowed(bytes)
                    } else {
                        Cow::Owned(redeclare(bytes))
                    }
                } else {
                    lossy(bytes, warnings)
                }
            }
            Some(_) if valid && !bytes.is_ascii() => {
                warnings.push(format!(
                    "declared charset {label:?} but the bytes are valid UTF-8; read as UTF-8"
                ));
                Cow::Owned(redeclare(bytes))
            }
            Some(enc) => {
                let (text, bad) = enc.decode_without_bom_handling(bytes);
                if bad {
                    warnings.push(format!("bytes invalid in {} replaced", enc.name()));
                }
                Cow::Owned(redeclare(text.as_bytes()))
            }
            None if valid => {
                warnings.push(format!("unknown charset {label:?} declared; read as UTF-8"));
                Cow::Owned(redeclare(bytes))
            }
            None => {
                warnings.push(format!("unknown charset {label:?} declared"));
                lossy(bytes, warnings)
            }
        },
        None if valid => Cow::Borrowed(bytes),
        None => lossy(bytes, warnings),
    }
}

fn lossy<'a>(bytes: &[u8], warnings: &mut Vec<String>) -> Cow<'a, [u8]> {
    warnings.push("invalid UTF-8 bytes replaced".into());
    Cow::Owned(redeclare(String::from_utf8_lossy(bytes).as_bytes()))
}

/// The `encoding` of a leading XML declaration, if any.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let (start, end) = xml_decl(bytes)?;
    let decl = std::str::from_utf8(&bytes[start..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].trim().to_string())
}

/// Byte range of `<?xml ...?>` at the start, after whitespace.
fn xml_decl(bytes: &[u8]) -> Option<(usize, usize)> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    if !bytes[start..].starts_with(b"<?xml") {
        return None;
    }
    let len = bytes[start..]
        .windows(2)
        .take(512)
        .position(|w| w == b"?>")?;
    Some((start, start + len + 2))
}

/// The document with its XML declaration (if any) replaced by one that says
/// UTF-8, so the parser does not decode it a second time.
fn redeclare(utf8: &[u8]) -> Vec<u8> {
    match xml_decl(utf8) {
        Some((_, end)) => {
            let mut out = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>".to_vec();
            out.extend_from_slice(&utf8[end..]);
            out
        }
        None => utf8.to_vec(),
    }
}

/// JSON escapes of lone UTF-16 surrogates (`"\ud800"`), which serde_json
/// refuses whole, become U+FFFD. Pairs are kept.
pub(crate) fn json_surrogates<'a>(bytes: &'a [u8], warnings: &mut Vec<String>) -> Cow<'a, [u8]> {
    fn surrogate_at(b: &[u8], i: usize) -> Option<u16> {
        let hex = b.get(i..i + 6)?;
        if hex[0] != b'\\' || !matches!(hex[1], b'u' | b'U') {
            return None;
        }
        let v = u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()?;
        (0xD800..=0xDFFF).contains(&v).then_some(v)
    }
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        // An escaped backslash is not the start of an escape.
        if bytes.get(i + 1) == Some(&b'\\') {
            i += 2;
            continue;
        }
        match surrogate_at(bytes, i) {
            Some(high) if (0xD800..0xDC00).contains(&high) => match surrogate_at(bytes, i + 6) {
                Some(low) if (0xDC00..=0xDFFF).contains(&low) => i += 12,
                _ => {
                    let o = out.get_or_insert_with(Vec::new);
                    o.extend_from_slice(&bytes[copied..i]);
                    o.extend_from_slice(b"\\uFFFD");
                    i += 6;
                    copied = i;
                }
            },
            Some(_) => {
                let o = out.get_or_insert_with(Vec::new);
                o.extend_from_slice(&bytes[copied..i]);
                o.extend_from_slice(b"\\uFFFD");
                i += 6;
                copied = i;
            }
            None => i += 2,
        }
    }
    match out {
        Some(mut o) => {
            o.extend_from_slice(&bytes[copied..]);
            warnings.push("lone UTF-16 surrogate escapes replaced".into());
            Cow::Owned(o)
        }
        None => Cow::Borrowed(bytes),
    }
}

/// An XML feed cut into the part before its first item, its items, and the
/// end tags that close what the first part opened.
pub(crate) struct Pieces<'a> {
    pub head: &'a [u8],
    pub items: Vec<&'a [u8]>,
    pub tail: Vec<u8>,
}

/// Cuts a document at its `<item>` or `<entry>` elements. An item without
/// its end tag runs to the next item's start, so one broken item does not
/// swallow the rest.
pub(crate) fn pieces(doc: &[u8]) -> Option<Pieces<'_>> {
    let (open, close): (&[u8], &[u8]) = if find_tag(doc, b"<item", 0).is_some() {
        (b"<item", b"</item>")
    } else {
        (b"<entry", b"</entry>")
    };
    let first = find_tag(doc, open, 0)?;
    let head = &doc[..first];
    let mut items = Vec::new();
    let mut at = first;
    while let Some(start) = find_tag(doc, open, at) {
        let next = find_tag(doc, open, start + open.len()).unwrap_or(doc.len());
        let end = find(doc, close, start)
            .map(|e| e + close.len())
            .filter(|e| *e <= next)
            .unwrap_or(next);
        items.push(&doc[start..end]);
        at = end;
    }
    Some(Pieces {
        head,
        items,
        tail: closing_tags(head),
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// A start tag `needle` (followed by whitespace, `>` or `/`, so `<itemize`
/// is not an item) at or after `from`.
fn find_tag(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let p = find(hay, needle, at)?;
        match hay.get(p + needle.len()) {
            Some(b) if b.is_ascii_whitespace() || *b == b'>' || *b == b'/' => return Some(p),
            _ => at = p + 1,
        }
    }
}

/// A document cut short, up to its last complete tag, with the elements
/// still open there closed; `None` when nothing is left open.
pub(crate) fn closed(doc: &[u8]) -> Option<Vec<u8>> {
    let last = doc.iter().rposition(|b| *b == b'>')?;
    let kept = &doc[..=last];
    let tail = closing_tags(kept);
    (!tail.is_empty()).then(|| [kept, &tail].concat())
}

/// End tags for the elements left open at the end of `head`, innermost first.
fn closing_tags(head: &[u8]) -> Vec<u8> {
    let mut open: Vec<&[u8]> = Vec::new();
    let mut i = 0;
    while let Some(lt) = find(head, b"<", i) {
        let rest = &head[lt..];
        let skip_to = |end: &[u8]| find(head, end, lt).map(|e| e + end.len());
        let next = if rest.starts_with(b"<!--") {
            skip_to(b"-->")
        } else if rest.starts_with(b"<![CDATA[") {
            skip_to(b"]]>")
        } else if rest.starts_with(b"<?") {
            skip_to(b"?>")
        } else if rest.starts_with(b"<!") {
            skip_to(b">")
        } else {
            let gt = find(head, b">", lt);
            if let Some(gt) = gt {
                let tag = &head[lt + 1..gt];
                if let Some(name) = tag.strip_prefix(b"/") {
                    let name = name.trim_ascii();
                    if let Some(pos) = open.iter().rposition(|n| *n == name) {
                        open.truncate(pos);
                    }
                } else if !tag.ends_with(b"/") {
                    let end = tag
                        .iter()
                        .position(|b| b.is_ascii_whitespace())
                        .unwrap_or(tag.len());
                    open.push(&tag[..end]);
                }
            }
            gt.map(|g| g + 1)
        };
        match next {
            Some(n) => i = n,
            None => break,
        }
    }
    let mut out = Vec::new();
    for name in open.iter().rev() {
        out.extend_from_slice(b"</");
        out.extend_from_slice(name);
        out.push(b'>');
    }
    out
}
