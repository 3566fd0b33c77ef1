//! Spans left in another language: runs of words that the text's language
//! does not know and another language does. Quoted spans and Title Case runs
//! (film and book titles, names) are left alone.

use crate::lexicon::Lexicons;
use courant_text::{paragraphs, sentences};

use crate::text::Word;
use crate::{finding, Finding, Kind};

/// Words in a row before a run counts.
const MIN_RUN: usize = 3;

/// Sentences the detector fallback looks at, at most (bounded cost per article).
const MAX_DETECTED_SENTENCES: usize = 8;

pub(crate) fn detect(
    text: &str,
    ws: &[Word<'_>],
    lang: &str,
    lex: &Lexicons,
    out: &mut Vec<Finding>,
) {
    if let Some(own) = lex.get(lang) {
        by_lexicon(text, ws, own, lex, lang, out);
    } else if !lang.is_empty() {
        by_detector(text, lang, out);
    }
}

fn by_lexicon(
    text: &str,
    ws: &[Word<'_>],
    own: &crate::Lexicon,
    lex: &Lexicons,
    lang: &str,
    out: &mut Vec<Finding>,
) {
    let quoted = quoted_ranges(text);
    // Capitalized words (names, titles, sentence starts) never count as foreign:
    // running text in another language is mostly lower case.
    let foreign = |w: &str| -> bool {
        w.chars().next().is_some_and(char::is_lowercase)
            && w.len() >= 2
            && w.chars().all(char::is_alphabetic)
            && !own.has_exact(w)
            && lex.others(lang).any(|o| o.has_exact(w))
    };
    let mut i = 0;
    while i < ws.len() {
        if !foreign(ws[i].text) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < ws.len()
            && foreign(ws[j + 1].text)
            && text[ws[j].end..ws[j + 1].start].chars().all(|c| c == ' ')
        {
            j += 1;
        }
        let run = &ws[i..=j];
        let capitalized = run
            .iter()
            .filter(|w| w.text.chars().next().is_some_and(char::is_uppercase))
            .count();
        let in_quotes = quoted
            .iter()
            .any(|&(s, e)| run[0].start >= s && run[run.len() - 1].end <= e);
        // Names and titles are capitalized; running text is not.
        let prose = (capitalized == 0 && run.len() >= MIN_RUN)
            || (run.len() >= 5 && capitalized * 3 < run.len());
        if prose && !in_quotes {
            out.push(finding(
                text,
                Kind::Untranslated,
                run[0].start,
                run[run.len() - 1].end,
                0.7,
                None,
            ));
        }
        i = j + 1;
    }
}

/// Without word lists: whole sentences that a confident detector puts in another language.
fn by_detector(text: &str, lang: &str, out: &mut Vec<Finding>) {
    let mut looked = 0;
    for (off, par) in paragraphs(text) {
        for (s, e) in sentences(par) {
            let sent = &par[s..e];
            if sent.split_whitespace().count() < 10 {
                continue;
            }
            looked += 1;
            if looked > MAX_DETECTED_SENTENCES {
                return;
            }
            if let Some(d) = courant_lang::decide(sent, Some(lang)) {
                if d.lang != lang && d.method == "detected" {
                    out.push(finding(
                        text,
                        Kind::Untranslated,
                        off + s,
                        off + e,
                        0.6,
                        None,
                    ));
                }
            }
        }
    }
}

/// Byte ranges inside quotation marks.
fn quoted_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for (i, c) in text.char_indices() {
        match c {
            '„' | '“' | '«' | '"' | '»' if open.is_none() => open = Some(i),
            '“' | '”' | '»' | '«' | '"' => {
                if let Some(s) = open.take() {
                    out.push((s, i));
                }
            }
            '\n' => open = None,
            _ => {}
        }
    }
    out
}
