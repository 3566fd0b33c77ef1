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

/// Runs of whitespace (newlines too) as one space, ends trimmed.
pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
