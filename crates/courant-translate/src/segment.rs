//! Sanitized HTML cut into the segments a translator sees: each run of text
//! with its inline markup (links, emphasis) between two block boundaries (a
//! paragraph, a heading, a list item, a caption). The blocks themselves, and
//! whatever must not be translated (`pre`), stay in the skeleton untouched,
//! so a translated document has exactly the structure of its original.
//!
//! The input is the sanitizer's output (well-formed, attributes quoted and
//! escaped), which is why a tag scanner is enough here.

/// Tags that start or end a segment.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "img",
    "li",
    "main",
    "ol",
    "p",
    "section",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Tags whose content is never translated.
const KEEP: &[&str] = &["pre", "script", "style", "kbd"];

/// A document cut into skeleton and segments.
#[derive(Debug, Clone, PartialEq)]
pub struct Segmented {
    /// Skeleton pieces; `pieces[i]` comes before `segments[i]`, and the last piece ends the document.
    pieces: Vec<String>,
    /// The HTML of each segment, inline markup included, trimmed.
    pub segments: Vec<String>,
}

impl Segmented {
    /// Cuts `html` into segments.
    pub fn new(html: &str) -> Segmented {
        let mut pieces = Vec::new();
        let mut segments = Vec::new();
        let mut piece = String::new();
        let mut run = String::new();
        let mut keep_depth = 0usize;
        let mut i = 0;
        let flush = |piece: &mut String,
                     run: &mut String,
                     pieces: &mut Vec<String>,
                     segments: &mut Vec<String>| {
            if has_text(run) {
                let lead = run.len() - run.trim_start().len();
                let body = run.trim();
                piece.push_str(&run[..lead]);
                pieces.push(std::mem::take(piece));
                segments.push(body.to_string());
                piece.push_str(&run[lead + body.len()..]);
            } else {
                piece.push_str(run);
            }
            run.clear();
        };
        while i < html.len() {
            let rest = &html[i..];
            if let Some(tag) = rest.strip_prefix('<') {
                let end = tag.find('>').map_or(html.len(), |e| i + 1 + e + 1);
                let token = &html[i..end];
                let (name, closing) = tag_name(token);
                if KEEP.contains(&name.as_str()) {
                    flush(&mut piece, &mut run, &mut pieces, &mut segments);
                    if closing {
                        keep_depth = keep_depth.saturating_sub(1);
                    } else if !token.ends_with("/>") {
                        keep_depth += 1;
                    }
                    piece.push_str(token);
                } else if keep_depth > 0 {
                    piece.push_str(token);
                } else if BLOCKS.contains(&name.as_str()) || token.starts_with("<!") {
                    flush(&mut piece, &mut run, &mut pieces, &mut segments);
                    piece.push_str(token);
                } else {
                    run.push_str(token);
                }
                i = end;
            } else {
                let end = rest.find('<').map_or(html.len(), |e| i + e);
                if keep_depth > 0 {
                    piece.push_str(&html[i..end]);
                } else {
                    run.push_str(&html[i..end]);
                }
                i = end;
            }
        }
        flush(&mut piece, &mut run, &mut pieces, &mut segments);
        pieces.push(piece);
        Segmented { pieces, segments }
    }

    /// The document again, with `translated[i]` in place of segment `i`.
    /// `None` when the count differs: a translation never loses a segment.
    pub fn fill(&self, translated: &[String]) -> Option<String> {
        if translated.len() != self.segments.len() {
            return None;
        }
        let mut out = String::new();
        for (piece, seg) in self.pieces.iter().zip(translated) {
            out.push_str(piece);
            out.push_str(seg);
        }
        if let Some(last) = self.pieces.last() {
            out.push_str(last);
        }
        Some(out)
    }
}

/// Plain text of sanitized HTML: one paragraph per segment, separated by
/// blank lines; a line break inside a segment becomes a space. A linear scan,
/// for text the sanitizer has already made well-formed.
pub fn plain_text(html: &str) -> String {
    Segmented::new(html)
        .segments
        .iter()
        .map(|s| {
            courant_text::strip_tags(
                &s.replace("<br>", " ")
                    .replace("<br/>", " ")
                    .replace("<br />", " "),
            )
        })
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Lower-case tag name and whether the tag closes.
fn tag_name(token: &str) -> (String, bool) {
    let inner = token.trim_start_matches('<');
    let closing = inner.starts_with('/');
    let name: String = inner
        .trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (name.to_ascii_lowercase(), closing)
}

/// Whether a run of inline HTML holds any visible text.
fn has_text(run: &str) -> bool {
    let mut in_tag = false;
    for c in run.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag && !c.is_whitespace() => return true,
            _ => {}
        }
    }
    false
}
