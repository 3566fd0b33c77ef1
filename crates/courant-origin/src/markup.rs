//! Tiny helpers to write XML and HTML by hand: this crate produces test input,
//! so it avoids the rendering stack it is used to test.

pub use courant_text::{escape_html as esc, strip_tags};

/// Shortens a sentence to at most `max` characters at a word boundary.
pub fn headline(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out = String::new();
    for word in text.split_whitespace() {
        if out.chars().count() + word.chars().count() + 1 > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        out = text.chars().take(max).collect();
    }
    out.push('…');
    out
}
