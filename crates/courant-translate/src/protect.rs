//! What a translator must not touch, hidden behind placeholders before a
//! segment is sent and put back after: inline code, URLs written out in the
//! text, names on the do-not-translate list, and glossary terms (which come
//! back as the glossary's rendering). Placeholders are `⟦n⟧`, a form every
//! engine tried passes through as an unknown token.

/// A segment with its protected spans replaced by placeholders.
#[derive(Debug, Clone, PartialEq)]
pub struct Masked {
    /// The segment to send.
    pub text: String,
    /// What each placeholder stands for in the translation.
    restore: Vec<String>,
}

/// Terms that must come through a translation in a given form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Terms {
    /// `(term, rendering)`: the rendering replaces the term (itself, for names kept as they are).
    pub pairs: Vec<(String, String)>,
}

impl Terms {
    /// Names kept as written, and glossary entries rendered as given.
    pub fn new(keep: &[String], glossary: &[(String, String)]) -> Terms {
        let mut pairs: Vec<(String, String)> = glossary
            .iter()
            .filter(|(t, _)| !t.trim().is_empty())
            .cloned()
            .collect();
        for k in keep {
            if !k.trim().is_empty() && !pairs.iter().any(|(t, _)| t == k) {
                pairs.push((k.clone(), k.clone()));
            }
        }
        // Longest first, so "New York Times" wins over "New York".
        pairs.sort_by_key(|(t, _)| std::cmp::Reverse(t.chars().count()));
        Terms { pairs }
    }
}

/// Hides code, URLs and terms in an inline HTML segment.
pub fn mask(segment: &str, terms: &Terms) -> Masked {
    let mut restore = Vec::new();
    let mut out = String::with_capacity(segment.len());
    let mut i = 0;
    while i < segment.len() {
        let rest = &segment[i..];
        if rest.starts_with("<code") {
            let end = rest
                .find("</code>")
                .map_or(rest.len(), |e| e + "</code>".len());
            out.push_str(&placeholder(&mut restore, &rest[..end]));
            i += end;
        } else if rest.starts_with('<') {
            // Tags (and their attributes: hrefs) go through; HTML-mode engines keep them.
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            out.push_str(&rest[..end]);
            i += end;
        } else if let Some(len) = url_at(rest) {
            out.push_str(&placeholder(&mut restore, &rest[..len]));
            i += len;
        } else if let Some((len, rendering)) = term_at(segment, i, terms) {
            out.push_str(&placeholder(&mut restore, &rendering));
            i += len;
        } else {
            let c = rest.chars().next().map_or(1, char::len_utf8);
            out.push_str(&rest[..c]);
            i += c;
        }
    }
    Masked { text: out, restore }
}

fn placeholder(restore: &mut Vec<String>, what: &str) -> String {
    restore.push(what.to_string());
    format!("⟦{}⟧", restore.len() - 1)
}

/// Length of a URL starting here.
fn url_at(s: &str) -> Option<usize> {
    if !(s.starts_with("https://") || s.starts_with("http://")) {
        return None;
    }
    let end = s
        .find(|c: char| c.is_whitespace() || c == '<' || c == '"')
        .unwrap_or(s.len());
    // A sentence's closing punctuation is not part of the URL.
    let url = s[..end].trim_end_matches(['.', ',', ';', ':', ')', '!', '?']);
    Some(url.len())
}

/// A term starting at byte `i` on word boundaries: its length and rendering.
fn term_at(s: &str, i: usize, terms: &Terms) -> Option<(usize, String)> {
    let before = s[..i].chars().next_back();
    if before.is_some_and(char::is_alphanumeric) {
        return None;
    }
    let rest = &s[i..];
    terms.pairs.iter().find_map(|(t, r)| {
        let after = rest.get(t.len()..)?.chars().next();
        (rest.starts_with(t.as_str()) && !after.is_some_and(char::is_alphanumeric))
            .then(|| (t.len(), r.clone()))
    })
}

impl Masked {
    /// The translation with every placeholder put back; `Err` names the
    /// placeholders the engine lost or invented, and the translation is not used.
    pub fn unmask(&self, translated: &str) -> Result<String, String> {
        let mut out = String::with_capacity(translated.len());
        let mut seen = vec![false; self.restore.len()];
        let mut rest = translated;
        while let Some(start) = rest.find('⟦') {
            out.push_str(&rest[..start]);
            let after = &rest[start + '⟦'.len_utf8()..];
            let close = after.find('⟧');
            let n = close.and_then(|c| after[..c].trim().parse::<usize>().ok());
            match (n, close) {
                (Some(n), Some(c)) if n < self.restore.len() => {
                    out.push_str(&self.restore[n]);
                    seen[n] = true;
                    rest = &after[c + '⟧'.len_utf8()..];
                }
                _ => {
                    return Err(format!(
                        "the engine returned an unknown placeholder in {translated:?}"
                    ))
                }
            }
        }
        out.push_str(rest);
        match seen.iter().position(|s| !s) {
            Some(n) => Err(format!("the engine dropped {:?}", self.restore[n])),
            None => Ok(out),
        }
    }
}
