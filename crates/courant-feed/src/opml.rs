//! OPML subscription lists, as exported by every feed reader.

use crate::Error;

/// One subscription from an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlOutline {
    /// The feed URL (`xmlUrl`).
    pub feed_url: String,
    /// `title`, else `text`.
    pub title: Option<String>,
    /// `htmlUrl`.
    pub site_url: Option<String>,
    /// `language`, when the exporter wrote one.
    pub lang: Option<String>,
}

/// Reads every outline with an `xmlUrl`, at any nesting depth (folders are flattened).
pub fn parse_opml(text: &str) -> Result<Vec<OpmlOutline>, Error> {
    let doc =
        roxmltree::Document::parse(text).map_err(|e| Error::Malformed(format!("opml: {e}")))?;
    if doc.root_element().tag_name().name() != "opml" {
        return Err(Error::Malformed("opml: root element is not <opml>".into()));
    }
    let mut out = Vec::new();
    for n in doc
        .descendants()
        .filter(|n| n.tag_name().name() == "outline")
    {
        let Some(url) = n
            .attribute("xmlUrl")
            .map(str::trim)
            .filter(|u| !u.is_empty())
        else {
            continue;
        };
        let title = n
            .attribute("title")
            .or_else(|| n.attribute("text"))
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        out.push(OpmlOutline {
            feed_url: url.to_string(),
            title,
            site_url: n.attribute("htmlUrl").map(str::to_string),
            lang: n.attribute("language").and_then(crate::normalize_lang),
        });
    }
    Ok(out)
}
