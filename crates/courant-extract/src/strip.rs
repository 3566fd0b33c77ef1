//! Drops the inert parts of a page before it is parsed: scripts (JSON-LD
//! kept), styles, SVG drawings, `<noscript>`, `<template>` and comments. A
//! `<noscript>` that holds paragraphs loses only its tags: some blogs put the
//! post there and in a script template, nowhere else. On the fundus pages
//! they are about 60% of the bytes, and html5ever's tree builder is the
//! extractor's largest cost, so parsing less is the cheapest speed-up. None
//! of it is ever shown: Readability and the sanitizer drop it anyway.
//!
//! A byte scan, not a parser: it follows HTML's own rule that such an element
//! ends at the first matching end tag. Where a page fools it (a `<script` in an
//! attribute value), the cost is some lost markup, never unsafe output,
//! because everything is sanitized after extraction.

use std::borrow::Cow;

use memchr::memmem;

/// Elements whose whole content is removed, with their tags.
const INERT: &[&str] = &["script", "style", "svg", "noscript", "template"];

/// `html` without comments and inert elements.
pub(crate) fn inert(html: &str) -> Cow<'_, str> {
    let b = html.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    let mut unwraps = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let p = i + off;
        let end = if b[p..].starts_with(b"<!--") {
            Some(memmem::find(&b[p + 4..], b"-->").map_or(b.len(), |e| p + 4 + e + 3))
        } else {
            inert_element(b, p, &mut unwraps)
        };
        match end {
            Some(end) => {
                if out.is_empty() {
                    out.reserve(html.len() / 2);
                }
                out.push_str(&html[copied..p]);
                copied = end;
                i = end;
            }
            None => i = p + 1,
        }
    }
    if copied == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

/// `<noscript>` elements unwrapped at most per page. Each unwrap scans ahead
/// to its end tag and the scan then goes on inside, so without a cap a page of
/// nested ones would cost quadratic time; past it they are dropped whole.
const MAX_UNWRAPS: u32 = 16;

/// Where the inert element opening at `p` ends (past its end tag), if it is
/// one and is to be dropped; for an unwrapped `<noscript>`, where its open
/// tag ends. `unwraps` counts those.
fn inert_element(b: &[u8], p: usize, unwraps: &mut u32) -> Option<usize> {
    // The end tag of an unwrapped <noscript> (a stray one goes too, harmlessly).
    if b[p..].starts_with(b"</") && tag_at(b, p + 2, "noscript") {
        return Some(memchr::memchr(b'>', &b[p..]).map_or(b.len(), |e| p + e + 1));
    }
    let name = INERT.iter().find(|n| tag_at(b, p + 1, n))?;
    let open_end = memchr::memchr(b'>', &b[p..]).map_or(b.len(), |e| p + e + 1);
    if *name == "script" && is_json_ld(&b[p..open_end]) {
        return None;
    }
    let mut j = open_end;
    while let Some(off) = memmem::find(&b[j..], b"</") {
        let q = j + off;
        if tag_at(b, q + 2, name) {
            if *name == "noscript" && *unwraps < MAX_UNWRAPS && holds_paragraph(&b[open_end..q]) {
                // Only the open tag goes; the scan goes on inside.
                *unwraps += 1;
                return Some(open_end);
            }
            return Some(memchr::memchr(b'>', &b[q..]).map_or(b.len(), |e| q + e + 1));
        }
        j = q + 2;
    }
    // Unclosed: the parser would read the rest as the element's content too.
    Some(b.len())
}

/// Whether `name` (lowercase) starts at `at`, case-insensitively, as a whole tag name.
fn tag_at(b: &[u8], at: usize, name: &str) -> bool {
    let n = name.len();
    b.len() > at + n
        && b[at..at + n].eq_ignore_ascii_case(name.as_bytes())
        && matches!(
            b[at + n],
            b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c'
        )
}

/// Whether `b` holds a `<p>` element.
fn holds_paragraph(b: &[u8]) -> bool {
    memchr::memchr_iter(b'<', b).any(|i| tag_at(b, i + 1, "p"))
}

fn is_json_ld(open_tag: &[u8]) -> bool {
    memmem::find(&open_tag.to_ascii_lowercase(), b"ld+json").is_some()
}

#[cfg(test)]
mod tests {
    use super::inert;

    #[test]
    fn drops_inert_keeps_prose_and_json_ld() {
        let cases = [
            ("<p>a</p><script>x()</script><p>b</p>", "<p>a</p><p>b</p>"),
            ("<p>a<!-- c <script> --></p>", "<p>a</p>"),
            ("<STYLE type=x>p{}</Style ><p>b", "<p>b"),
            ("<svg><svg></svg></svg><p>b", "</svg><p>b"),
            ("<script>if(a</b){}</scriptx></script>ok", "ok"),
            ("<scripts>kept</scripts>", "<scripts>kept</scripts>"),
            ("<p>x<script>never closed", "<p>x"),
            ("<p>x<!-- never closed", "<p>x"),
            (
                r#"<script type="application/LD+JSON">{"a":1}</script>"#,
                r#"<script type="application/LD+JSON">{"a":1}</script>"#,
            ),
            ("<noscript><img src=a></noscript><p>é</p>", "<p>é</p>"),
            (
                "<noscript class=x><P>post</p><script>x</script></NOSCRIPT>!",
                "<P>post</p>!",
            ),
            ("<noscript><pre>a</pre></noscript>b", "b"),
            ("no tags at all", "no tags at all"),
            ("<", "<"),
            ("<script", "<script"),
        ];
        for (html, want) in cases {
            assert_eq!(inert(html), want, "{html}");
        }
        // Nested unwraps are capped; past the cap a <noscript> goes whole.
        let nested = format!("{}</noscript>!", "<noscript><p>x".repeat(20));
        assert_eq!(inert(&nested), format!("{}!", "<p>x".repeat(16)));
    }
}
