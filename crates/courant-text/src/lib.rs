//! Text primitives every stage shares, so each has one definition: HTML
//! escaping and entity decoding, whitespace, paragraphs and sentences, the
//! plausible range of a news date, the characters XML cannot hold, and the
//! phrase lists that mark page furniture (labels, disclaimers, captions and
//! credits).
//!
//! A leaf: it depends on no other courant crate, so the extractor and the text
//! checker can share a phrase list without one importing the other.
#![warn(missing_docs)]

mod entities;
mod escape;
pub mod furniture;
mod sentences;
mod xml;

#[cfg(test)]
mod tests;

pub use entities::{decode_entities, strip_tags};
pub use escape::{escape_html, escape_text};
pub use furniture::is_furniture;
pub use sentences::{paragraphs, sentences};
pub use xml::{escape_xml, is_xml_char, retain_xml, xml_text};

/// Years a news date can fall in: earlier is before the web, later a typo or a
/// placeholder. Feeds and pages use it alike.
pub const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

/// Longest title shown, in characters: a headline is under 200; more is a
/// broken or hostile feed, and it would be served on every list and feed.
pub const MAX_TITLE_CHARS: usize = 1_000;
/// Longest author field, in characters.
pub const MAX_AUTHOR_CHARS: usize = 200;
/// Most authors kept per item.
pub const MAX_AUTHORS: usize = 20;
/// Longest feed summary, in characters: some feeds carry the whole article
/// there (a long one is 60,000), so the bound only stops a hostile one.
pub const MAX_SUMMARY_CHARS: usize = 100_000;
/// Longest feed content, in characters: the extractor's page bound (3 MiB).
pub const MAX_CONTENT_CHARS: usize = 3 * 1024 * 1024;

/// Cuts `s` to at most `max` characters, ending in "…" when cut.
pub fn clip(s: &mut String, max: usize) {
    if s.chars().nth(max).is_none() {
        return;
    }
    if max == 0 {
        s.clear();
        return;
    }
    let keep = s.char_indices().nth(max - 1).map_or(0, |(i, _)| i);
    s.truncate(keep);
    s.truncate(s.trim_end().len());
    s.push('…');
}

/// Runs of whitespace (newlines too) as one space, ends trimmed.
pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
