//! Repeated phrases: the same words two or more times in a row.
//!
//! One word twice is often right ("die die", "had had", "that that"), so a
//! single word counts only three times over, or twice when it is a word whose
//! doubling is never grammatical ("the the", "ein ein").

use crate::text::Word;
use crate::{finding, Finding, Kind};

const MAX_N: usize = 8;

fn never_doubled(lang: &str) -> &'static [&'static str] {
    match lang {
        "en" => &[
            "the", "a", "an", "of", "to", "in", "on", "at", "for", "with", "and", "or", "is",
            "are", "was", "were", "by", "from", "as", "said", "will", "would",
        ],
        "de" => &[
            "ein", "eine", "einen", "einem", "einer", "und", "oder", "mit", "von", "zu", "zum",
            "zur", "im", "am", "auf", "für", "ist", "sind", "wird", "wurde", "nicht", "sagte",
        ],
        "fr" => &[
            "le", "la", "les", "un", "une", "des", "du", "et", "à", "au", "aux", "est", "sont",
            "a", "dans", "pour",
        ],
        _ => &[],
    }
}

/// FNV-1a over the lower-cased characters.
fn folded_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in s.chars().flat_map(char::to_lowercase) {
        h ^= c as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

pub(crate) fn detect(text: &str, ws: &[Word<'_>], lang: &str, out: &mut Vec<Finding>) {
    // A case-folded hash per word makes the many comparisons cheap; equal hashes are confirmed.
    let hashes: Vec<u64> = ws.iter().map(|w| folded_hash(w.text)).collect();
    let eq = |a: usize, b: usize| {
        let (x, y) = (ws[a].text, ws[b].text);
        hashes[a] == hashes[b]
            && (x == y
                || x.chars()
                    .flat_map(char::to_lowercase)
                    .eq(y.chars().flat_map(char::to_lowercase)))
    };
    // Words separated by anything but spaces do not repeat ("die, die").
    let joined = |a: usize, b: usize| text[ws[a].end..ws[b].start].chars().all(|c| c == ' ');
    let mut i = 0;
    while i < ws.len() {
        let mut hit = None;
        for n in (1..=MAX_N).rev() {
            if i + 2 * n > ws.len() {
                continue;
            }
            if !(i..i + n - 1).all(|j| joined(j, j + 1)) {
                continue;
            }
            let mut k = 1;
            // Each further block must equal the first and follow it with only spaces between.
            while i + (k + 1) * n <= ws.len()
                && (0..n).all(|j| eq(i + j, i + k * n + j))
                && (i + k * n - 1..i + (k + 1) * n - 1).all(|j| joined(j, j + 1))
            {
                k += 1;
            }
            if k < 2 {
                continue;
            }
            let first = ws[i].text.to_lowercase();
            // "… und noch einer Hölle und noch einer Hölle": a repeated block that
            // starts with a conjunction is rhetoric, not a machine's stutter.
            let rhetorical = n >= 2
                && matches!(
                    first.as_str(),
                    "und" | "and" | "et" | "oder" | "or" | "ou" | "y" | "e"
                );
            let ok =
                !rhetorical && (n >= 2 || k >= 3 || never_doubled(lang).contains(&first.as_str()));
            if ok && !first.chars().all(|c| c.is_numeric()) {
                hit = Some((n, k));
                break;
            }
        }
        match hit {
            Some((n, k)) => {
                let start = ws[i].start;
                let end = ws[i + k * n - 1].end;
                let keep = text[start..ws[i + n - 1].end].to_string();
                let conf = if n >= 2 || k >= 3 { 0.9 } else { 0.85 };
                out.push(finding(
                    text,
                    Kind::RepeatedPhrase,
                    start,
                    end,
                    conf,
                    Some(keep),
                ));
                i += k * n;
            }
            None => i += 1,
        }
    }
}
