//! Paragraphs and sentences with their byte offsets.

/// Paragraphs (split at newlines) with their byte offsets.
pub fn paragraphs(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split('\n') {
        if !line.trim().is_empty() {
            out.push((at, line));
        }
        at += line.len() + 1;
    }
    out
}

/// Sentences of a paragraph: ends at `.`, `!`, `?` followed by a space and a capital or a quote.
pub fn sentences(par: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = par.char_indices().collect();
    for k in 0..chars.len() {
        let (i, c) = chars[k];
        if matches!(c, '.' | '!' | '?') {
            let next = chars.get(k + 1).map(|x| x.1);
            let after = chars.get(k + 2).map(|x| x.1);
            let ends = match (next, after) {
                (None, _) => true,
                (Some(n), Some(a)) if n.is_whitespace() => {
                    a.is_uppercase() || matches!(a, '„' | '“' | '"' | '«' | '»')
                }
                _ => false,
            };
            if ends {
                let end = i + c.len_utf8();
                out.push((start, end));
                start = chars.get(k + 1).map_or(par.len(), |x| x.0);
            }
        }
    }
    if start < par.len() && !par[start..].trim().is_empty() {
        out.push((start, par.len()));
    }
    out.into_iter()
        .map(|(s, e)| {
            let lead = par[s..e].len() - par[s..e].trim_start().len();
            (s + lead, e)
        })
        .collect()
}
