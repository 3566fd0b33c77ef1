//! Characters XML 1.0 cannot hold (C0 controls but tab, newline and carriage
//! return; U+FFFE and U+FFFF). One of them in a title makes a whole Atom feed
//! invalid, so they are dropped at ingest and again at every XML writer.

/// Whether XML 1.0 can hold `c` at all.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `s` without the characters XML cannot hold.
pub fn xml_text(s: &str) -> String {
    let mut out = s.to_string();
    retain_xml(&mut out);
    out
}

/// Drops, in place, the characters XML cannot hold (no copy of an owned
/// text, and nothing written when there are none).
pub fn retain_xml(s: &mut String) {
    if !s.chars().all(is_xml_char) {
        s.retain(is_xml_char);
    }
}

/// Text made safe in XML content and attribute values: escaped as
/// [`crate::escape_html`] escapes it, without the characters XML cannot hold.
pub fn escape_xml(s: &str) -> String {
    crate::escape_html(&xml_text(s))
}
