//! Bounds the attributes of each tag before parsing. html5ever checks every
//! new attribute against the ones already read (duplicates are dropped), so
//! one tag with N attributes costs N²: 200,000 of them took 54 s. Real
//! elements carry a few dozen at most; past [`MAX_ATTRIBUTES`] the rest of the
//! tag is cut.
//!
//! A byte scan over start tags that follows the tokenizer's attribute rules
//! (names, `=`, quoted and unquoted values). Where it misreads a page, the
//! cost is some lost attributes, never unsafe output: the body is sanitized
//! after extraction.

use std::borrow::Cow;

/// Attributes kept per tag.
pub const MAX_ATTRIBUTES: usize = 256;

/// `html` with every start tag cut after its first `max` attributes.
pub(crate) fn bounded(html: &str, max: usize) -> Cow<'_, str> {
    let b = html.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let p = i + off;
        if !b.get(p + 1).is_some_and(u8::is_ascii_alphabetic) {
            i = p + 1;
            continue;
        }
        let tag = scan(b, p + 1, max);
        if let Some(cut) = tag.cut {
            out.push_str(&html[copied..cut]);
            out.push('>');
            copied = tag.end;
        }
        i = tag.end.max(p + 1);
    }
    if copied == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

struct Tag {
    /// Just after the tag's `>` (or the end of the page).
    end: usize,
    /// Where the first attribute past the bound starts, if there is one.
    cut: Option<usize>,
}

/// Reads the start tag whose name begins at `i`.
fn scan(b: &[u8], mut i: usize, max: usize) -> Tag {
    let stop = |c: u8| c.is_ascii_whitespace() || c == b'/' || c == b'>';
    while i < b.len() && !stop(b[i]) {
        i += 1;
    }
    let mut count = 0;
    let mut cut = None;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        match b.get(i) {
            None => return Tag { end: b.len(), cut },
            Some(b'>') => return Tag { end: i + 1, cut },
            Some(_) => {}
        }
        count += 1;
        if count > max && cut.is_none() {
            cut = Some(i);
        }
        // The name: a leading `=` belongs to it, as in the tokenizer.
        i += 1;
        while i < b.len() && !stop(b[i]) && b[i] != b'=' {
            i += 1;
        }
        let mut j = i;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        if b.get(j) != Some(&b'=') {
            continue;
        }
        j += 1;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        i = match b.get(j) {
            Some(&q @ (b'"' | b'\'')) => {
                memchr::memchr(q, &b[j + 1..]).map_or(b.len(), |e| j + 1 + e + 1)
            }
            _ => {
                let mut k = j;
                while k < b.len() && !b[k].is_ascii_whitespace() && b[k] != b'>' {
                    k += 1;
                }
                k
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_within_the_bound_are_untouched() {
        for html in [
            "<p class=a id='b' data-x=\"c > d\" hidden>text</p>",
            "<a href=/x title = \"y\">link</a> 1 < 2 <br/>",
            "<p =odd a=1 / b>x",
            "<p a=\"unterminated",
        ] {
            assert!(matches!(bounded(html, 8), Cow::Borrowed(_)), "{html}");
        }
    }

    #[test]
    fn floods_are_cut_after_the_bound() {
        let cases = [
            (
                "<p a=1 b='2' c d=\"x>y\" e=5>text</p>",
                3,
                "<p a=1 b='2' c >text</p>",
            ),
            (
                "<div a b c d>one</div><p x y z>two</p>",
                2,
                "<div a b >one</div><p x y >two</p>",
            ),
            ("<p a=1 b=2 c=3", 1, "<p a=1 >"),
        ];
        for (html, max, want) in cases {
            assert_eq!(bounded(html, max), want, "{html}");
        }
        let flood: String = (0..10_000).map(|k| format!(" a{k}=\"v\"")).collect();
        let html = format!("<p{flood}>Body text.</p>");
        let cut = bounded(&html, MAX_ATTRIBUTES);
        assert_eq!(cut.matches('=').count(), MAX_ATTRIBUTES);
        assert!(cut.ends_with(">Body text.</p>"));
    }

    /// The probe's page: one `<p>` with 200,000 attributes (1.9 MB) in an
    /// article. The text comes out, read from a tag cut to the bound.
    #[test]
    fn attribute_bomb_page_extracts() {
        let flood: String = (0..200_000).map(|k| format!(" a{k}=x")).collect();
        let para = "The council met on Tuesday and agreed on a new budget for the coming year. ";
        let html = format!(
            "<html><body><article><h1>Budget</h1><p{flood}>{}</p><p>{}</p></article></body></html>",
            para.repeat(4),
            para.repeat(4)
        );
        let a = crate::article(&html, Some("https://ex.org/a")).unwrap();
        assert!(a.text.contains("new budget"), "{}", a.text);
        assert!(!a.html.contains("a1="));
    }
}
