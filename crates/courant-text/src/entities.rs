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
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt..];
        // Only what can start a tag is one: "1 < 2" is text.
        let starts_tag = after[1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        if !starts_tag {
            out.push('<');
            rest = &after[1..];
            continue;
        }
        let end_of = |close: &str| after.find(close).map_or(after.len(), |e| e + close.len());
        let skip = if after.starts_with("<!--") {
            end_of("-->")
        } else if let Some(name) = ["script", "style"].into_iter().find(|n| {
            after[1..]
                .get(..n.len())
                .is_some_and(|t| t.eq_ignore_ascii_case(n))
        }) {
            // Scripts and styles are never text; their content goes with them.
            let lower = after.to_ascii_lowercase();
            lower.find(&format!("</{name}")).map_or(after.len(), |e| {
                e + lower[e..].find('>').map_or(lower.len() - e, |g| g + 1)
            })
        } else {
            end_of(">")
        };
        rest = &after[skip..];
    }
    out.push_str(rest);
    crate::squash(&decode_entities(&out))
}
