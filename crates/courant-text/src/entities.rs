//! Character references in text that should hold none: feed titles, JSON-LD
//! and `<meta>` values, which often carry entities a second time.

/// Decodes the five XML entities, `&nbsp;` (as U+00A0) and numeric references
/// in one pass, so `&amp;lt;` becomes `&lt;` and not `<`. Anything else,
/// a bare `&` included, stays as written.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        // Entity names this decoder knows are short; a far `;` is prose.
        let decoded = after
            .find(';')
            .filter(|&e| e <= 10)
            .and_then(|end| Some((reference(&after[1..end])?, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn reference(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// Plain text of an HTML fragment: tags dropped, entities decoded, whitespace
/// squashed. For short fields (titles, blurbs), not for pages: the extractor
/// parses those.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    crate::squash(&decode_entities(&out))
}
