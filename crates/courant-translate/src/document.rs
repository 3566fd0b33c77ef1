//! An article translated as a document: its title and the segments of its
//! sanitized HTML go out in one request list (so they share batches and the
//! memory), with protected spans masked, and come back into the same skeleton.

use courant_text::{escape_text, strip_tags};

impl Document {
    /// The title as plain text: sanitized first (so a script's text goes
    /// with the script), then stripped of tags.
    pub fn title(&self, sanitize: impl Fn(&str) -> String) -> String {
        strip_tags(&sanitize(&self.title_html))
    }
}

use crate::protect::{mask, Masked, Terms};
use crate::segment::Segmented;
use crate::{Engine, Error, Translated};

/// A translated article, before the gate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// Title as the engine returned it (inline HTML, not sanitized): a
    /// caller shows [`Document::title`].
    pub title_html: String,
    /// Body, HTML in the original's skeleton (not yet sanitized again).
    pub html: String,
    /// Segments whose protected spans the engine lost: the gate holds such a translation back.
    pub problems: Vec<String>,
    /// What it cost.
    pub cost: Translated,
}

/// Translates a title and a sanitized HTML body.
pub async fn translate(
    engine: &Engine,
    from: &str,
    to: &str,
    title: &str,
    html: &str,
    terms: &Terms,
) -> Result<Document, Error> {
    let doc = Segmented::new(html);
    let mut masked: Vec<Masked> = vec![mask(&escape_text(title.trim()), terms)];
    masked.extend(doc.segments.iter().map(|s| mask(s, terms)));
    let texts: Vec<String> = masked.iter().map(|m| m.text.clone()).collect();
    let cost = engine.translate(from, to, &texts).await?;
    let mut problems = Vec::new();
    let mut back: Vec<String> = masked
        .iter()
        .zip(&cost.texts)
        .map(|(m, t)| {
            m.unmask(t).unwrap_or_else(|e| {
                problems.push(e);
                t.clone()
            })
        })
        .collect();
    let title_html = back.remove(0);
    let html = doc.fill(&back).ok_or_else(|| Error::Partial {
        provider: engine.name().to_string(),
        sent: doc.segments.len(),
        got: back.len(),
    })?;
    Ok(Document {
        title_html,
        html,
        problems,
        cost,
    })
}
