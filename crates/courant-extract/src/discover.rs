//! A site's feeds, as its pages announce them: `<link rel="alternate">` of
//! the RSS, Atom and JSON Feed types, in page order; then the paths where
//! feeds usually live, for a site that announces none. Pure: the caller
//! fetches and checks each candidate.

use crate::dom;

/// A feed a page links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLink {
    /// Absolute URL.
    pub url: String,
    /// The link's `title`, when it has one.
    pub title: Option<String>,
    /// The declared type: `rss`, `atom`, `json` or `rdf`.
    pub kind: &'static str,
}

/// Feed types a `<link rel=alternate>` may declare.
const TYPES: [(&str, &str); 5] = [
    ("application/rss+xml", "rss"),
    ("application/atom+xml", "atom"),
    ("application/feed+json", "json"),
    ("application/json", "json"),
    ("application/rdf+xml", "rdf"),
];

/// The feeds `html` links to, resolved against `base`, without repeats.
pub fn feed_links(html: &str, base: &str) -> Vec<FeedLink> {
    let html = &html[..html.floor_char_boundary(crate::MAX_HTML_BYTES)];
    let doc = dom_query::Document::from(html);
    let mut out: Vec<FeedLink> = Vec::new();
    for n in dom::elements(&doc.root()) {
        if !(n.has_name("link") || n.has_name("a")) {
            continue;
        }
        let alternate = dom::attr_is(&n, "rel", |r| {
            r.split_ascii_whitespace()
                .any(|t| t.eq_ignore_ascii_case("alternate"))
        });
        let kind = n.attr("type").and_then(|t| {
            let t = t.trim().to_ascii_lowercase();
            let t = t.split(';').next().unwrap_or("").trim().to_string();
            TYPES.iter().find(|(m, _)| *m == t).map(|(_, k)| *k)
        });
        let (true, Some(kind)) = (alternate, kind) else {
            continue;
        };
        let Some(url) = n
            .attr("href")
            .and_then(|h| dom::absolute(&h, Some(base)))
            .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        else {
            continue;
        };
        if out.iter().any(|l| l.url == url) {
            continue;
        }
        let title = n
            .attr("title")
            .map(|t| courant_text::squash(&t))
            .filter(|t| !t.is_empty());
        out.push(FeedLink { url, title, kind });
    }
    out
}

/// Paths where sites usually keep their feeds and news sitemaps, on
/// `base`'s origin, most common first.
pub fn usual_feed_urls(base: &str) -> Vec<String> {
    const PATHS: [&str; 10] = [
        "/feed",
        "/rss",
        "/feed.xml",
        "/rss.xml",
        "/atom.xml",
        "/index.xml",
        "/feed.json",
        "/news-sitemap.xml",
        "/sitemap_news.xml",
        "/sitemap-news.xml",
    ];
    let Ok(u) = url::Url::parse(base) else {
        return Vec::new();
    };
    let origin = u.origin().ascii_serialization();
    PATHS.iter().map(|p| format!("{origin}{p}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternate_links_in_page_order() {
        let html = r#"<html><head>
            <link rel="stylesheet" href="/style.css">
            <link rel="alternate" type="application/rss+xml" title="News  (RSS)" href="/rss.xml">
            <link rel="alternate" type="application/atom+xml" href="https://example.org/atom">
            <link rel="alternate" type="application/rss+xml" href="/rss.xml">
            <link rel="alternate" hreflang="de" href="/de/">
            <link rel="alternate" type="application/feed+json; charset=utf-8" href="feed.json">
            <link rel="Alternate Home" type="APPLICATION/RDF+XML" href="/index.rdf">
            <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
            </head><body><a rel="alternate" type="application/rss+xml" href="/section/rss">Section</a></body></html>"#;
        let links = feed_links(html, "https://example.org/news/");
        let got: Vec<(&str, &str, Option<&str>)> = links
            .iter()
            .map(|l| (l.url.as_str(), l.kind, l.title.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("https://example.org/rss.xml", "rss", Some("News (RSS)")),
                ("https://example.org/atom", "atom", None),
                ("https://example.org/news/feed.json", "json", None),
                ("https://example.org/index.rdf", "rdf", None),
                ("https://example.org/section/rss", "rss", None),
            ]
        );
        assert!(feed_links("<p>no feeds</p>", "https://example.org/").is_empty());
    }

    #[test]
    fn usual_paths_are_on_the_origin() {
        let urls = usual_feed_urls("https://example.org/some/page?x=1");
        assert_eq!(urls[0], "https://example.org/feed");
        assert!(urls.iter().all(|u| u.starts_with("https://example.org/")));
        assert!(usual_feed_urls("not a url").is_empty());
    }
}
