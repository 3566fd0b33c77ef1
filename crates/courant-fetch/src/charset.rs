//! Bytes to text for HTML pages: BOM, then the HTTP header, then a `<meta>`
//! or XML declaration, then chardetng's sniffer (the WHATWG order, so a BOM wins).

use encoding_rs::Encoding;

/// A decoded document and how its encoding was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text.
    pub text: String,
    /// Encoding used, by its WHATWG name.
    pub encoding: &'static str,
    /// Where the encoding came from: "bom", "header", "meta", "content" (valid
    /// UTF-8 overriding a declared legacy charset), "sniffed".
    pub source: &'static str,
    /// A declared label that no encoding matches, reported to the source's health.
    pub warning: Option<String>,
}

/// Decodes `body`; never fails (unknown bytes become U+FFFD).
pub fn decode(body: &[u8], content_type: Option<&str>) -> Decoded {
    let mut warning = None;
    let mut pick = |label: Option<String>,
                    source: &'static str|
     -> Option<(&'static Encoding, &'static str)> {
        let label = label?;
        match Encoding::for_label(label.trim().as_bytes()) {
            // A page that declares UTF-16 in ASCII bytes cannot be UTF-16 (WHATWG rule).
            Some(e)
                if source == "meta"
                    && (e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE) =>
            {
                Some((encoding_rs::UTF_8, source))
            }
            Some(e) => Some((e, source)),
            None => {
                warning = Some(format!("unknown charset {label:?} declared in {source}"));
                None
            }
        }
    };
    let found = Encoding::for_bom(body)
        .map(|(e, _)| (e, "bom"))
        .or_else(|| pick(content_type.and_then(charset_param), "header"))
        .or_else(|| pick(prescan(body), "meta"));
    // Bytes that are valid UTF-8 and not plain ASCII are UTF-8 whatever a
    // header or <meta> claims: legacy text almost never forms valid UTF-8
    // sequences, while pages re-encoded as UTF-8 often keep an old declaration.
    let found = match found {
        Some((e, source))
            if e != encoding_rs::UTF_8
                && source != "bom"
                && !body.is_ascii()
                && std::str::from_utf8(body).is_ok() =>
        {
            Some((encoding_rs::UTF_8, "content"))
        }
        other => other,
    };
    let (encoding, source) = found.unwrap_or_else(|| {
        // chardetng answers UTF-8 for valid UTF-8 anyway; std checks that far faster.
        if std::str::from_utf8(body).is_ok() {
            return (encoding_rs::UTF_8, "sniffed");
        }
        let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
        det.feed(&body[..body.len().min(64 * 1024)], body.len() <= 64 * 1024);
        (det.guess(None, chardetng::Utf8Detection::Allow), "sniffed")
    });
    let (text, _, _) = encoding.decode(body);
    Decoded {
        text: text.into_owned(),
        encoding: encoding.name(),
        source,
        warning,
    }
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// Looks for `<meta charset>`, `<meta http-equiv content="…charset=…">` or
/// `<?xml encoding="…"?>` in the first 4 KiB, as browsers do.
fn prescan(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let lower = String::from_utf8_lossy(&lower);
    if lower.starts_with("<?xml") {
        let decl_end = lower.find("?>")?;
        return attr_value(&lower[..decl_end], "encoding");
    }
    let mut rest: &str = &lower;
    while let Some(i) = rest.find("<meta") {
        let tag_end = rest[i..].find('>').map(|j| i + j).unwrap_or(rest.len());
        let tag = &rest[i..tag_end];
        if let Some(v) = attr_value(tag, "charset") {
            return Some(v);
        }
        if tag.contains("http-equiv") {
            if let Some(content) = attr_value(tag, "content") {
                if let Some(j) = content.find("charset=") {
                    let v = content[j + 8..].trim_matches(['"', '\'', ' ']);
                    let v: String = v
                        .chars()
                        .take_while(|c| !matches!(c, ';' | ' ' | '"' | '\''))
                        .collect();
                    if !v.is_empty() {
                        return Some(v);
                    }
                }
            }
        }
        rest = &rest[tag_end..];
    }
    None
}

fn attr_value(tag: &str, name: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = tag[from..].find(name).map(|i| i + from) {
        from = i + name.len();
        let before_ok = i == 0
            || !tag.as_bytes()[i - 1].is_ascii_alphanumeric() && tag.as_bytes()[i - 1] != b'-';
        let after = tag[from..].trim_start();
        if !before_ok || !after.starts_with('=') {
            continue;
        }
        let v = after[1..].trim_start();
        let v = if let Some(q) = v.strip_prefix(['"', '\'']) {
            let quote = v.as_bytes()[0] as char;
            q.split(quote).next().unwrap_or("")
        } else {
            v.split(|c: char| c.is_whitespace() || matches!(c, '>' | '/' | '"' | '\'' | ';'))
                .next()
                .unwrap_or("")
        };
        if !v.is_empty() {
            return Some(v.to_string());
        }
    }
    None
}
