//! Escaping plain text for HTML and XML.

/// Text made safe between tags: `&`, `<` and `>` escaped, quotes kept as
/// they are (the extractor's output keeps its quotation marks readable).
pub fn escape_text(s: &str) -> String {
    escape(s, false)
}

/// Text made safe in element content and in attribute values, for HTML and
/// XML alike (`'` as `&#39;`, which both read).
pub fn escape_html(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
