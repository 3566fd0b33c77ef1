//! The pure part of processing an article: combine what the feed said with
//! what the page gave, pick the language, sanitize. No I/O, no clock.

use courant_extract::{sanitize, Extracted};
use courant_model::{FeedEntry, ProcessedArticle, TextFinding};

/// A page body shorter than this share of the feed's own text is a failed
/// extraction (a teaser, a cookie wall); the feed text is shown instead.
const MIN_PAGE_SHARE: f64 = 0.6;

/// Everything processing knows about one article.
#[derive(Debug, Clone, Default)]
pub struct Inputs<'a> {
    /// The feed entry.
    pub entry: Option<&'a FeedEntry>,
    /// What extraction found on the page, if it was fetched and extracted.
    pub page: Option<Extracted>,
    /// URL of the page after redirects.
    pub final_url: Option<String>,
    /// Language the operator configured for the source.
    pub source_lang: Option<&'a str>,
    /// Problems met on the way (fetch, charset, extraction).
    pub warnings: Vec<String>,
}

/// Builds the article to show, or `None` when there is no text at all.
pub fn assemble(inp: Inputs<'_>) -> Option<ProcessedArticle> {
    let entry = inp.entry.cloned().unwrap_or_default();
    let base = inp.final_url.as_deref().or(entry.url.as_deref());
    let feed_html = entry
        .content
        .as_deref()
        .or(entry.summary.as_deref())
        .map(|h| sanitize::html(h, base));
    let feed_text = feed_html.as_deref().map(sanitize::text).unwrap_or_default();
    let mut warnings = inp.warnings;

    let page_usable = inp.page.as_ref().filter(|p| {
        let (page_len, feed_len) = (
            p.text.chars().count() as f64,
            feed_text.chars().count() as f64,
        );
        page_len >= MIN_PAGE_SHARE * feed_len
    });
    if inp.page.is_some() && page_usable.is_none() {
        warnings.push("page text shorter than the feed's; showing the feed text".into());
    }
    let (mut text, mut html, body_origin) = match (page_usable, feed_html) {
        (Some(p), _) => (p.text.clone(), p.html.clone(), "page"),
        (None, Some(h)) if !feed_text.trim().is_empty() => (feed_text.clone(), h, "feed"),
        _ => return None,
    };
    let page = inp.page.as_ref();
    let mut title = Some(entry.title.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .or_else(|| page.map(|p| p.title.clone()).filter(|t| !t.is_empty()))
        .unwrap_or_else(|| first_words(&text, 12));
    let declared = entry
        .lang
        .as_deref()
        .or(page.and_then(|p| p.lang.as_deref()))
        .or(inp.source_lang)
        .and_then(courant_feed::normalize_lang);
    let lang =
        courant_lang::decide(&format!("{title}\n\n{text}"), declared.as_deref()).map(|d| d.lang);
    let mut author = if entry.authors.is_empty() {
        page.map(|p| p.authors.join(", ")).filter(|a| !a.is_empty())
    } else {
        Some(entry.authors.join(", "))
    };
    // Pages can hold characters XML cannot (feeds are cleaned when parsed),
    // and a page's title is as unbounded as a feed's.
    for s in [&mut title, &mut text, &mut html]
        .into_iter()
        .chain(author.as_mut())
    {
        courant_text::retain_xml(s);
    }
    courant_text::clip(&mut title, courant_text::MAX_TITLE_CHARS);
    if let Some(a) = author.as_mut() {
        courant_text::clip(
            a,
            courant_text::MAX_AUTHORS * courant_text::MAX_AUTHOR_CHARS,
        );
    }
    Some(ProcessedArticle {
        title,
        text,
        html,
        author,
        published: entry
            .published
            .or(page.and_then(|p| p.published).map(|d| d.to_utc()))
            .or(entry.updated),
        lang,
        canonical_url: page
            .and_then(|p| p.canonical_url.clone())
            .or(inp.final_url)
            .or(entry.url.clone()),
        body_origin: body_origin.into(),
        warnings,
        original_text: String::new(),
        findings: Vec::new(),
    })
}

/// Whether the checker's safe repair of `f` is applied to the text shown.
pub fn applied(f: &courant_clean::Finding) -> bool {
    f.repair.is_some() && f.confidence >= courant_clean::REPAIR_THRESHOLD
}

/// A checker finding as articles and translations store it.
pub fn text_finding(f: &courant_clean::Finding) -> TextFinding {
    TextFinding {
        kind: f.kind.as_str().to_string(),
        start: f.start,
        end: f.end,
        span: f.span.clone(),
        confidence: f.confidence,
        repair: f.repair.clone(),
        applied: applied(f),
    }
}

/// Runs the text checker: keeps the extracted text as `original_text`, stores
/// the findings, and shows the repaired text. When a repair changed the text,
/// the HTML body is rebuilt from the cleaned paragraphs so both agree.
pub fn clean(mut p: ProcessedArticle, lex: &courant_clean::Lexicons) -> ProcessedArticle {
    let findings = courant_clean::check(&p.text, p.lang.as_deref(), lex);
    let cleaned = courant_clean::repair(&p.text, &findings, courant_clean::REPAIR_THRESHOLD);
    p.findings = findings.iter().map(text_finding).collect();
    p.original_text = std::mem::take(&mut p.text);
    if cleaned != p.original_text {
        p.html = cleaned
            .split("\n\n")
            .map(|par| format!("<p>{}</p>", courant_text::escape_text(par)))
            .collect::<Vec<_>>()
            .join("\n");
    }
    p.text = cleaned;
    p
}

fn first_words(text: &str, n: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().take(n + 1).collect();
    if words.len() > n {
        format!("{}…", words[..n].join(" "))
    } else {
        words.join(" ")
    }
}
