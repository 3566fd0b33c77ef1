//! What the write API takes as a feed URL, exactly as the OpenAPI document
//! states it (`NewSource.feed_url`'s pattern), so that the two cannot drift:
//! `http(s)://`, a host name whose last label starts with a letter (no
//! addresses, no punycode tricks), an optional port of up to four digits,
//! and a path without white space.

/// Whether `s` is a feed URL the API accepts.
pub(crate) fn acceptable(s: &str) -> bool {
    if s.len() > 2048 {
        return false;
    }
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &s[8..]
    } else if lower.starts_with("http://") {
        &s[7..]
    } else {
        return false;
    };
    let end = rest.find([':', '/']).unwrap_or(rest.len());
    let (host, mut rest) = rest.split_at(end);
    if !host_name(host) {
        return false;
    }
    if let Some(port) = rest.strip_prefix(':') {
        let digits = port.find('/').unwrap_or(port.len());
        if !(1..=4).contains(&digits) || !port[..digits].bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        rest = &port[digits..];
    }
    (rest.is_empty() || (rest.starts_with('/') && !rest.chars().any(ecma_space)))
        && url::Url::parse(s).is_ok()
}

/// Labels of letters and digits with single hyphens inside, joined by dots;
/// the last starts with a letter.
fn host_name(host: &str) -> bool {
    let label = |l: &str| {
        !l.is_empty()
            && l.split('-')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()))
    };
    let labels: Vec<&str> = host.split('.').collect();
    labels.iter().all(|l| label(l))
        && labels
            .last()
            .is_some_and(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// White space as a JSON Schema (ECMAScript) pattern's `\s` reads it.
fn ecma_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn feed_urls_as_the_document_states() {
        for ok in [
            "https://example.org/feed.xml",
            "HTTP://a-b.c9.example:8080/x?y=1#z",
            "http://localhost",
            "https://news.example/path/with%20escapes/and/ünïcode",
        ] {
            assert!(acceptable(ok), "{ok}");
        }
        for bad in [
            "",
            "HTTPS://",
            " https://example.org/feed",
            "https://example.org/feed ",
            "https://example.org/a b",
            "https://1.2.3.4/feed",
            "https://xn--a.example/",
            "https://a--b.example/",
            "https://example.org:/f",
            "https://example.org:99999/f",
            "https://example.org?x",
            "ftp://example.org/",
            "javascript:alert(1)",
            "https://example.org/\u{feff}",
        ] {
            assert!(!acceptable(bad), "{bad:?}");
        }
        assert!(!acceptable(&format!("https://e.org/{}", "a".repeat(2048))));
    }
}
