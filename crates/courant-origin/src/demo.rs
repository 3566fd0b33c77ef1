//! The bundled demo corpus as a set of publishers: English Wikinews articles
//! and Wikipedia "In the news" blurbs in about 40 languages, served as RSS 2.0,
//! Atom, JSON Feed and a news sitemap, each item with its own article page.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::markup::{esc, headline, strip_tags};

const WIKINEWS: &str = include_str!("../demo-data/gum_wikinews_en.jsonl");
const ITN: &str = include_str!("../demo-data/itn-corpus.json");

/// Languages with fewer blurbs than this share one multilingual Atom feed.
const OWN_FEED_MIN: usize = 20;

/// One publisher of the demo, as the operator would configure it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSource {
    /// Path of its feed on the origin.
    pub feed_path: String,
    /// Display name.
    pub name: String,
    /// Language hint, when the feed has one language.
    pub lang: Option<String>,
    /// Attribution line its license requires.
    pub attribution: String,
}

/// Feed formats the demo rotates through, so every parser path runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Rss,
    Atom,
    Json,
    Sitemap,
}

#[derive(Debug, Clone)]
struct Item {
    path: String,
    title: String,
    summary_html: String,
    body_html: String,
    published: DateTime<Utc>,
    lang: String,
    author: Option<String>,
    canonical: Option<String>,
}

/// The corpus, laid out as publishers.
#[derive(Debug)]
pub struct Demo {
    sources: Vec<DemoSource>,
    docs: HashMap<String, (&'static str, String)>,
}

#[derive(Deserialize)]
struct WikinewsDoc {
    doc_id: String,
    source_url: String,
    title: String,
    date_created: String,
    summary_human: Option<String>,
    text: String,
}

#[derive(Deserialize)]
struct Blurb {
    lang: String,
    keyword: String,
    blurb: String,
}

/// Why the bundled corpus could not be loaded.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "demo corpus: {}", self.0)
    }
}

impl std::error::Error for LoadError {}

const WIKINEWS_ATTR: &str =
    "From Wikinews, the free news source, under CC BY 2.5. Texts via the GUM corpus.";
const ITN_ATTR: &str = "From Wikipedia's \"In the news\", under CC BY-SA 3.0, via the ITN corpus.";

impl Demo {
    /// Builds every feed and page for an origin reachable at `base`.
    pub fn load(base: &str) -> Result<Demo, LoadError> {
        let mut demo = Demo {
            sources: Vec::new(),
            docs: HashMap::new(),
        };
        let wikinews = wikinews_items()?;
        demo.add_source(
            base,
            "/wikinews/rss.xml",
            "Wikinews",
            Some("en"),
            WIKINEWS_ATTR,
            Format::Rss,
            wikinews,
        );

        let mut by_lang: BTreeMap<String, Vec<Item>> = BTreeMap::new();
        for item in itn_items()? {
            by_lang.entry(item.lang.clone()).or_default().push(item);
        }
        let mut others = Vec::new();
        let mut big: Vec<(String, Vec<Item>)> = Vec::new();
        for (lang, items) in by_lang {
            if items.len() >= OWN_FEED_MIN {
                big.push((lang, items));
            } else {
                others.extend(items);
            }
        }
        big.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        for (i, (lang, items)) in big.into_iter().enumerate() {
            let format = match lang.as_str() {
                "en" => Format::Atom,
                "fr" => Format::Sitemap,
                "zh" => Format::Json,
                _ => [Format::Rss, Format::Atom, Format::Json][i % 3],
            };
            let ext = match format {
                Format::Rss => "rss.xml",
                Format::Atom => "atom.xml",
                Format::Json => "feed.json",
                Format::Sitemap => "news-sitemap.xml",
            };
            let path = format!("/itn/{lang}/{ext}");
            let name = format!("Wikipedia In the news ({lang})");
            demo.add_source(base, &path, &name, Some(&lang), ITN_ATTR, format, items);
        }
        others.sort_by_key(|i| i.published);
        demo.add_source(
            base,
            "/itn/more/atom.xml",
            "Wikipedia In the news (more languages)",
            None,
            ITN_ATTR,
            Format::Atom,
            others,
        );
        Ok(demo)
    }

    /// The publishers, in a stable order.
    pub fn sources(&self) -> &[DemoSource] {
        &self.sources
    }

    /// Number of article pages served.
    pub fn article_count(&self) -> usize {
        self.docs
            .values()
            .filter(|(ct, _)| ct.starts_with("text/html"))
            .count()
    }

    /// The router serving every feed and page.
    pub fn router(self) -> Router {
        Router::new().fallback(serve_doc).with_state(Arc::new(self))
    }

    #[allow(clippy::too_many_arguments)]
    fn add_source(
        &mut self,
        base: &str,
        feed_path: &str,
        name: &str,
        lang: Option<&str>,
        attribution: &str,
        format: Format,
        mut items: Vec<Item>,
    ) {
        // Newest first, as publishers list them.
        items.sort_by_key(|i| std::cmp::Reverse(i.published));
        let (ct, feed) = match format {
            Format::Rss => (
                "application/rss+xml; charset=utf-8",
                rss(base, name, lang, &items),
            ),
            Format::Atom => (
                "application/atom+xml; charset=utf-8",
                atom(base, feed_path, name, lang, &items),
            ),
            Format::Json => (
                "application/feed+json; charset=utf-8",
                json_feed(base, feed_path, name, lang, &items),
            ),
            Format::Sitemap => (
                "application/xml; charset=utf-8",
                sitemap(base, name, &items),
            ),
        };
        self.docs.insert(feed_path.to_string(), (ct, feed));
        for item in &items {
            self.docs.insert(
                item.path.clone(),
                ("text/html; charset=utf-8", page(name, attribution, item)),
            );
        }
        self.sources.push(DemoSource {
            feed_path: feed_path.to_string(),
            name: name.to_string(),
            lang: lang.map(str::to_string),
            attribution: attribution.to_string(),
        });
    }
}

async fn serve_doc(State(demo): State<Arc<Demo>>, uri: Uri) -> Response {
    match demo.docs.get(uri.path()) {
        Some((ct, body)) => ([(header::CONTENT_TYPE, *ct)], body.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn wikinews_items() -> Result<Vec<Item>, LoadError> {
    let mut out = Vec::new();
    for line in WIKINEWS.lines().filter(|l| !l.trim().is_empty()) {
        let d: WikinewsDoc = serde_json::from_str(line).map_err(|e| LoadError(e.to_string()))?;
        let published = NaiveDate::parse_from_str(&d.date_created, "%Y-%m-%d")
            .map_err(|e| LoadError(format!("{}: {e}", d.doc_id)))?
            .and_hms_opt(12, 0, 0)
            .map(|t| t.and_utc())
            .ok_or_else(|| LoadError("bad time".into()))?;
        let mut paras = d
            .text
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty());
        // The text repeats the title as its first paragraph; the page has it as <h1>.
        if paras.clone().next() == Some(d.title.trim()) {
            paras.next();
        }
        let mut body = String::new();
        for (i, p) in paras.enumerate() {
            if i == 0 {
                body.push_str(&format!(
                    "<p class=\"dateline\"><time>{}</time></p>\n",
                    esc(p)
                ));
            } else {
                body.push_str(&format!("<p>{}</p>\n", esc(p)));
            }
        }
        let summary = d
            .summary_human
            .as_deref()
            .map(|s| s.trim_start_matches("(human1)").trim().to_string())
            .unwrap_or_default();
        out.push(Item {
            path: format!("/wikinews/{}", d.doc_id.trim_start_matches("GUM_news_")),
            title: d.title,
            summary_html: esc(&summary),
            body_html: body,
            published,
            lang: "en".into(),
            author: Some("Wikinews contributors".into()),
            canonical: Some(d.source_url),
        });
    }
    Ok(out)
}

fn itn_items() -> Result<Vec<Item>, LoadError> {
    let corpus: BTreeMap<String, BTreeMap<String, Blurb>> =
        serde_json::from_str(ITN).map_err(|e| LoadError(e.to_string()))?;
    let mut out = Vec::new();
    for (qid, blurbs) in corpus {
        for (ts, b) in blurbs {
            let secs: f64 = ts
                .parse()
                .map_err(|_| LoadError(format!("{qid}: bad timestamp {ts}")))?;
            let published = DateTime::from_timestamp(secs as i64, 0)
                .ok_or_else(|| LoadError(format!("{qid}: timestamp out of range")))?;
            let text = strip_tags(&b.blurb);
            if text.is_empty() {
                continue;
            }
            let title = headline(&text, 110);
            let body_html = format!(
                "<p>{}</p>\n<p class=\"topic\">{}: <b>{}</b></p>",
                b.blurb,
                esc(topic_label(&b.lang)),
                esc(&b.keyword)
            );
            out.push(Item {
                path: format!("/itn/{}/{}-{}", b.lang, qid, secs as i64),
                title,
                summary_html: b.blurb.clone(),
                body_html,
                published,
                lang: b.lang.clone(),
                author: None,
                canonical: None,
            });
        }
    }
    Ok(out)
}

fn topic_label(lang: &str) -> &'static str {
    match lang {
        "de" => "Thema",
        "fr" => "Sujet",
        "ru" => "Тема",
        _ => "Topic",
    }
}

fn rss(base: &str, name: &str, lang: Option<&str>, items: &[Item]) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>\
         <title>{}</title><link>{base}/</link><description>{}</description>{}\n",
        esc(name),
        esc(name),
        lang.map(|l| format!("<language>{l}</language>")).unwrap_or_default()
    );
    for it in items {
        s.push_str(&format!(
            "<item><title>{}</title><link>{base}{}</link><guid isPermaLink=\"true\">{base}{}</guid><pubDate>{}</pubDate>{}<description>{}</description></item>\n",
            esc(&it.title),
            it.path,
            it.path,
            it.published.to_rfc2822(),
            it.author.as_deref().map(|a| format!("<dc:creator>{}</dc:creator>", esc(a))).unwrap_or_default(),
            esc(&it.summary_html)
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

fn atom(base: &str, path: &str, name: &str, lang: Option<&str>, items: &[Item]) -> String {
    let updated = items.iter().map(|i| i.published).max().unwrap_or_default();
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"{}>\
         <title>{}</title><id>{base}{path}</id><link rel=\"self\" href=\"{base}{path}\"/><link href=\"{base}/\"/><updated>{}</updated>\n",
        lang.map(|l| format!(" xml:lang=\"{l}\"")).unwrap_or_default(),
        esc(name),
        updated.to_rfc3339()
    );
    for it in items {
        s.push_str(&format!(
            "<entry xml:lang=\"{}\"><title>{}</title><id>{base}{}</id><link href=\"{base}{}\"/><published>{}</published><updated>{}</updated>\
             <summary type=\"html\">{}</summary></entry>\n",
            it.lang,
            esc(&it.title),
            it.path,
            it.path,
            it.published.to_rfc3339(),
            it.published.to_rfc3339(),
            esc(&it.summary_html)
        ));
    }
    s.push_str("</feed>\n");
    s
}

fn json_feed(base: &str, path: &str, name: &str, lang: Option<&str>, items: &[Item]) -> String {
    let items: Vec<_> = items
        .iter()
        .map(|it| {
            serde_json::json!({
                "id": format!("{base}{}", it.path),
                "url": format!("{base}{}", it.path),
                "title": it.title,
                "content_html": it.summary_html,
                "date_published": it.published.to_rfc3339(),
            })
        })
        .collect();
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": name,
        "home_page_url": format!("{base}/"),
        "feed_url": format!("{base}{path}"),
        "language": lang,
        "items": items,
    })
    .to_string()
}

fn sitemap(base: &str, name: &str, items: &[Item]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" \
         xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n",
    );
    for it in items {
        s.push_str(&format!(
            "<url><loc>{base}{}</loc><news:news><news:publication><news:name>{}</news:name><news:language>{}</news:language></news:publication>\
             <news:publication_date>{}</news:publication_date><news:title>{}</news:title></news:news></url>\n",
            it.path,
            esc(name),
            it.lang,
            it.published.to_rfc3339(),
            esc(&it.title)
        ));
    }
    s.push_str("</urlset>\n");
    s
}

/// An article page with the furniture real sites have around the text.
fn page(site: &str, attribution: &str, it: &Item) -> String {
    format!(
        r#"<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title} | {site}</title>
<meta name="viewport" content="width=device-width">
<meta property="og:title" content="{title}"><meta property="og:site_name" content="{site}">
<meta property="article:published_time" content="{published}">{author}{canonical}
</head><body>
<header class="site-header"><a class="logo" href="/">{site}</a><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/science">Science</a></li></ul></nav></header>
<main><article><h1>{title}</h1>
{body}
</article>
<aside class="share"><a href="/share?twitter">Share</a> <a href="/share?mail">Email</a></aside>
</main>
<footer class="site-footer"><p>{attribution}</p><p><a href="/privacy">Privacy</a> · <a href="/about">About</a></p></footer>
</body></html>"#,
        lang = esc(&it.lang),
        title = esc(&it.title),
        site = esc(site),
        published = it.published.to_rfc3339(),
        author = it
            .author
            .as_deref()
            .map(|a| format!("<meta name=\"author\" content=\"{}\">", esc(a)))
            .unwrap_or_default(),
        canonical = it
            .canonical
            .as_deref()
            .map(|c| format!("<link rel=\"canonical\" href=\"{}\">", esc(c)))
            .unwrap_or_default(),
        body = it.body_html,
        attribution = esc(attribution),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_corpus_is_laid_out() {
        let demo = Demo::load("http://127.0.0.1:1").unwrap();
        assert_eq!(demo.article_count(), 24 + 3546);
        assert!(demo.sources().len() > 10);
        let feeds: Vec<_> = demo
            .sources()
            .iter()
            .map(|s| s.feed_path.as_str())
            .collect();
        for ext in ["rss.xml", "atom.xml", "feed.json", "news-sitemap.xml"] {
            assert!(feeds.iter().any(|f| f.ends_with(ext)), "no {ext} feed");
        }
    }
}
