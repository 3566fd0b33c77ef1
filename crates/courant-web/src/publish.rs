//! Feeds and sitemaps as text, from articles: pure functions, no store and
//! no request. The handlers in `feeds` and `search` collect what goes in.
//!
//! Bodies are the stored HTML, which the pipeline sanitized before storing;
//! Atom escapes it as `type="html"` text (through `atom_syndication`), JSON
//! Feed carries it as `content_html`. Every other string is plain text,
//! escaped here, and no XML output keeps a character XML cannot hold.

use chrono::{DateTime, Utc};
use courant_model::{Article, Story};
use courant_text::{escape_xml, xml_text};

use crate::views::{safe_url, Names};

/// A feed's format, from its file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Atom,
    Json,
}

impl Format {
    /// A feed path's folder and format: `/stories/7/feed.json` is
    /// (`/stories/7`, JSON), `/feed.atom` is (``, Atom).
    pub(crate) fn split(path: &str) -> Option<(&str, Format)> {
        let (dir, ext) = path.rsplit_once("/feed.")?;
        Some((dir, Format::from_ext(ext)?))
    }

    /// `atom` or `json`, as the feed's path ends.
    fn from_ext(ext: &str) -> Option<Format> {
        match ext {
            "atom" => Some(Format::Atom),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub(crate) fn ext(self) -> &'static str {
        match self {
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json",
        }
    }
}

/// One feed: `page` and `feed` are the site-relative paths of the page the
/// feed follows and of the feed itself, `items` newest first.
pub(crate) struct Feed<'a> {
    pub base: &'a str,
    pub title: &'a str,
    pub page: &'a str,
    pub feed: &'a str,
    pub items: &'a [Article],
    pub names: &'a Names,
    /// Items that are machine translations (already carrying the translated
    /// title and body), by article id, with their language: their page is
    /// the edition's `/{lang}/articles/{id}`.
    pub translated: &'a Translated,
}

/// Article id → language of the translation standing in for it.
pub(crate) type Translated = std::collections::HashMap<i64, String>;

impl Feed<'_> {
    pub(crate) fn render(&self, format: Format) -> String {
        match format {
            Format::Atom => atom(self),
            Format::Json => json_feed(self),
        }
    }

    /// The page of an entry on this site.
    fn page(&self, a: &Article) -> String {
        match self.translated.get(&a.id) {
            Some(lang) => format!("{}/{lang}/articles/{}", self.base, a.id),
            None => format!("{}/articles/{}", self.base, a.id),
        }
    }

    /// The byline of an entry: its author, else its source's name.
    fn author(&self, a: &Article) -> Option<String> {
        a.processed
            .as_ref()
            .and_then(|p| p.author.clone())
            .filter(|x| !x.is_empty())
            .or_else(|| self.names.get(&a.source_id).cloned())
    }
}

/// When an entry last changed, as feeds and sitemaps say it.
pub(crate) fn updated(a: &Article) -> DateTime<Utc> {
    a.published().unwrap_or(a.discovered_at)
}

fn atom(f: &Feed<'_>) -> String {
    use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
    let base = f.base;
    let link = |href: String, rel: &str| Link {
        href,
        rel: rel.into(),
        ..Link::default()
    };
    let entries: Vec<Entry> = f
        .items
        .iter()
        .map(|a| {
            let page = f.page(a);
            let mut links = vec![link(page.clone(), "alternate")];
            if let Some(orig) = safe_url(a.url.as_deref()) {
                links.push(link(orig, "related"));
            }
            Entry {
                title: Text::plain(xml_text(a.title())),
                id: page,
                updated: updated(a).fixed_offset(),
                published: a.published().map(|d| d.fixed_offset()),
                authors: vec![Person {
                    name: xml_text(&f.author(a).unwrap_or_default()),
                    ..Person::default()
                }],
                links,
                content: Some(Content {
                    value: Some(xml_text(
                        a.processed.as_ref().map_or("", |p| p.html.as_str()),
                    )),
                    content_type: Some("html".into()),
                    lang: a.lang().map(xml_text),
                    ..Content::default()
                }),
                ..Entry::default()
            }
        })
        .collect();
    let feed = Feed {
        title: Text::plain(xml_text(f.title)),
        id: format!("{base}{}", f.feed),
        updated: f
            .items
            .iter()
            .map(updated)
            .max()
            .unwrap_or_default()
            .fixed_offset(),
        links: vec![
            link(format!("{base}{}", f.feed), "self"),
            link(format!("{base}{}", f.page), "alternate"),
        ],
        entries,
        ..Feed::default()
    };
    feed.to_string()
}

fn json_feed(f: &Feed<'_>) -> String {
    let base = f.base;
    let items: Vec<serde_json::Value> = f
        .items
        .iter()
        .map(|a| {
            serde_json::json!({
                "id": f.page(a),
                "url": f.page(a),
                "external_url": safe_url(a.url.as_deref()),
                "title": a.title(),
                "content_html": a.processed.as_ref().map(|p| p.html.as_str()).unwrap_or_default(),
                "date_published": a.published().map(|d| d.to_rfc3339()),
                "authors": f.author(a).map(|n| vec![serde_json::json!({ "name": n })]).unwrap_or_default(),
                "language": a.lang(),
            })
        })
        .collect();
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": f.title,
        "home_page_url": format!("{base}{}", f.page),
        "feed_url": format!("{base}{}", f.feed),
        "items": items,
    })
    .to_string()
}

/// The ordinary sitemap: home, stories, then articles as (id, last change).
pub(crate) fn sitemap(base: &str, stories: &[Story], articles: &[(i64, DateTime<Utc>)]) -> String {
    let base = escape_xml(base);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    out.push_str(&format!("<url><loc>{base}/</loc></url>\n"));
    for s in stories {
        out.push_str(&format!(
            "<url><loc>{base}/stories/{}</loc>{}</url>\n",
            s.id,
            s.last_at
                .map(|d| format!("<lastmod>{}</lastmod>", d.to_rfc3339()))
                .unwrap_or_default()
        ));
    }
    for (id, at) in articles {
        out.push_str(&format!(
            "<url><loc>{base}/articles/{id}</loc><lastmod>{}</lastmod></url>\n",
            at.to_rfc3339()
        ));
    }
    out.push_str("</urlset>\n");
    out
}

/// The Google News sitemap of `articles` (the caller picks the recent ones).
pub(crate) fn news_sitemap(base: &str, articles: &[Article], names: &Names) -> String {
    let base = escape_xml(base);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n",
    );
    for a in articles {
        out.push_str(&format!(
            "<url><loc>{base}/articles/{}</loc><news:news><news:publication><news:name>{}</news:name><news:language>{}</news:language></news:publication><news:publication_date>{}</news:publication_date><news:title>{}</news:title></news:news></url>\n",
            a.id,
            escape_xml(names.get(&a.source_id).map(String::as_str).unwrap_or("")),
            escape_xml(a.lang().unwrap_or("und")),
            updated(a).to_rfc3339(),
            escape_xml(a.title()),
        ));
    }
    out.push_str("</urlset>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/publish")
            .join(name)
    }

    /// Compares with the committed snapshot; `UPDATE_SNAPSHOTS=1` rewrites
    /// it (review the diff before committing).
    fn snapshot(name: &str, got: &str) {
        let path = fixture(name);
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&path, got).expect("snapshot written");
        }
        let want = std::fs::read_to_string(&path).expect("snapshot present");
        assert_eq!(got, want, "{name} differs from its snapshot");
    }

    fn articles() -> Vec<Article> {
        let raw = std::fs::read_to_string(fixture("articles.json")).expect("fixture");
        serde_json::from_str(&raw).expect("articles parse")
    }

    fn names() -> Names {
        Names::from([
            (1, "Harbour Times".to_string()),
            (2, "Hafenblatt".to_string()),
        ])
    }

    fn feed<'a>(items: &'a [Article], names: &'a Names) -> Feed<'a> {
        Feed {
            base: "https://courant.example",
            title: "Harbour · courant",
            page: "/stories/3",
            feed: "/stories/3/feed.atom",
            items,
            names,
            translated: &NONE,
        }
    }

    static NONE: std::sync::LazyLock<super::Translated> =
        std::sync::LazyLock::new(Default::default);

    #[test]
    fn atom_matches_its_snapshot_and_reads_back() {
        let (items, names) = (articles(), names());
        let atom = feed(&items, &names).render(Format::Atom);
        snapshot("story.atom", &atom);
        let parsed = courant_feed::parse(atom.as_bytes(), None).expect("our Atom parses");
        assert_eq!(parsed.entries.len(), 2);
        assert_eq!(
            parsed.entries[0].title,
            "Harbour reopens after storm & flood"
        );
        // The unsafe original link is left out; the entry links to our page.
        assert!(!atom.contains("javascript:"));
        assert!(atom.contains("https://courant.example/articles/9"));
    }

    #[test]
    fn json_feed_matches_its_snapshot() {
        let (items, names) = (articles(), names());
        let json = feed(&items, &names).render(Format::Json);
        snapshot("story.json", &json);
        let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(v["items"][1]["authors"][0]["name"], "Hafenblatt");
        assert_eq!(v["items"][1]["external_url"], serde_json::Value::Null);
    }

    /// A control character in a stored title or body (U+0001 from a JSON
    /// Feed, say) made the whole Atom feed invalid XML; it is dropped.
    #[test]
    fn xml_outputs_hold_no_character_xml_cannot() {
        let (mut items, names) = (articles(), names());
        if let Some(p) = items[0].processed.as_mut() {
            p.title = "Harbour\u{1} reopens".into();
            p.html = "<p>Bell\u{7} here</p>".into();
            p.author = Some("Ana\u{0} Ruiz".into());
        }
        items[1].entry.title = "Hafen\u{FFFE} offen".into();
        let atom = feed(&items, &names).render(Format::Atom);
        let news = news_sitemap("https://courant.example", &items, &names);
        for out in [&atom, &news] {
            assert!(out.chars().all(courant_text::is_xml_char), "{out}");
        }
        let parsed = courant_feed::parse(atom.as_bytes(), None).expect("valid Atom");
        assert_eq!(parsed.entries[0].title, "Harbour reopens");
        assert!(news.contains("Hafen offen"));
    }

    #[test]
    fn sitemaps_match_their_snapshots() {
        let (items, names) = (articles(), names());
        let at = |a: &Article| (a.id, updated(a));
        let listed: Vec<_> = items.iter().map(at).collect();
        snapshot(
            "sitemap.xml",
            &sitemap("https://courant.example", &[], &listed),
        );
        let news = news_sitemap("https://courant.example", &items, &names);
        snapshot("news-sitemap.xml", &news);
        assert!(news.contains("Hafen &quot;wieder&quot; offen &lt;b&gt;"));
    }
}
