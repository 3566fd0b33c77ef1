//! Finds, and where safe repairs, what machine translation and scraping leave
//! in article text: glued words, missing and stray spaces, unbalanced quotes,
//! repeated phrases, page furniture, captions and credits, untranslated spans.
//!
//! Pure: text in, findings out; [`repair`] applies the safe ones. The original
//! is never changed in place; callers keep it beside the cleaned text.
//!
//! Design decision: rules over the structure of text (punctuation, case,
//! quote pairing, repetition) work in any language; only glued words and
//! untranslated spans need to know the words of a language, and they get that
//! from [`Lexicons`] (Debian word lists). Without a lexicon those two detectors
//! step back rather than guess.
//!
//! # Why word lists and hunspell stems
//!
//! Considered: corpus statistics (courant's own ingest; empty on a new install
//! and blind to errors that repeat across syndicated copies), a hunspell engine
//! crate (checks spelling, but hunspell accepts any capitalized form, so it
//! cannot tell a noun from a verb), plain word lists. Chosen: the full-form
//! lists of `wngerman`/`wamerican`/`wbritish`/`wfrench` (which word exists) and
//! the case-preserving stems of `hunspell-de-de`/`-en-us`/`-fr` read directly
//! (is this German word a noun), both held as `fst` sets. German compounds are
//! kept because a compound's head is a noun; a glue shows as a head that is no
//! noun ("Bundestag|beschloss") or a function word ("Verhandlungen|der"). In
//! English and French only a function word as the second half counts, because
//! unknown words there are mostly rare words and names. Without the lists the
//! two detectors that need them (glued words, untranslated spans) step back;
//! the structural ones still run. Measured in BENCHMARKS.md.
#![warn(missing_docs)]

mod furniture;
mod glue;
pub mod lexicon;
mod quotes;
mod repeat;
mod spacing;
mod text;
pub mod translation;
mod untranslated;

#[cfg(test)]
mod tests;

use serde::Serialize;

pub use lexicon::{Lexicon, Lexicons};
pub use translation::{
    check_translation, check_translation_with_findings, names, TranslationCheck, TranslationFlag,
};

/// What kind of defect a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A lost space between two words ("Verhandlungender").
    GluedWords,
    /// No space after sentence punctuation or a closing quote.
    MissingSpace,
    /// A quotation mark without its partner, or closed by the wrong one.
    UnbalancedQuotes,
    /// The same words twice or more in a row.
    RepeatedPhrase,
    /// Page furniture or a disclaimer left in the body.
    Boilerplate,
    /// A photo caption or credit inside the body.
    CaptionCredit,
    /// A span left in another language.
    Untranslated,
    /// A space where none belongs ("Gipfel -Treffen").
    StraySpace,
}

impl Kind {
    /// Every kind, in a stable order.
    pub const ALL: [Kind; 8] = [
        Kind::GluedWords,
        Kind::MissingSpace,
        Kind::UnbalancedQuotes,
        Kind::RepeatedPhrase,
        Kind::Boilerplate,
        Kind::CaptionCredit,
        Kind::Untranslated,
        Kind::StraySpace,
    ];

    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::GluedWords => "glued_words",
            Kind::MissingSpace => "missing_space",
            Kind::UnbalancedQuotes => "unbalanced_quotes",
            Kind::RepeatedPhrase => "repeated_phrase",
            Kind::Boilerplate => "boilerplate",
            Kind::CaptionCredit => "caption_credit",
            Kind::Untranslated => "untranslated",
            Kind::StraySpace => "stray_space",
        }
    }
}

/// One defect found in a text.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Finding {
    /// What it is.
    pub kind: Kind,
    /// Byte offset where the span starts.
    pub start: usize,
    /// Byte offset where the span ends (exclusive).
    pub end: usize,
    /// The span as it stands in the text.
    pub span: String,
    /// 0..1: how sure the detector is.
    pub confidence: f32,
    /// The replacement for the span when one is safe; `""` deletes it.
    pub repair: Option<String>,
}

/// Repairs at or above this confidence are applied by [`clean`].
pub const REPAIR_THRESHOLD: f32 = 0.7;

/// Texts longer than this are checked in their first part only (bounded time).
pub const MAX_CHECK_BYTES: usize = 512 * 1024;

/// Finds defects in `text`. `lang` is the text's language (ISO 639-1), if known.
pub fn check(text: &str, lang: Option<&str>, lex: &Lexicons) -> Vec<Finding> {
    let text = &text[..text.floor_char_boundary(MAX_CHECK_BYTES)];
    let lang = lang.unwrap_or("");
    let mut out = Vec::new();
    let words = text::words(text);
    furniture::detect(text, lang, &mut out);
    glue::detect(text, &words, lang, lex.get(lang), &mut out);
    spacing::detect(text, lang, lex.get(lang), &mut out);
    quotes::detect(text, lang, &mut out);
    repeat::detect(text, &words, lang, &mut out);
    untranslated::detect(text, &words, lang, lex, &mut out);
    // Whatever lies inside a paragraph that is deleted as furniture or a caption is moot.
    let removed: Vec<(usize, usize)> = out
        .iter()
        .filter(|f| matches!(f.kind, Kind::Boilerplate | Kind::CaptionCredit))
        .map(|f| (f.start, f.end))
        .collect();
    out.retain(|f| {
        matches!(f.kind, Kind::Boilerplate | Kind::CaptionCredit)
            || !removed.iter().any(|&(s, e)| f.start >= s && f.end <= e)
    });
    out.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    out.dedup_by(|b, a| a.kind == b.kind && a.start == b.start && a.end == b.end);
    out
}

/// Applies the findings' repairs at or above `threshold`, skipping any that
/// overlap one already applied (wider spans first, so a deleted caption wins
/// over a missing space inside it).
pub fn repair(text: &str, findings: &[Finding], threshold: f32) -> String {
    let mut chosen: Vec<&Finding> = Vec::new();
    let mut candidates: Vec<&Finding> = findings
        .iter()
        .filter(|f| {
            f.repair.is_some()
                && f.confidence >= threshold
                && f.end <= text.len()
                && f.start <= f.end
        })
        .collect();
    candidates.sort_by(|a, b| {
        (b.end - b.start)
            .cmp(&(a.end - a.start))
            .then(a.start.cmp(&b.start))
    });
    for f in candidates {
        if chosen.iter().all(|c| f.end <= c.start || f.start >= c.end) {
            chosen.push(f);
        }
    }
    chosen.sort_by_key(|f| f.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in chosen {
        out.push_str(&text[at..f.start]);
        out.push_str(f.repair.as_deref().unwrap_or_default());
        at = f.end;
    }
    out.push_str(&text[at..]);
    text::tidy(&out)
}

/// Checks and repairs in one go: (cleaned text, findings).
pub fn clean(text: &str, lang: Option<&str>, lex: &Lexicons) -> (String, Vec<Finding>) {
    let findings = check(text, lang, lex);
    (repair(text, &findings, REPAIR_THRESHOLD), findings)
}

pub(crate) fn finding(
    text: &str,
    kind: Kind,
    start: usize,
    end: usize,
    confidence: f32,
    repair: Option<String>,
) -> Finding {
    Finding {
        kind,
        start,
        end,
        span: text[start..end].to_string(),
        confidence,
        repair,
    }
}
