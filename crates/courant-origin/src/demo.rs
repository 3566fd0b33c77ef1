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
    /// Plain text, paragraphs separated by blank lines (for grown copies).
    text: String,
    /// Markup after the text that copies keep (the blurb's topic line).
    tail_html: String,
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
        Self::load_grown(base, 1)
    }

    /// The corpus `copies` times over, for load tests: each copy is another
    /// set of publishers. Every fourth copy carries the same texts (wire copy
    /// syndicated by other outlets); the others rewrite a third of each
    /// text's words, so they are new articles on the same events. Each copy
    /// is dated three days before the last, so stories span months.
    pub fn load_grown(base: &str, copies: usize) -> Result<Demo, LoadError> {
        let mut demo = Demo {
            sources: Vec::new(),
            docs: HashMap::new(),
        };
        let layout = layout()?;
        for k in 0..copies.max(1) {
            for p in &layout {
                if k == 0 {
                    demo.add_source(
                        base,
                        &p.path,
                        &p.name,
                        p.lang.as_deref(),
                        p.attribution,
                        p.format,
                        p.items.clone(),
                    );
                    continue;
                }
                let items = p
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, it)| variant(it, k, &p.items[(i + k) % p.items.len()]))
                    .collect();
                demo.add_source(
                    base,
                    &format!("/copy{k}{}", p.path),
                    &format!("{} · copy {k}", p.name),
                    p.lang.as_deref(),
                    p.attribution,
                    p.format,
                    items,
                );
            }
        }
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

/// One publisher of the base corpus, before it is rendered.
struct Publisher {
    path: String,
    name: String,
    lang: Option<String>,
    attribution: &'static str,
    format: Format,
    items: Vec<Item>,
}

/// The base corpus laid out as publishers: Wikinews, one ITN feed per
/// language with enough blurbs (formats rotating), one for the rest.
fn layout() -> Result<Vec<Publisher>, LoadError> {
    let mut out = vec![Publisher {
        path: "/wikinews/rss.xml".into(),
        name: "Wikinews".into(),
        lang: Some("en".into()),
        attribution: WIKINEWS_ATTR,
        format: Format::Rss,
        items: wikinews_items()?,
    }];
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
        out.push(Publisher {
            path: format!("/itn/{lang}/{ext}"),
            name: format!("Wikipedia In the news ({lang})"),
            lang: Some(lang),
            attribution: ITN_ATTR,
            format,
            items,
        });
    }
    others.sort_by_key(|i| i.published);
    out.push(Publisher {
        path: "/itn/more/atom.xml".into(),
        name: "Wikipedia In the news (more languages)".into(),
        lang: None,
        attribution: ITN_ATTR,
        format: Format::Atom,
        items: others,
    });
    Ok(out)
}

/// Copy `k` of an item: the same text (every fourth copy) or one with a
/// third of its words taken from `donor`, a neighbour in the same language.
fn variant(item: &Item, k: usize, donor: &Item) -> Item {
    let mut v = item.clone();
    v.path = format!("/copy{k}{}", item.path);
    v.published = item.published - chrono::Duration::days(3 * k as i64);
    v.canonical = None;
    if k.is_multiple_of(4) {
        return v;
    }
    let text: Vec<String> = item
        .text
        .split("\n\n")
        .map(|p| vary(p, k, &donor.text))
        .collect();
    v.title = if item.author.is_some() {
        vary(&item.title, k, &donor.title)
    } else {
        headline(&text.join(" "), 110)
    };
    v.summary_html = esc(&headline(&text.join(" "), 200));
    v.body_html = text
        .iter()
        .map(|p| format!("<p>{}</p>\n", esc(p)))
        .chain([item.tail_html.clone()])
        .collect();
    v.text = text.join("\n\n");
    v
}

/// Every third word (every third character in unspaced scripts) taken from `donor`.
fn vary(text: &str, k: usize, donor: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let pool: Vec<&str> = donor.split_whitespace().collect();
    if words.len() >= 4 && !pool.is_empty() {
        return words
            .iter()
            .enumerate()
            .map(|(j, w)| {
                if (j + k).is_multiple_of(3) {
                    pool[(j * 7 + k) % pool.len()]
                } else {
                    w
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    }
    let chars: Vec<char> = donor.chars().filter(|c| !c.is_whitespace()).collect();
    if chars.is_empty() {
        return text.to_string();
    }
    text.chars()
        .enumerate()
        .map(|(j, c)| {
            if (j + k).is_multiple_of(3) && c.is_alphanumeric() {
                chars[(j * 7 + k) % chars.len()]
            } else {
                c
            }
        })
        .collect()
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
        let text = paras.clone().collect::<Vec<_>>().join("\n\n");
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
            text,
            tail_html: String::new(),
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
            let tail_html = format!(
                "<p class=\"topic\">{}: <b>{}</b></p>",
                esc(topic_label(&b.lang)),
                esc(&b.keyword)
            );
            let body_html = format!("<p>{}</p>\n{tail_html}", b.blurb);
            out.push(Item {
                path: format!("/itn/{}/{}-{}", b.lang, qid, secs as i64),
                title,
                text: text.clone(),
                tail_html,
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

    /// Grown copies: more publishers and pages, every fourth copy verbatim,
    /// the others rewritten, each earlier, and every page keeps text beside
    /// its title.
    #[test]
    fn grown_corpus_copies_and_rewrites() {
        let once = Demo::load("http://127.0.0.1:1").unwrap();
        let grown = Demo::load_grown("http://127.0.0.1:1", 5).unwrap();
        assert_eq!(grown.article_count(), 5 * once.article_count());
        assert_eq!(grown.sources().len(), 5 * once.sources().len());
        let layout = layout().unwrap();
        let base = &layout[1].items[3];
        let copy = |k| variant(base, k, &layout[1].items[(3 + k) % layout[1].items.len()]);
        let (c1, c4) = (copy(1), copy(4));
        assert_eq!(c4.text, base.text, "every fourth copy is verbatim");
        assert_eq!(c4.title, base.title);
        assert_ne!(c1.text, base.text, "the others are rewritten");
        let same = c1
            .text
            .split(' ')
            .zip(base.text.split(' '))
            .filter(|(a, b)| a == b)
            .count();
        let words = base.text.split(' ').count();
        assert!(
            same * 3 >= words && same < words,
            "{same} of {words} words kept"
        );
        assert_eq!(c1.published, base.published - chrono::Duration::days(3));
        assert!(c1.body_html.contains("class=\"topic\""), "{}", c1.body_html);
        assert!(grown.docs.contains_key(&c1.path));
    }
}
