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

/// Links on a section page that lead to articles of the same site: for a
/// site with no feed at all. A link counts when it stays on the page's host,
/// is not in the page's navigation, header, footer or aside, reads like a
/// headline (four words or more), and its path looks like an article's (a
/// slug with hyphens, digits, or three segments or more). In page order,
/// without repeats, at most 200.
pub fn article_links(html: &str, base: &str) -> Vec<(String, String)> {
    let Ok(base_url) = url::Url::parse(base) else {
        return Vec::new();
    };
    let html = &html[..html.floor_char_boundary(crate::MAX_HTML_BYTES)];
    let doc = dom_query::Document::from(html);
    let mut out: Vec<(String, String)> = Vec::new();
    for n in dom::elements(&doc.root()) {
        if !n.has_name("a") || out.len() >= 200 {
            continue;
        }
        let in_furniture = n.ancestors_it(Some(64)).any(|a| {
            ["nav", "header", "footer", "aside"]
                .iter()
                .any(|t| a.has_name(t))
        });
        if in_furniture {
            continue;
        }
        let Some(url) = n
            .attr("href")
            .and_then(|h| dom::absolute(&h, Some(base)))
            .and_then(|u| url::Url::parse(&u).ok())
        else {
            continue;
        };
        if url.host_str() != base_url.host_str() || !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        let path = url.path();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let last = segments.last().copied().unwrap_or("");
        let article_like = segments.len() >= 3
            || last.matches('-').count() >= 2
            || last.bytes().filter(u8::is_ascii_digit).count() >= 4;
        let title = courant_text::squash(&n.text());
        if !article_like || title.split_whitespace().count() < 4 {
            continue;
        }
        let mut url = url;
        url.set_fragment(None);
        let url = url.to_string();
        if out.iter().any(|(u, _)| *u == url) || url == base {
            continue;
        }
        out.push((url, title));
    }
    out
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
    fn section_pages_give_their_article_links() {
        let html = r#"<html><body>
            <nav><a href="/2024/05/01/menu-link-that-is-long-enough">Menu link that is long enough</a></nav>
            <header><a href="/world">World</a></header>
            <main>
              <h2><a href="/2024/05/01/floods-close-bridge">Floods close the old bridge overnight</a></h2>
              <h2><a href="/news/mayor-orders-repairs-now#top">Mayor orders repairs to the bridge</a></h2>
              <a href="/news/mayor-orders-repairs-now">Mayor orders repairs to the bridge</a>
              <a href="/story/123456">Council votes on the budget today</a>
              <a href="/about">About us and our long history here</a>
              <a href="https://other.example/2024/05/01/elsewhere">A story on another site entirely</a>
              <a href="/2024/05/02/short">Short</a>
            </main>
            <footer><a href="/2024/05/01/footer-link-is-not-news">Footer link is not news at all</a></footer>
            </body></html>"#;
        let got = article_links(html, "https://news.example/section/");
        let urls: Vec<&str> = got.iter().map(|(u, _)| u.as_str()).collect();
        assert_eq!(
            urls,
            vec![
                "https://news.example/2024/05/01/floods-close-bridge",
                "https://news.example/news/mayor-orders-repairs-now",
                "https://news.example/story/123456",
            ]
        );
        assert_eq!(got[0].1, "Floods close the old bridge overnight");
    }

    #[test]
    fn usual_paths_are_on_the_origin() {
        let urls = usual_feed_urls("https://example.org/some/page?x=1");
        assert_eq!(urls[0], "https://example.org/feed");
        assert!(urls.iter().all(|u| u.starts_with("https://example.org/")));
        assert!(usual_feed_urls("not a url").is_empty());
    }
}
