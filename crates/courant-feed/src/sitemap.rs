//! sitemaps.org `urlset` documents, including Google News sitemap tags.

use chrono::{DateTime, NaiveDate, Utc};
use courant_model::FeedEntry;

use crate::{normalize_lang, plain_title, resolve, Error, FeedKind, ParsedFeed};

const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

pub(crate) fn looks_like_sitemap(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(2048)];
    let head = String::from_utf8_lossy(head);
    head.contains("<urlset") || head.contains("<sitemapindex")
}

/// Parses a sitemap `urlset`. A `sitemapindex` yields its child sitemaps as
/// entries without titles, with a warning, so the caller can follow them.
pub fn parse_sitemap(bytes: &[u8], base_url: Option<&str>) -> Result<ParsedFeed, Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Malformed(format!("sitemap: {e}")))?;
    let doc =
        roxmltree::Document::parse(text).map_err(|e| Error::Malformed(format!("sitemap: {e}")))?;
    let root = doc.root_element();
    let mut feed = ParsedFeed {
        kind: FeedKind::Sitemap,
        ..ParsedFeed::default()
    };
    let is_index = root.tag_name().name() == "sitemapindex";
    if !is_index && root.tag_name().name() != "urlset" {
        return Err(Error::Malformed(format!(
            "sitemap: unexpected root <{}>",
            root.tag_name().name()
        )));
    }
    for node in root.children().filter(|n| n.is_element()) {
        let Some(loc) = child_text(node, "loc", None) else {
            feed.warnings
                .push("sitemap: <url> without <loc> skipped".into());
            continue;
        };
        let url = resolve(base_url, loc.trim());
        let news = node
            .children()
            .find(|n| n.tag_name().name() == "news" && n.tag_name().namespace() == Some(NEWS_NS));
        let title = news
            .and_then(|n| child_text(n, "title", Some(NEWS_NS)))
            .map(|t| plain_title(&t))
            .unwrap_or_default();
        let published = news
            .and_then(|n| child_text(n, "publication_date", Some(NEWS_NS)))
            .or_else(|| child_text(node, "lastmod", None))
            .and_then(|d| parse_w3c_date(&d));
        let lang = news
            .and_then(|n| n.descendants().find(|d| d.tag_name().name() == "language"))
            .and_then(|l| l.text())
            .and_then(normalize_lang);
        feed.entries.push(FeedEntry {
            guid: url.clone(),
            url: Some(url),
            title,
            published,
            lang,
            ..FeedEntry::default()
        });
    }
    if is_index {
        feed.warnings
            .push("sitemap index: entries are child sitemaps, not articles".into());
    }
    Ok(feed)
}

fn child_text(node: roxmltree::Node<'_, '_>, name: &str, ns: Option<&str>) -> Option<String> {
    node.children()
        .find(|n| n.tag_name().name() == name && (ns.is_none() || n.tag_name().namespace() == ns))
        .and_then(|n| n.text())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// W3C datetime as used by sitemaps: a full RFC 3339 stamp or a bare date.
fn parse_w3c_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}
