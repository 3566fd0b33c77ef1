//! A translation checked against its source: numbers survive, names are not
//! dropped, the length is plausible, nothing repeats, nothing is left untranslated.

use serde::Serialize;

use crate::lexicon::Lexicons;
use crate::text::words;
use crate::Kind;

/// One problem of a translation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranslationFlag {
    /// `number_mismatch`, `entity_dropped`, `too_short`, `too_long`, `repetition`, `untranslated`.
    pub flag: &'static str,
    /// What was found, for a person to read.
    pub detail: String,
}

/// Shortest and longest plausible target/source length ratios.
const RATIO: (f64, f64) = (0.5, 2.2);

/// Checks `target` (in `to`) against `source` (in `from`).
pub fn check_translation(
    source: &str,
    from: &str,
    target: &str,
    to: &str,
    lex: &Lexicons,
) -> Vec<TranslationFlag> {
    check_translation_with_findings(source, from, target, to, lex).flags
}

/// Everything [`check_translation_with_findings`] found.
#[derive(Debug, Clone)]
pub struct TranslationCheck {
    /// The translation's problems.
    pub flags: Vec<TranslationFlag>,
    /// The text checker's findings on the target.
    pub findings: Vec<crate::Finding>,
    /// The language the target reads as, when the detector is sure enough to say.
    pub detected: Option<courant_lang::Detection>,
}

/// [`check_translation`], with the text checker's findings and the language
/// detection it computed on the way (so a caller need not repeat them).
pub fn check_translation_with_findings(
    source: &str,
    from: &str,
    target: &str,
    to: &str,
    lex: &Lexicons,
) -> TranslationCheck {
    let mut flags = Vec::new();
    let src_nums = numbers(source, from);
    let tgt_nums = numbers(target, to);
    let mut left = tgt_nums.clone();
    // An engine that keeps the source's way of writing a number ("1,200" in
    // a Spanish text) has not changed it.
    let mut verbatim = numbers(target, from);
    for n in &src_nums {
        let same = |m: &f64| (m - n).abs() < 1e-9;
        match (left.iter().position(same), verbatim.iter().position(same)) {
            (Some(p), _) => {
                left.remove(p);
            }
            (None, Some(p)) => {
                verbatim.remove(p);
            }
            (None, None) => flags.push(TranslationFlag {
                flag: "number_mismatch",
                detail: format!("{n} of the source is not in the translation (found {tgt_nums:?})"),
            }),
        }
    }
    let target_words: Vec<&str> = words(target).iter().map(|w| w.text).collect();
    let known = lex.get(from);
    for name in entities(source) {
        // A word the lexicon knows is a common noun with a capital ("Prime
        // Minister", "White House"): a translation may render it.
        if known.is_some_and(|l| l.knows(&name.to_lowercase())) {
            continue;
        }
        // Acronyms are localized as often as not (NATO/OTAN, UN/ONU, EU/UE).
        if name.chars().all(|c| c.is_uppercase() || c.is_ascii_digit()) {
            continue;
        }
        // Exonyms keep their start more often than not (Geneva/Genf, Italy/Itàlia;
        // Munich/München is the exception).
        let stem: String = name.chars().take(3).map(fold).collect();
        if !target.contains(name)
            && !target_words
                .iter()
                .any(|w| w.chars().map(fold).collect::<String>().starts_with(&stem))
        {
            flags.push(TranslationFlag {
                flag: "entity_dropped",
                detail: format!("{name:?} is missing"),
            });
        }
    }
    // Length is judged without repetitions, which are flagged on their own.
    let (deduped, findings) = crate::clean(target, Some(to), lex);
    let (sl, tl) = (
        source.chars().count() as f64,
        deduped.chars().count() as f64,
    );
    if sl >= 20.0 {
        let r = tl / sl;
        if r < RATIO.0 {
            flags.push(TranslationFlag {
                flag: "too_short",
                detail: format!("translation is {:.0}% of the source's length", r * 100.0),
            });
        } else if r > RATIO.1 {
            flags.push(TranslationFlag {
                flag: "too_long",
                detail: format!("translation is {:.0}% of the source's length", r * 100.0),
            });
        }
    }
    // A truncated translation loses numbers and names as a consequence: report the
    // truncation, and a number only when the translation holds one the source lacks.
    if flags.iter().any(|f| f.flag == "too_short") {
        let changed = !left.is_empty();
        flags.retain(|f| f.flag != "entity_dropped" && (f.flag != "number_mismatch" || changed));
    }
    if let Some(f) = findings.iter().find(|f| f.kind == Kind::RepeatedPhrase) {
        flags.push(TranslationFlag {
            flag: "repetition",
            detail: format!("{:?} repeats", f.span),
        });
    } else if let Some(phrase) = repeated_ngram(target).filter(|_| repeated_ngram(source).is_none())
    {
        // A phrase or sentence said again with punctuation between: the
        // translation repeats what its source said once.
        flags.push(TranslationFlag {
            flag: "repetition",
            detail: format!("{phrase:?} repeats"),
        });
    }
    let same_text = normalize(source) == normalize(target);
    let detected = courant_lang::detect(target);
    let detected_source_lang = detected
        .as_ref()
        .is_some_and(|d| d.lang == from && d.confidence > 0.5);
    if from != to
        && (same_text
            || detected_source_lang
            || findings.iter().any(|f| f.kind == Kind::Untranslated))
    {
        flags.push(TranslationFlag {
            flag: "untranslated",
            detail: "the translation is (partly) still in the source language".into(),
        });
    }
    TranslationCheck {
        flags,
        findings,
        detected,
    }
}

/// A Latin letter without its accent, for comparing the start of names.
fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        c => c,
    }
}

/// Shortest and longest block of words whose immediate repetition is flagged
/// when punctuation stands between the copies (the checker's own detector
/// sees only copies with spaces between).
const REPEATED_WORDS: (usize, usize) = (4, 40);

/// The first block of words said twice in a row, case and punctuation aside:
/// "…samedi soir, devant une salle comble samedi soir." or a sentence
/// repeated. A phrase that recurs further apart is ordinary prose.
fn repeated_ngram(text: &str) -> Option<String> {
    let ws: Vec<String> = words(text).iter().map(|w| w.text.to_lowercase()).collect();
    let (min, max) = REPEATED_WORDS;
    (0..ws.len()).find_map(|i| {
        (min..=max)
            .take_while(|l| i + 2 * l <= ws.len())
            .find(|&l| ws[i..i + l] == ws[i + l..i + 2 * l])
            .map(|l| ws[i..i + l].join(" "))
    })
}

fn normalize(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Numbers as the language writes them: "1,100.5" in English, "1.100,5" in
/// German and French (which also groups with spaces).
pub fn numbers(text: &str, lang: &str) -> Vec<f64> {
    let (group, decimal) = match lang {
        "en" | "" => (',', '.'),
        _ => ('.', ','),
    };
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_alphanumeric()) {
            i += 1;
            continue;
        }
        let mut raw = String::new();
        let mut j = i;
        while j < chars.len() {
            let c = chars[j];
            let next_digit = chars.get(j + 1).is_some_and(char::is_ascii_digit);
            if c.is_ascii_digit() {
                raw.push(c);
            } else if (c == group
                || (lang == "fr" && (c == ' ' || c == '\u{a0}' || c == '\u{202f}')))
                && next_digit
            {
                // A group separator is followed by exactly three digits.
                let three = (1..=3).all(|k| chars.get(j + k).is_some_and(char::is_ascii_digit))
                    && !chars.get(j + 4).is_some_and(char::is_ascii_digit);
                if !three {
                    break;
                }
            } else if c == decimal && next_digit {
                raw.push('.');
            } else {
                break;
            }
            j += 1;
        }
        if let Ok(v) = raw.parse::<f64>() {
            out.push(v);
        }
        i = j.max(i + 1);
    }
    out
}

const NOT_NAMES: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonntag",
    "Januar",
    "Februar",
    "März",
    "Juni",
    "Juli",
    "Oktober",
    "Dezember",
    "The",
    "This",
    "That",
    "These",
    "Le",
    "La",
    "Les",
    "Un",
    "Une",
    "Der",
    "Die",
    "Das",
];

/// Names a translator must leave as they are: runs of capitalized words from
/// the first one the language's lexicon does not know ("Condoleezza Rice",
/// "Kristersson" of "Prime Minister Kristersson"; not "White House"). Empty
/// without a lexicon for `lang`: guessing would keep common nouns untranslated.
pub fn names(text: &str, lang: &str, lex: &Lexicons) -> Vec<String> {
    let Some(lx) = lex.get(lang) else {
        return Vec::new();
    };
    let ws = words(text);
    let mut out: Vec<String> = Vec::new();
    let mut k = 0;
    while k < ws.len() {
        let cap = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
        let starts_sentence = |k: usize| {
            k == 0
                || text[ws[k - 1].end..ws[k].start]
                    .contains(['.', '!', '?', ':', '"', '“', '„', '«', '\n'])
        };
        if !cap(ws[k].text) || NOT_NAMES.contains(&ws[k].text) {
            k += 1;
            continue;
        }
        let mut j = k + 1;
        while j < ws.len() && cap(ws[j].text) && text[ws[j - 1].end..ws[j].start] == *" " {
            j += 1;
        }
        let first_unknown = ws[k..j].iter().position(|w| {
            !lx.knows(&w.text.to_lowercase())
                && !w
                    .text
                    .chars()
                    .all(|c| c.is_uppercase() || c.is_ascii_digit())
        });
        let run = &ws[k + first_unknown.unwrap_or(0)..j];
        // A lone capital at a sentence start is an ordinary word more often than a name.
        if first_unknown.is_some() && !(starts_sentence(k) && j - k == 1) {
            let name = &text[run[0].start..run[run.len() - 1].end];
            if !out.iter().any(|n| n == name) {
                out.push(name.to_string());
            }
        }
        k = j;
    }
    out
}

/// Capitalized words that are not at a sentence start: names, in most languages.
fn entities(text: &str) -> Vec<&str> {
    let ws = words(text);
    let mut out = Vec::new();
    for (k, w) in ws.iter().enumerate() {
        let first_of_sentence = k == 0
            || text[ws[k - 1].end..w.start]
                .contains(['.', '!', '?', ':', '"', '“', '„', '«', '\n']);
        let cap = w.text.chars().next().is_some_and(char::is_uppercase);
        if cap && !first_of_sentence && w.text.chars().count() >= 3 && !NOT_NAMES.contains(&w.text)
        {
            out.push(w.text);
        }
    }
    out
}
