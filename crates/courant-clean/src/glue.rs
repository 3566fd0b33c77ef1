//! Glued words: a lost space between two words.
//!
//! Two signals. A capital inside a lower-case word after a known word
//! ("ofLyon") needs no dictionary beyond that first word. Otherwise a word
//! unknown to the lexicon that splits into two known words is glued, unless
//! the split looks like a compound: in German the head of a compound is a
//! noun, so a second half that exists capitalized ("…vertrag" → "Vertrag")
//! makes a compound, while one that exists only in lower case ("…beschloss",
//! "…der") makes a glue error.

use crate::lexicon::Lexicon;
use crate::text::{function_words, Word};
use crate::{finding, Finding, Kind};

pub(crate) fn detect(
    text: &str,
    ws: &[Word<'_>],
    lang: &str,
    lex: Option<&Lexicon>,
    out: &mut Vec<Finding>,
) {
    let fw = function_words(lang);
    for w in ws {
        if w.text
            .chars()
            .any(|c| c.is_numeric() || c == '-' || c == '\'' || c == '’')
        {
            continue;
        }
        let split = camel_split(w.text, lex, fw)
            .or_else(|| lex.and_then(|l| dictionary_split(w.text, lang, l, fw)));
        if let Some((cut, conf)) = split {
            let repair = format!("{} {}", &w.text[..cut], &w.text[cut..]);
            out.push(finding(
                text,
                Kind::GluedWords,
                w.start,
                w.end,
                conf,
                Some(repair),
            ));
        }
    }
}

/// "ofLyon": lower-case known word, then one capitalized word.
fn camel_split(w: &str, lex: Option<&Lexicon>, fw: &[&str]) -> Option<(usize, f32)> {
    let mut chars = w.char_indices();
    let (_, first) = chars.next()?;
    if !first.is_lowercase() {
        return None;
    }
    let (cut, _) = chars.find(|(_, c)| c.is_uppercase())?;
    let (left, right) = (&w[..cut], &w[cut..]);
    // Exactly one capital, followed by lower case: not an acronym, not "iPhone"-style brands.
    if left.chars().count() < 2
        || right.chars().count() < 3
        || right.chars().skip(1).any(|c| !c.is_lowercase())
    {
        return None;
    }
    let left_known = fw.contains(&left) || lex.is_some_and(|l| l.has_exact(left));
    left_known.then_some((cut, 0.9))
}

fn dictionary_split(w: &str, lang: &str, lex: &Lexicon, fw: &[&str]) -> Option<(usize, f32)> {
    let n = w.chars().count();
    if n < 5 || lex.knows(w) || w.chars().skip(1).any(char::is_uppercase) {
        return None;
    }
    let capitalized = w.chars().next().is_some_and(char::is_uppercase);
    let mut best: Option<(usize, f32)> = None;
    for (cut, _) in w.char_indices().skip(3) {
        let (left, right) = (&w[..cut], &w[cut..]);
        let rn = right.chars().count();
        let right_is_fw = fw.contains(&right);
        let conf = match lang {
            // German writes compounds as one word. A glue shows when a noun is followed by
            // a head that is no noun (compound heads are nouns): "Bundestag|beschloss".
            "de" => {
                if rn < 3 || !lex.has_exact(right) || lex.is_noun(right) {
                    continue;
                }
                // An inflected adjective or participle as head is a nominalization
                // ("Klima|forschende", "Sport|begeisterte"), not a glue.
                let adjective_head = !right_is_fw
                    && ["e", "en", "er", "es", "em"]
                        .iter()
                        .any(|e| right.ends_with(e));
                if capitalized
                    && !adjective_head
                    && left.chars().count() >= 4
                    && lex.is_capitalized_stem(left)
                {
                    // Only a function word makes the repair safe; other heads are flagged with a suggestion.
                    if right_is_fw {
                        0.9
                    } else {
                        0.6
                    }
                } else if !capitalized && right_is_fw && lex.has_exact(left) {
                    0.85
                } else {
                    continue;
                }
            }
            // Elsewhere an unknown word is more often a rare word or a name than a glue:
            // only a function word as the second half counts, and a short one only weakly.
            _ => {
                let ln = left.chars().count();
                if !right_is_fw || capitalized || ln < 3 || !lex.has_exact(left) {
                    continue;
                }
                if rn >= 3 {
                    0.85
                } else if ln >= 6 {
                    0.6
                } else {
                    continue;
                }
            }
        };
        // Prefer the longer left half: "Verhandlungen|der" over "Verhandlung|ender".
        best = Some((cut, conf));
    }
    best
}
