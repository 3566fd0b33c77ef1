//! Missing spaces (after sentence punctuation, a closing quote, a comma) and
//! stray ones (inside hyphenated words, before punctuation, doubled).

use std::sync::OnceLock;

use regex::Regex;

use crate::{finding, Finding, Kind};

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    // The patterns are constants; a bad one is caught by the tests at once.
    cell.get_or_init(|| {
        Regex::new(pattern).unwrap_or_else(|e| panic!("bad pattern {pattern}: {e}"))
    })
}

const OPENING_QUOTES: &[char] = &['„', '“', '«', '»', '"', '‚'];

/// Scripts written without spaces between words: no spacing rule applies.
pub(crate) fn unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF     // CJK radicals, kana, CJK ideographs
        | 0xF900..=0xFAFF   // CJK compatibility ideographs
        | 0xFF00..=0xFFEF   // full-width forms
        | 0x0E00..=0x0EFF   // Thai, Lao
        | 0x1000..=0x109F   // Myanmar
        | 0x1780..=0x17FF) // Khmer
}

/// Languages that write a space before a hyphen joining a multi-word first part
/// ("Nord Stream -kaasuputki").
const SPACE_HYPHEN_LANGS: &[&str] = &["fi", "et"];
/// Languages that set a space before ; : ! ? (French typography).
const SPACE_BEFORE_PUNCT_LANGS: &[&str] = &["fr", "frp", "br", "oc"];

pub(crate) fn detect(text: &str, lang: &str, lex: Option<&crate::Lexicon>, out: &mut Vec<Finding>) {
    // Patterns are matched without capture groups (the fast search path); the
    // parts are found again inside each match.
    // "Mittwoch.Die": two lower-case letters, sentence punctuation, a capitalized word.
    static SENT: OnceLock<Regex> = OnceLock::new();
    for m in re(&SENT, r"(?:\p{Ll}{2,}|[0-9]%?)[.!?]\p{Lu}\p{Ll}+").find_iter(text) {
        let Some(p) = m.as_str().find(['.', '!', '?']).map(|p| m.start() + p + 1) else {
            continue;
        };
        let start = word_start(text, p - 1);
        if looks_like_address(text, start, m.end()) || text[start..m.end()].contains("..") {
            continue;
        }
        // "Table.Briefings" is a name; "Mittwoch.Die" two words. With a word list,
        // the repair is made only when the second word is a word of the language.
        let conf = match lex {
            Some(l) if !l.knows(&text[p..m.end()]) => 0.6,
            _ => 0.9,
        };
        let repair = format!("{} {}", &text[start..p], &text[p..m.end()]);
        out.push(finding(
            text,
            Kind::MissingSpace,
            start,
            m.end(),
            conf,
            Some(repair),
        ));
    }
    // "Berlin,Hamburg": a comma or semicolon between two words.
    static COMMA: OnceLock<Regex> = OnceLock::new();
    for m in re(&COMMA, r"\p{L}{2,}[,;]\p{L}{2,}").find_iter(text) {
        let Some(p) = m.as_str().find([',', ';']).map(|p| m.start() + p + 1) else {
            continue;
        };
        if looks_like_address(text, m.start(), m.end()) {
            continue;
        }
        let repair = format!("{} {}", &text[m.start()..p], &text[p..m.end()]);
        out.push(finding(
            text,
            Kind::MissingSpace,
            m.start(),
            m.end(),
            0.8,
            Some(repair),
        ));
    }
    quote_glue(text, out);
    quote_space(text, out);
    // "Gipfel -Treffen": a space before the hyphen of a compound.
    static HYPHEN: OnceLock<Regex> = OnceLock::new();
    if !SPACE_HYPHEN_LANGS.contains(&lang) {
        // "Versorgung und -entsorgung" shares a compound part on purpose.
        hyphen_space(
            text,
            re(&HYPHEN, r"\p{L}{2,} -\p{L}{2,}"),
            " -",
            0.8,
            |l, _| is_conjunction(l),
            out,
        );
    }
    // "Gipfel- Treffen" (but "Ein- und Ausgang" is right).
    static HYPHEN2: OnceLock<Regex> = OnceLock::new();
    hyphen_space(
        text,
        re(&HYPHEN2, r"\p{L}{2,}- \p{L}{2,}"),
        "- ",
        0.6,
        |_, r| is_conjunction(r),
        out,
    );
    // "Berlin , sagte": a space before punctuation. French sets one before ; : ! ? on purpose.
    static BEFORE: OnceLock<Regex> = OnceLock::new();
    for m in re(&BEFORE, r"[\p{L}0-9] +[,.;:!?](?:\s|$)").find_iter(text) {
        let body = m.as_str().trim_end();
        let Some(punct) = body.chars().next_back() else {
            continue;
        };
        if SPACE_BEFORE_PUNCT_LANGS.contains(&lang) && matches!(punct, ';' | ':' | '!' | '?') {
            continue;
        }
        let word_end = m.start() + body.trim_end_matches(punct).trim_end().len();
        let start = word_start(text, word_end);
        let end = m.start() + body.len();
        let repair = format!("{}{punct}", &text[start..word_end]);
        out.push(finding(
            text,
            Kind::StraySpace,
            start,
            end,
            0.8,
            Some(repair),
        ));
    }
    // Doubled spaces inside a line.
    static DOUBLE: OnceLock<Regex> = OnceLock::new();
    for m in re(&DOUBLE, r"\S {2,}\S").find_iter(text) {
        let first = m.as_str().chars().next().map_or(1, char::len_utf8);
        let last = m.as_str().chars().next_back().map_or(1, char::len_utf8);
        out.push(finding(
            text,
            Kind::StraySpace,
            m.start() + first,
            m.end() - last,
            0.9,
            Some(" ".into()),
        ));
    }
}

/// A quote mark directly between two words: the space after a closing quote
/// (or before an opening one) was lost.
fn quote_glue(text: &str, out: &mut Vec<Finding>) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut open: Vec<char> = Vec::new();
    for k in 0..chars.len() {
        let (i, c) = chars[k];
        if !OPENING_QUOTES.contains(&c) && c != '”' && c != '’' {
            continue;
        }
        if c == '’' || c == '‚' {
            continue; // apostrophes and single quotes: too ambiguous
        }
        let prev = k.checked_sub(1).map(|p| chars[p].1);
        let next = chars.get(k + 1).map(|x| x.1);
        if prev.is_some_and(unspaced_script) || next.is_some_and(unspaced_script) {
            continue;
        }
        let after_word =
            prev.is_some_and(|p| p.is_alphanumeric() || matches!(p, '.' | ',' | '!' | '?'));
        let before_word = next.is_some_and(char::is_alphanumeric);
        let closes = after_word && !open.is_empty();
        if after_word && before_word {
            let ws = word_start(text, i);
            let we = word_end(text, i + c.len_utf8());
            if closes || !matches!(c, '„' | '«') {
                // Closing quote glued to the next word: space after it.
                let repair = format!(
                    "{} {}",
                    &text[ws..i + c.len_utf8()],
                    &text[i + c.len_utf8()..we]
                );
                out.push(finding(
                    text,
                    Kind::MissingSpace,
                    ws,
                    we,
                    0.85,
                    Some(repair),
                ));
            } else {
                // Opening quote glued to the previous word: space before it.
                let repair = format!("{} {}", &text[ws..i], &text[i..we]);
                out.push(finding(
                    text,
                    Kind::MissingSpace,
                    ws,
                    we,
                    0.85,
                    Some(repair),
                ));
            }
        }
        if closes {
            open.pop();
        } else if !after_word {
            open.push(c);
        }
        if c == '\n' {
            open.clear();
        }
    }
}

/// A space inside straight quotes, next to the mark (`" Estamos juntos,"`,
/// `"yes "`), as machine translation leaves it. Straight marks have no
/// direction, so the line's marks are paired in order, and only a line where
/// they pair up (an even number) is judged.
fn quote_space(text: &str, out: &mut Vec<Finding>) {
    let mut line_start = 0;
    for line in text.split('\n') {
        let marks: Vec<usize> = line.match_indices('"').map(|(i, _)| i).collect();
        if marks.len() >= 2 && marks.len().is_multiple_of(2) {
            for pair in marks.chunks(2) {
                let (open, close) = (pair[0], pair[1]);
                let inside = &line[open + 1..close];
                let body = inside.trim_matches(' ');
                if body.is_empty() || !body.chars().next().is_some_and(char::is_alphanumeric) {
                    continue;
                }
                // The opening mark starts the line or follows a space or a bracket.
                let before = line[..open].chars().next_back();
                if !before.is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '[' | '—' | '–'))
                {
                    continue;
                }
                let lead = inside.len() - inside.trim_start_matches(' ').len();
                let tail = inside.len() - inside.trim_end_matches(' ').len();
                if lead > 0 {
                    out.push(finding(
                        text,
                        Kind::StraySpace,
                        line_start + open,
                        line_start + open + 1 + lead,
                        0.8,
                        Some("\"".into()),
                    ));
                }
                if tail > 0 {
                    out.push(finding(
                        text,
                        Kind::StraySpace,
                        line_start + close - tail,
                        line_start + close + 1,
                        0.8,
                        Some("\"".into()),
                    ));
                }
            }
        }
        line_start += line.len() + 1;
    }
}

/// A space on one side of a compound's hyphen: `sep` is " -" or "- ".
fn hyphen_space(
    text: &str,
    pattern: &Regex,
    sep: &str,
    confidence: f32,
    legitimate: impl Fn(&str, &str) -> bool,
    out: &mut Vec<Finding>,
) {
    for m in pattern.find_iter(text) {
        let Some((l, r)) = m.as_str().split_once(sep) else {
            continue;
        };
        if legitimate(l, r) {
            continue;
        }
        out.push(finding(
            text,
            Kind::StraySpace,
            m.start(),
            m.end(),
            confidence,
            Some(format!("{l}-{r}")),
        ));
    }
}

fn is_conjunction(w: &str) -> bool {
    matches!(
        w,
        "und"
            | "oder"
            | "bis"
            | "sowie"
            | "als"
            | "wie"
            | "bzw"
            | "and"
            | "or"
            | "to"
            | "et"
            | "ou"
            | "à"
    )
}

fn word_start(text: &str, mut i: usize) -> usize {
    while let Some(c) = text[..i].chars().next_back() {
        if c.is_alphanumeric() || c == '-' {
            i -= c.len_utf8();
        } else {
            break;
        }
    }
    i
}

fn word_end(text: &str, mut i: usize) -> usize {
    while let Some(c) = text[i..].chars().next() {
        if c.is_alphanumeric() {
            i += c.len_utf8();
        } else {
            break;
        }
    }
    i
}

/// Domains, URLs, e-mail addresses and file names are not sentences.
fn looks_like_address(text: &str, start: usize, end: usize) -> bool {
    let run_start = text[..start]
        .rfind(char::is_whitespace)
        .map_or(0, |i| i + 1);
    let run_end = text[end..]
        .find(char::is_whitespace)
        .map_or(text.len(), |i| end + i);
    let run = &text[run_start..run_end];
    run.contains("://")
        || run.contains('@')
        || run.starts_with("www.")
        || run.contains(".com")
        || run.contains(".org")
}
