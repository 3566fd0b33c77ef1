//! The segmenter and masks on fixtures, every backend against a small server
//! that follows its documented formats, and the shared layer's faults.

mod backends;
mod faults;

use crate::protect::{mask, Terms};
use crate::segment::Segmented;
use crate::{batches, Limits};

#[derive(serde::Deserialize)]
struct SegCase {
    name: String,
    html: String,
    segments: Vec<String>,
}

/// Text outside tags in upper case: a stand-in translation that keeps markup.
pub(crate) fn shout(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    let mut in_entity = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            '&' if !in_tag => in_entity = true,
            ';' => in_entity = false,
            _ => {}
        }
        if in_tag || in_entity || c == '⟦' || c == '⟧' {
            out.push(c);
        } else {
            out.extend(c.to_uppercase());
        }
    }
    out
}

#[test]
fn segments_follow_the_fixtures_and_fill_back() {
    let cases: Vec<SegCase> =
        serde_json::from_str(include_str!("../testdata/segments.json")).expect("fixture");
    for c in cases {
        let doc = Segmented::new(&c.html);
        assert_eq!(doc.segments, c.segments, "{}", c.name);
        // The same segments give the same document, byte for byte.
        assert_eq!(
            doc.fill(&doc.segments).as_deref(),
            Some(c.html.as_str()),
            "{}",
            c.name
        );
        // Translated segments land in the same skeleton: every tag survives.
        let shouted: Vec<String> = doc.segments.iter().map(|s| shout(s)).collect();
        let filled = doc.fill(&shouted).expect("same count");
        let tags = |h: &str| {
            h.split('<')
                .skip(1)
                .map(|t| t.split('>').next().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(tags(&filled), tags(&c.html), "{}", c.name);
        // A lost segment is never papered over.
        if !shouted.is_empty() {
            assert_eq!(doc.fill(&shouted[1..]), None, "{}", c.name);
        }
    }
}

#[test]
fn masks_hide_code_urls_names_and_glossary_terms() {
    let terms = Terms::new(
        &["Kristersson".to_string(), "Ulf Kristersson".to_string()],
        &[("White House".to_string(), "Casa Blanca".to_string())],
    );
    let m = mask(
        "Ulf Kristersson met the White House press: see https://x.org/a?b=1. Run <code>ls -l</code> now.",
        &terms,
    );
    assert_eq!(m.text, "⟦0⟧ met the ⟦1⟧ press: see ⟦2⟧. Run ⟦3⟧ now.");
    let back = m.unmask("⟦0⟧ se reunió con la prensa de la ⟦1⟧: ver ⟦2⟧. Ejecuta ⟦ 3 ⟧ ahora.");
    assert_eq!(
        back.as_deref(),
        Ok("Ulf Kristersson se reunió con la prensa de la Casa Blanca: ver https://x.org/a?b=1. Ejecuta <code>ls -l</code> ahora.")
    );
    // A placeholder the engine dropped or invented is an error, not a silent loss.
    assert!(m.unmask("⟦0⟧ ⟦1⟧ ⟦2⟧").is_err());
    assert!(m.unmask("⟦0⟧ ⟦1⟧ ⟦2⟧ ⟦3⟧ ⟦9⟧").is_err());
    // Terms match whole words only, and never inside tags.
    let m = mask("<a title=\"Kristersson\">Kristerssonian</a>", &terms);
    assert_eq!(m.text, "<a title=\"Kristersson\">Kristerssonian</a>");
}

#[test]
fn batches_respect_characters_and_items() {
    let texts: Vec<String> = ["aaaa", "bb", "cccccc", "d", "e"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let l = Limits {
        max_chars: 6,
        max_items: 2,
    };
    assert_eq!(batches(&texts, l), vec![0..2, 2..3, 3..5]);
    // A segment over the limit goes alone rather than not at all.
    let l = Limits {
        max_chars: 3,
        max_items: 10,
    };
    assert_eq!(batches(&texts, l), vec![0..1, 1..2, 2..3, 3..5]);
    assert!(batches(&[], l).is_empty());
}

#[test]
fn plain_text_is_one_paragraph_per_segment() {
    let html = "<h2>Floods</h2><p>Rain hit <a href=\"/x\">Milan</a> &amp; Turin.<br>Ten dead.</p><ul><li>Roads closed</li></ul>";
    assert_eq!(
        crate::segment::plain_text(html),
        "Floods\n\nRain hit Milan & Turin. Ten dead.\n\nRoads closed"
    );
}
