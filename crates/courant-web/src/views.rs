//! Model to view: the shapes templates and the API show.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use courant_model::{Article, Source, SourceId, Story};
use serde::Serialize;

pub(crate) fn when(d: Option<DateTime<Utc>>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// An article in lists.
#[derive(Debug, Serialize)]
pub struct ArticleSummary {
    pub id: i64,
    pub title: String,
    pub lang: Option<String>,
    pub published: Option<String>,
    pub source_id: SourceId,
    pub source_name: String,
}

/// An article page.
#[derive(Debug, Serialize)]
pub struct ArticleView {
    pub id: i64,
    pub title: String,
    pub lang: Option<String>,
    pub published: Option<String>,
    /// When the publisher last corrected it and it was processed again.
    pub updated: Option<String>,
    pub author: Option<String>,
    pub url: Option<String>,
    pub html: String,
    pub body_origin: String,
    pub warnings: Vec<String>,
    pub source_id: SourceId,
    pub source_name: String,
    pub attribution: Option<String>,
    pub findings: Vec<courant_model::TextFinding>,
    pub story: Option<i64>,
    pub duplicate_of: Option<i64>,
}

/// A source in lists and on its page.
#[derive(Debug, Serialize)]
pub struct SourceView {
    pub id: SourceId,
    pub name: String,
    pub feed_url: String,
    pub site_url: Option<String>,
    pub lang: Option<String>,
    pub status: &'static str,
    pub last_fetch: Option<String>,
    pub last_ok: Option<String>,
    pub next_poll: Option<String>,
    pub last_error: Option<String>,
    pub article_count: i64,
}

/// Only http(s) URLs become links; `javascript:` and friends are dropped.
pub(crate) fn safe_url(u: Option<&str>) -> Option<String> {
    let u = u?.trim();
    let lower = u.get(..8).unwrap_or(u).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then(|| u.to_string())
}

pub(crate) type Names = HashMap<SourceId, String>;

pub(crate) fn names(sources: &[Source]) -> Names {
    sources.iter().map(|s| (s.id, display_name(s))).collect()
}

fn display_name(s: &Source) -> String {
    if s.name.is_empty() {
        s.feed_url.clone()
    } else {
        s.name.clone()
    }
}

/// The sources a filter offers: those with articles, as `{id, name}`.
pub(crate) fn source_choices(sources: &[Source]) -> Vec<minijinja::Value> {
    sources
        .iter()
        .filter(|s| s.article_count > 0)
        .map(|s| minijinja::context! { id => s.id, name => display_name(s) })
        .collect()
}

pub(crate) fn summary(a: &Article, names: &Names) -> ArticleSummary {
    ArticleSummary {
        id: a.id,
        title: a.title().to_string(),
        lang: a.lang().map(str::to_string),
        published: when(a.published()),
        source_id: a.source_id,
        source_name: names.get(&a.source_id).cloned().unwrap_or_default(),
    }
}

pub(crate) fn article(a: &Article, source: Option<&Source>) -> ArticleView {
    let p = a.processed.clone().unwrap_or_default();
    ArticleView {
        id: a.id,
        title: a.title().to_string(),
        lang: a.lang().map(str::to_string),
        published: when(a.published()),
        updated: when(a.revised_at),
        author: p.author.clone(),
        url: safe_url(a.url.as_deref()).or(safe_url(p.canonical_url.as_deref())),
        html: p.html,
        body_origin: p.body_origin,
        warnings: p.warnings,
        source_id: a.source_id,
        source_name: source.map(display_name).unwrap_or_default(),
        attribution: source.and_then(|s| s.attribution.clone()),
        findings: p.findings,
        story: a.story,
        duplicate_of: a.duplicate_of,
    }
}

/// The original text as HTML paragraphs with every finding marked. Built here,
/// escaped piece by piece, because the spans cut across the text's own markup.
pub(crate) fn marked_original(text: &str, findings: &[courant_model::TextFinding]) -> String {
    let mut sorted: Vec<&courant_model::TextFinding> = findings
        .iter()
        .filter(|f| {
            f.start <= f.end
                && f.end <= text.len()
                && text.is_char_boundary(f.start)
                && text.is_char_boundary(f.end)
        })
        .collect();
    sorted.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut html = String::new();
    let mut at = 0;
    for f in sorted {
        if f.start < at {
            continue; // overlaps a span already marked
        }
        html.push_str(&courant_text::escape_html(&text[at..f.start]));
        let repair = match &f.repair {
            Some(r) if r.is_empty() => " → removed".to_string(),
            Some(r) => format!(" → {r}"),
            None => String::new(),
        };
        let state = if f.applied { "repaired" } else { "flagged" };
        html.push_str(&format!(
            "<mark class=\"finding {}\" title=\"{} ({state}, confidence {:.2}){}\">{}</mark>",
            courant_text::escape_html(&f.kind),
            courant_text::escape_html(&f.kind),
            f.confidence,
            courant_text::escape_html(&repair),
            courant_text::escape_html(&text[f.start..f.end])
        ));
        at = f.end;
    }
    html.push_str(&courant_text::escape_html(&text[at..]));
    html.split("\n\n")
        .map(|p| format!("<p>{}</p>", p.replace('\n', "<br>")))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn source(s: &Source) -> SourceView {
    SourceView {
        id: s.id,
        name: display_name(s),
        feed_url: s.feed_url.clone(),
        site_url: safe_url(s.site_url.as_deref()),
        lang: s.lang.clone(),
        status: s.health.status(),
        last_fetch: when(s.health.last_fetch_at),
        last_ok: when(s.health.last_ok_at),
        next_poll: when(s.health.next_poll_at),
        last_error: s.health.last_error.clone(),
        article_count: s.article_count,
    }
}

/// A story in lists and on its page.
#[derive(Debug, Serialize)]
pub struct StoryView {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub lang: Option<String>,
    pub articles: i64,
    pub sources: i64,
    pub first: Option<String>,
    pub last: Option<String>,
    /// Languages its event is told in (1 when known only in its own).
    pub languages: i64,
}

pub(crate) fn story(s: &Story) -> StoryView {
    // Where the lead's text opens with its title (blurbs, headline-only
    // feeds), the summary would say it twice.
    let head = s.title.trim_end_matches(['…', '.', ' ']);
    let summary = if head.is_empty() || !s.summary.starts_with(head) {
        s.summary.clone()
    } else {
        String::new()
    };
    StoryView {
        id: s.id,
        title: s.title.clone(),
        summary,
        lang: s.lang.clone(),
        articles: s.articles,
        sources: s.sources,
        first: when(s.first_at),
        last: when(s.last_at),
        languages: 1,
    }
}

/// One language's share of an event: its story and how many articles.
#[derive(Debug, Serialize)]
pub(crate) struct Coverage {
    pub lang: String,
    pub story: i64,
    pub articles: i64,
}

/// An event's coverage per language, broadest first (stories of one
/// event are one per language).
pub(crate) fn coverage(event: &[Story]) -> Vec<Coverage> {
    let mut out: Vec<Coverage> = event
        .iter()
        .map(|s| Coverage {
            lang: s.lang.clone().unwrap_or_else(|| "?".into()),
            story: s.id,
            articles: s.articles,
        })
        .collect();
    out.sort_by(|a, b| b.articles.cmp(&a.articles).then(a.lang.cmp(&b.lang)));
    out
}

/// Top stories: [`courant_store::policy::rank_stories`].
pub(crate) fn rank(stories: &mut [Story], now: DateTime<Utc>) {
    courant_store::policy::rank_stories(stories, now);
}

/// One original on a story's timeline with the outlets that carried copies.
#[derive(Debug, Serialize)]
pub struct TimelineEntry {
    pub article: ArticleSummary,
    pub copies: Vec<ArticleSummary>,
}

/// Originals in time order, each with its copies.
pub(crate) fn timeline(members: &[Article], names: &Names) -> Vec<TimelineEntry> {
    let mut out: Vec<TimelineEntry> = Vec::new();
    let mut at: HashMap<i64, usize> = HashMap::new();
    for a in members.iter().filter(|a| a.duplicate_of.is_none()) {
        at.insert(a.id, out.len());
        out.push(TimelineEntry {
            article: summary(a, names),
            copies: Vec::new(),
        });
    }
    for a in members.iter().filter(|a| a.duplicate_of.is_some()) {
        match a.duplicate_of.and_then(|d| at.get(&d)) {
            // Each other outlet once: a feed may repeat an item under a new id.
            Some(&i) => {
                let e = &mut out[i];
                if a.source_id != e.article.source_id
                    && e.copies.iter().all(|c| c.source_id != a.source_id)
                {
                    e.copies.push(summary(a, names));
                }
            }
            // The original is gone (its source removed): the copy stands alone.
            None => out.push(TimelineEntry {
                article: summary(a, names),
                copies: Vec::new(),
            }),
        }
    }
    out.sort_by(|a, b| {
        a.article
            .published
            .cmp(&b.article.published)
            .then(a.article.id.cmp(&b.article.id))
    });
    out
}
