//! The gate every translation passes before readers see it: the translation
//! checks (numbers, names, length, repetition, untranslated spans), the
//! language of the result, the spans the engine had to keep, and the text
//! checker; with what comes before it (the terms to keep) and after it
//! (sanitizing, the safe repairs). Pure: no I/O, no clock.

use courant_clean::Lexicons;
use courant_extract::sanitize;
use courant_model::TextFinding;
use courant_translate::document::Document;
use courant_translate::protect::Terms;
use courant_translate::segment::plain_text;

use crate::assemble::{applied, text_finding};

/// Checker findings at least this sure, with no safe repair, hold a translation back.
const HOLD_CONFIDENCE: f32 = 0.9;

/// What a translator must keep: the names the source's word list does not
/// know, the operator's `keep` list, and the edition's glossary.
pub fn terms(
    source: &str,
    from: &str,
    keep: &[String],
    glossary: &std::collections::BTreeMap<String, String>,
    lex: &Lexicons,
) -> Terms {
    let mut names = courant_clean::names(source, from, lex);
    names.extend(keep.iter().cloned());
    let glossary: Vec<(String, String)> = glossary
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Terms::new(&names, &glossary)
}

/// A translation made ready for readers, and the gate's verdict on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// Title, sanitized plain text, with the safe repairs.
    pub title: String,
    /// Body, sanitized, with the safe repairs.
    pub html: String,
    /// Body as plain text, with the safe repairs.
    pub text: String,
    /// Body as plain text, as the engine gave it.
    pub engine_text: String,
    /// The gate's verdict.
    pub verdict: Verdict,
}

/// Sanitizes what the engine returned, judges it, and applies the safe
/// repairs apart from the engine's text. Relative links resolve against `base`.
pub fn finish(
    doc: &Document,
    source_title: &str,
    source_text: &str,
    from: &str,
    to: &str,
    base: Option<&str>,
    lex: &Lexicons,
) -> Finished {
    let engine_html = sanitize::html(&doc.html, base);
    // The sanitizer's output is well-formed: a scan reads its text.
    let engine_text = plain_text(&engine_html);
    let title = doc.title(|h| sanitize::html(h, None));
    let title = courant_clean::clean(&title, Some(to), lex).0;
    let verdict = judge(
        Candidate {
            source_title,
            source_text,
            from,
            title: &title,
            text: &engine_text,
            to,
            problems: &doc.problems,
        },
        lex,
    );
    // Most translations need no repair, and skip the second sanitizing pass.
    let spans: Vec<&str> = verdict
        .findings
        .iter()
        .filter(|f| f.applied)
        .map(|f| f.span.as_str())
        .collect();
    let (html, text) = if spans.is_empty() {
        (engine_html, engine_text.clone())
    } else {
        let html = sanitize::html(&repair_html(&engine_html, to, &spans, lex), base);
        let text = plain_text(&html);
        (html, text)
    };
    Finished {
        title,
        html,
        text,
        engine_text,
        verdict,
    }
}

/// Shortest text whose language the gate judges on its own.
const MIN_DETECT_CHARS: usize = 300;

/// What the gate decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Why it is held back; empty: publish.
    pub reasons: Vec<String>,
    /// Defects the checker found in the engine's text.
    pub findings: Vec<TextFinding>,
}

/// One translation to judge: the original and the engine's result, plain text.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// Original title.
    pub source_title: &'a str,
    /// Original body.
    pub source_text: &'a str,
    /// Original language.
    pub from: &'a str,
    /// Translated title.
    pub title: &'a str,
    /// Translated body, as the engine gave it.
    pub text: &'a str,
    /// Target language.
    pub to: &'a str,
    /// Protected spans the engine lost.
    pub problems: &'a [String],
}

/// Judges a translation.
pub fn judge(c: Candidate<'_>, lex: &Lexicons) -> Verdict {
    let mut reasons: Vec<String> = c
        .problems
        .iter()
        .map(|p| format!("protected_span: {p}"))
        .collect();
    let lost = |source: &str, target: &str| !source.trim().is_empty() && target.trim().is_empty();
    if lost(c.source_title, c.title) || lost(c.source_text, c.text) {
        reasons.push("empty: the engine returned no text".into());
    }
    let source = format!("{}\n\n{}", c.source_title, c.source_text);
    let target = format!("{}\n\n{}", c.title, c.text);
    let check = courant_clean::check_translation_with_findings(&source, c.from, &target, c.to, lex);
    let found = check.findings;
    for f in check.flags {
        reasons.push(format!("{}: {}", f.flag, f.detail));
    }
    // The checker ran over title and body; the body's findings, with offsets into the body.
    let skip = target.len() - c.text.len();
    let found: Vec<courant_clean::Finding> = found
        .into_iter()
        .filter(|f| f.start >= skip)
        .map(|mut f| {
            f.start -= skip;
            f.end -= skip;
            f
        })
        .collect();
    // Close languages (es/ca, pt/gl) are told apart only on longer texts.
    let long = c.text.chars().count() >= MIN_DETECT_CHARS;
    if let Some(d) = check.detected.filter(|d| long && d.confidence > 0.5) {
        if d.lang != c.to && d.lang != c.from {
            reasons.push(format!(
                "wrong_language: the text reads as {:?}, not {:?}",
                d.lang, c.to
            ));
        }
    }
    for f in &found {
        if !applied(f)
            && f.confidence >= HOLD_CONFIDENCE
            && f.kind != courant_clean::Kind::RepeatedPhrase
        {
            reasons.push(format!("{}: {:?}", f.kind.as_str(), f.span));
        }
    }
    let findings = found.iter().map(text_finding).collect();
    reasons.dedup();
    Verdict { reasons, findings }
}

/// The checker's safe repairs applied to the text runs of an HTML fragment
/// that hold a span the checker flagged in the whole text (`spans`), so the
/// markup survives them and the other runs are not checked twice.
pub fn repair_html(html: &str, lang: &str, spans: &[&str], lex: &Lexicons) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while !rest.is_empty() {
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        let end = rest.find('<').unwrap_or(rest.len());
        let run = courant_text::decode_entities(&rest[..end]);
        if !spans.iter().any(|s| run.contains(s.trim())) {
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        let (fixed, _) = courant_clean::clean(&run, Some(lang), lex);
        // Keep the run's own edges: the repairs trim a text, not a run inside a paragraph.
        let lead = &run[..run.len() - run.trim_start().len()];
        let tail = &run[run.trim_end().len()..];
        let fixed = if fixed.trim().is_empty() {
            run.clone()
        } else {
            format!("{lead}{}{tail}", fixed.trim())
        };
        out.push_str(&courant_text::escape_text(&fixed));
        rest = &rest[end..];
    }
    out
}
