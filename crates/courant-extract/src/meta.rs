//! Page metadata: JSON-LD first (publishers fill it for search engines, so it
//! is the most careful copy), then `<meta>` tags, then the visible page.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use dom_query::{Document, NodeRef};
use serde_json::Value;

use courant_text::{decode_entities, squash, PLAUSIBLE_YEARS as YEARS};

use crate::date::parse_date;

/// Metadata read before the body is pruned.
#[derive(Debug, Default)]
pub(crate) struct Meta {
    pub title: Option<String>,
    pub authors: Vec<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub modified: Option<DateTime<FixedOffset>>,
    pub lang: Option<String>,
    pub site_name: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    pub image_caption: Option<String>,
    pub tags: Vec<String>,
    /// A date shown in a date element; the weakest evidence of publication.
    pub shown_date: Option<DateTime<FixedOffset>>,
    /// The body the page declares in JSON-LD (`articleBody`, or a how-to's or
    /// recipe's steps), as HTML: the fallback for pages whose markup holds
    /// little of it (script-rendered pages).
    pub declared_body: Option<String>,
    /// The ingredients and steps of a recipe the page declares in JSON-LD.
    pub recipe: Option<Recipe>,
}

/// A recipe's parts as declared, each one line of text.
#[derive(Debug, Default)]
pub(crate) struct Recipe {
    pub ingredients: Vec<String>,
    pub steps: Vec<String>,
}

/// Article types in JSON-LD, best first; a `WebPage` is used only when nothing better exists.
const ARTICLE_TYPES: &[&str] = &[
    "NewsArticle",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "LiveBlogPosting",
    "Article",
    "BlogPosting",
    "TechArticle",
    "ScholarlyArticle",
    "Report",
];

pub(crate) fn read(doc: &Document) -> Meta {
    let found = json_ld_objects(doc);
    let ld = best_article(&found);
    let mut m = Meta {
        declared_body: declared_body(&found),
        recipe: recipe(&found),
        ..Meta::default()
    };
    if let Some(a) = &ld {
        m.title = str_of(a.get("headline")).or_else(|| str_of(a.get("name")));
        m.authors = names(a.get("author"));
        m.published = ["datePublished", "uploadDate", "dateCreated"]
            .iter()
            .find_map(|k| str_of(a.get(*k)).and_then(|d| parse_date(&d)));
        m.modified = str_of(a.get("dateModified")).and_then(|d| parse_date(&d));
        m.description = str_of(a.get("description"));
        m.image = image_url(a.get("image"));
        m.site_name = a.get("publisher").and_then(|p| str_of(p.get("name")));
        m.lang = str_of(a.get("inLanguage"));
        m.tags = keywords(a.get("keywords"));
    }
    // One pass over <meta>: key (name, property or itemprop, lower case) to contents.
    let mut tags: Vec<(String, String)> = Vec::new();
    for n in doc.select("meta").nodes() {
        let Some(content) = n.attr("content") else {
            continue;
        };
        let content = squash(&decode_entities(&content));
        if content.is_empty() {
            continue;
        }
        for key in ["name", "property", "itemprop", "http-equiv"] {
            if let Some(k) = n.attr(key) {
                tags.push((k.trim().to_ascii_lowercase(), content.clone()));
            }
        }
    }
    let meta = |keys: &str| -> Option<String> {
        keys.split(' ').find_map(|k| {
            tags.iter()
                .find(|(key, _)| key == k)
                .map(|(_, c)| c.clone())
        })
    };
    if m.title.is_none() {
        m.title = meta("og:title twitter:title");
    }
    if m.authors.is_empty() {
        m.authors = meta("author parsely-author sailthru.author dc.creator dc.creator byl")
            .filter(|a| !a.starts_with("http"))
            .map(|a| split_names(&a))
            .unwrap_or_default();
    }
    if m.authors.is_empty() {
        m.authors = visible_byline(doc);
    }
    if m.published.is_none() {
        m.published = meta("article:published_time og:article:published_time datepublished parsely-pub-date date pubdate publishdate dc.date.issued dc.date dcterms.date dcterms.created sailthru.date citation_publication_date citation_date bepress_citation_date uploaddate datecreated")
            .and_then(|d| parse_date(&d))
            .or_else(|| {
                // Machine-readable dates on elements: <time datetime>,
                // microdata, the hAtom <abbr class="published" title>.
                doc.select("time[datetime], [itemprop=datePublished], abbr.published[title]")
                    .nodes()
                    .iter()
                    .flat_map(|n| ["datetime", "content", "title"].map(|a| n.attr(a)))
                    .flatten()
                    .find_map(|d| parse_date(&d))
            });
    }
    // Only the last fallback for the date: read it only when nothing else gave one.
    if m.published.is_none() {
        m.shown_date = visible_date(doc).or_else(|| date_near_title(doc));
    }
    if m.modified.is_none() {
        m.modified = meta("article:modified_time og:updated_time datemodified last-modified")
            .and_then(|d| parse_date(&d));
    }
    if m.description.is_none() {
        m.description = meta("description og:description");
    }
    if m.image.is_none() {
        m.image = meta("og:image twitter:image");
    }
    if m.site_name.is_none() {
        m.site_name = meta("og:site_name application-name");
    }
    if m.tags.is_empty() {
        let article_tags: Vec<String> = tags
            .iter()
            .filter(|(k, _)| k == "article:tag")
            .map(|(_, c)| c.clone())
            .collect();
        m.tags = if article_tags.is_empty() {
            meta("news_keywords keywords")
                .map(|k| split_list(&k))
                .unwrap_or_default()
        } else {
            article_tags
        };
    }
    if m.lang.is_none() {
        m.lang = doc
            .select("html")
            .attr("lang")
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .or_else(|| meta("content-language og:locale"));
    }
    m.image_caption = lead_caption(doc);
    m.tags.dedup();
    m.tags.truncate(30);
    m
}

/// A byline the page shows but does not declare, read before pruning removes it.
fn visible_byline(doc: &Document) -> Vec<String> {
    // As `[itemprop=author] [itemprop=name], [itemprop=author], a[rel=author],
    // [class*=author-name], [class*=byline__name], [class~=byline], [class~=author]`.
    let byline = |n: &NodeRef<'_>| {
        crate::dom::attr_is(n, "itemprop", |v| v == "author")
            || (crate::dom::attr_is(n, "itemprop", |v| v == "name")
                && n.ancestors_it(None)
                    .any(|a| crate::dom::attr_is(&a, "itemprop", |v| v == "author")))
            || (n.has_name("a") && crate::dom::attr_is(n, "rel", |v| v == "author"))
            || crate::dom::attr_is(n, "class", |c| {
                c.contains("author-name")
                    || c.contains("byline__name")
                    || c.split_ascii_whitespace()
                        .any(|w| w == "byline" || w == "author")
            })
    };
    for node in crate::dom::elements(&doc.root())
        .iter()
        .filter(|n| byline(n))
    {
        let text = squash(&node.text());
        if text.is_empty() || text.chars().count() > 80 {
            continue;
        }
        let names = split_names(&text);
        // A name is a few words, not a sentence or a date line.
        if !names.is_empty()
            && names.iter().all(|n| {
                let words = n.split_whitespace().count();
                (1..=4).contains(&words) && !n.chars().any(|c| c.is_ascii_digit())
            })
        {
            return names;
        }
    }
    Vec::new()
}

/// A date the page shows in a date element (see [`date_in_text`]).
fn visible_date(doc: &Document) -> Option<DateTime<FixedOffset>> {
    // As `time, [class*=date], [class*=Date], [itemprop=datePublished],
    // [class*=publish], [class*=posted], [class*=meta], [class*=byline],
    // [class*=submitted]`, the first 40 in document order.
    const CLASS_PARTS: &[&str] = &[
        "date",
        "Date",
        "publish",
        "posted",
        "meta",
        "byline",
        "submitted",
    ];
    crate::dom::elements(&doc.root())
        .into_iter()
        .filter(|n| {
            n.has_name("time")
                || crate::dom::attr_is(n, "itemprop", |v| v == "datePublished")
                || crate::dom::attr_is(n, "class", |c| CLASS_PARTS.iter().any(|p| c.contains(p)))
        })
        .take(40)
        .find_map(|n| {
            let text = n.text();
            (text.len() <= 200).then(|| date_in_text(&text)).flatten()
        })
}

/// A date shown just above or below the page's `<h1>`, in no date element.
fn date_near_title(doc: &Document) -> Option<DateTime<FixedOffset>> {
    let h1 = squash(&doc.select("h1").first().text());
    if h1.len() < 10 {
        return None;
    }
    let body = squash(&doc.select("body").text());
    let at = body.find(&h1)?;
    let from = body.floor_char_boundary(at.saturating_sub(NEAR_TITLE_BEFORE));
    let to = body.floor_char_boundary(at + h1.len() + NEAR_TITLE_AFTER);
    date_in_text(&body[from..to])
}

/// Bytes of page text before and after the `<h1>` searched for a shown date.
const NEAR_TITLE_BEFORE: usize = 200;
const NEAR_TITLE_AFTER: usize = 600;

/// The first date in a short text: `dd.mm.yyyy`, `yyyy-mm-dd`, or with the
/// month's name: `21. April 2020`, `8 January 2020`, `April 19, 2019`,
/// `3 de mayo de 2022`.
pub(crate) fn date_in_text(text: &str) -> Option<DateTime<FixedOffset>> {
    let numeric = numeric_date(text);
    let named = named_date(text);
    let (_, date) = match (numeric, named) {
        (Some(a), Some(b)) => {
            if a.0 <= b.0 {
                a
            } else {
                b
            }
        }
        (a, b) => a.or(b)?,
    };
    date.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().fixed_offset())
}

/// The first `dd.mm.yyyy` or `yyyy-mm-dd`, with its byte offset.
fn numeric_date(text: &str) -> Option<(usize, NaiveDate)> {
    let b = text.as_bytes();
    let digits = |i: usize, n: usize| -> Option<u32> {
        let s = text.get(i..i + n)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    for i in 0..b.len() {
        if i > 0 && b[i - 1].is_ascii_digit() {
            continue;
        }
        let ymd = if let (Some(d), Some(m), Some(y)) =
            (digits(i, 2), digits(i + 3, 2), digits(i + 6, 4))
        {
            (b.get(i + 2) == Some(&b'.') && b.get(i + 5) == Some(&b'.')).then_some((y, m, d))
        } else if let (Some(y), Some(m), Some(d)) =
            (digits(i, 4), digits(i + 5, 2), digits(i + 8, 2))
        {
            (b.get(i + 4) == Some(&b'-') && b.get(i + 7) == Some(&b'-')).then_some((y, m, d))
        } else {
            None
        };
        let Some((y, m, d)) = ymd else { continue };
        match NaiveDate::from_ymd_opt(y as i32, m, d) {
            Some(date) if YEARS.contains(&date.year()) => return Some((i, date)),
            _ => continue,
        }
    }
    None
}

/// Month names and abbreviations (en, de, fr, es, it, pt, nl), lower case, with their number.
const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("januar", 1),
    ("jänner", 1),
    ("janvier", 1),
    ("enero", 1),
    ("gennaio", 1),
    ("janeiro", 1),
    ("januari", 1),
    ("february", 2),
    ("feb", 2),
    ("februar", 2),
    ("février", 2),
    ("febrero", 2),
    ("febbraio", 2),
    ("fevereiro", 2),
    ("februari", 2),
    ("march", 3),
    ("mar", 3),
    ("märz", 3),
    ("mär", 3),
    ("mars", 3),
    ("marzo", 3),
    ("março", 3),
    ("maart", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("abril", 4),
    ("aprile", 4),
    ("may", 5),
    ("mai", 5),
    ("mayo", 5),
    ("maggio", 5),
    ("maio", 5),
    ("mei", 5),
    ("june", 6),
    ("jun", 6),
    ("juni", 6),
    ("juin", 6),
    ("junio", 6),
    ("giugno", 6),
    ("junho", 6),
    ("july", 7),
    ("jul", 7),
    ("juli", 7),
    ("juillet", 7),
    ("julio", 7),
    ("luglio", 7),
    ("julho", 7),
    ("august", 8),
    ("aug", 8),
    ("août", 8),
    ("agosto", 8),
    ("augustus", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("settembre", 9),
    ("setembro", 9),
    ("october", 10),
    ("oct", 10),
    ("oktober", 10),
    ("okt", 10),
    ("octobre", 10),
    ("octubre", 10),
    ("ottobre", 10),
    ("outubro", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("noviembre", 11),
    ("novembro", 11),
    ("december", 12),
    ("dec", 12),
    ("dezember", 12),
    ("dez", 12),
    ("décembre", 12),
    ("diciembre", 12),
    ("dicembre", 12),
    ("dezembro", 12),
];

/// The first date written with the month's name, with its byte offset:
/// day-month-year (an optional `de` between) or month-day-year.
fn named_date(text: &str) -> Option<(usize, NaiveDate)> {
    // Words and numbers with their offsets; punctuation separates them.
    let mut tokens: Vec<(usize, &str)> = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (start, c.is_alphanumeric()) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                tokens.push((s, &text[s..i]));
                start = None;
                if tokens.len() > 400 {
                    break;
                }
            }
            _ => {}
        }
    }
    let month = |t: &str| -> Option<u32> {
        if t.len() > 10 || !t.chars().next()?.is_alphabetic() {
            return None;
        }
        let t = t.to_lowercase();
        MONTHS.iter().find(|(n, _)| *n == t).map(|&(_, m)| m)
    };
    let number = |t: &str, max: u32| -> Option<u32> {
        (t.len() <= 4 && t.bytes().all(|c| c.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
            .filter(|n| (1..=max).contains(n))
    };
    let year = |t: &str| -> Option<i32> {
        (t.len() == 4)
            .then(|| number(t, 9999))
            .flatten()
            .map(|y| y as i32)
            .filter(|y| YEARS.contains(y))
    };
    let de = |t: &str| t.eq_ignore_ascii_case("de");
    for (k, &(at, t)) in tokens.iter().enumerate() {
        let next = |j: usize| tokens.get(k + j).map(|x| x.1);
        let ymd = if let Some(d) = number(t, 31) {
            // 21. April 2020, 3 de mayo de 2022
            let mut j = 1;
            if next(j).is_some_and(de) {
                j += 1;
            }
            let m = next(j).and_then(month);
            j += 1;
            if next(j).is_some_and(de) {
                j += 1;
            }
            m.zip(next(j).and_then(year)).map(|(m, y)| (y, m, d))
        } else if let Some(m) = month(t) {
            // April 19, 2019
            next(1)
                .and_then(|d| number(d, 31))
                .zip(next(2).and_then(year))
                .map(|(d, y)| (y, m, d))
        } else {
            None
        };
        if let Some(date) = ymd.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)) {
            return Some((at, date));
        }
    }
    None
}

/// The first figure caption of the article, kept apart from the body.
fn lead_caption(doc: &Document) -> Option<String> {
    // As `figure figcaption`: the first in document order.
    let caption = crate::dom::elements(&doc.root())
        .into_iter()
        .find(|n| n.has_name("figcaption") && n.ancestors_it(None).any(|a| a.has_name("figure")))?;
    let text = squash(&caption.text());
    (!text.is_empty() && text.len() < 1000).then_some(text)
}

/// Every typed object in the page's JSON-LD blocks.
fn json_ld_objects(doc: &Document) -> Vec<Value> {
    let mut found: Vec<Value> = Vec::new();
    for node in crate::dom::elements(&doc.root()).iter().filter(|n| {
        n.has_name("script") && crate::dom::attr_is(n, "type", |t| t == "application/ld+json")
    }) {
        let raw = node.text();
        // Pages often end a block with a stray comma or wrap it in CDATA; skip what does not parse.
        let raw = raw
            .trim()
            .trim_start_matches("<![CDATA[")
            .trim_end_matches("]]>");
        if let Ok(v) = serde_json::from_str::<Value>(raw) {
            collect(&v, &mut found, 0);
        }
    }
    found
}

/// The best article object among them.
fn best_article(found: &[Value]) -> Option<&Value> {
    found
        .iter()
        .filter_map(|v| Some((type_rank(v)?, v)))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, v)| v)
}

/// Steps read from one how-to or recipe, against hostile nesting and length.
const MAX_STEPS: usize = 200;

/// The longest body declared in JSON-LD, as HTML.
fn declared_body(found: &[Value]) -> Option<String> {
    let mut best: Option<String> = None;
    for v in found {
        let mut parts: Vec<&str> = Vec::new();
        if let Some(Value::String(b)) = v.get("articleBody") {
            parts.push(b);
        } else if let Some(list) = v.get("step").or_else(|| v.get("recipeInstructions")) {
            if let Some(Value::String(d)) = v.get("description") {
                parts.push(d);
            }
            steps(list, &mut parts, 0);
        }
        let html: String = parts.iter().map(|p| as_html(p)).collect();
        if html.len() > best.as_ref().map_or(0, String::len) {
            best = Some(html);
        }
    }
    best
}

/// The first recipe declared with ingredients or steps.
fn recipe(found: &[Value]) -> Option<Recipe> {
    found.iter().find_map(|v| {
        let mut ingredients = Vec::new();
        steps(v.get("recipeIngredient")?, &mut ingredients, 0);
        let mut list = Vec::new();
        if let Some(s) = v.get("recipeInstructions") {
            steps(s, &mut list, 0);
        }
        let line = |s: &&str| squash(s);
        let r = Recipe {
            ingredients: ingredients
                .iter()
                .map(line)
                .filter(|s| !s.is_empty())
                .collect(),
            steps: list.iter().map(line).filter(|s| !s.is_empty()).collect(),
        };
        (!r.ingredients.is_empty()).then_some(r)
    })
}

/// The texts of a step list: strings, `HowToStep`s, `HowToSection`s of steps.
fn steps<'v>(v: &'v Value, out: &mut Vec<&'v str>, depth: usize) {
    if depth > 4 || out.len() >= MAX_STEPS {
        return;
    }
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| steps(i, out, depth + 1)),
        Value::Object(o) => {
            if let Some(Value::String(t)) = o.get("text") {
                out.push(t);
            } else if let Some(items) = o.get("itemListElement") {
                steps(items, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// A declared text as HTML for the sanitizer: block markup stays as it is;
/// otherwise (plain text, or text with inline tags) each line is a paragraph.
fn as_html(text: &str) -> String {
    const BLOCKS: &[&str] = &["<p", "<P", "<br", "<BR", "<div", "<li", "<h2", "<h3"];
    if BLOCKS.iter().any(|b| text.contains(b)) {
        return format!("<div>{text}</div>\n");
    }
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("<p>{l}</p>\n"))
        .collect()
}

fn collect(v: &Value, out: &mut Vec<Value>, depth: usize) {
    if depth > 4 {
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| collect(i, out, depth + 1)),
        Value::Object(o) => {
            if let Some(g) = o.get("@graph") {
                collect(g, out, depth + 1);
            }
            if o.contains_key("@type") {
                out.push(v.clone());
            }
        }
        _ => {}
    }
}

fn type_rank(v: &Value) -> Option<usize> {
    let types: Vec<&str> = match v.get("@type")? {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    types
        .iter()
        .filter_map(|t| ARTICLE_TYPES.iter().position(|a| a == t))
        .min()
        .or_else(|| types.contains(&"WebPage").then_some(ARTICLE_TYPES.len()))
}

fn str_of(v: Option<&Value>) -> Option<String> {
    let s = match v? {
        Value::String(s) => s.clone(),
        Value::Array(a) => return str_of(a.first()),
        Value::Object(o) => return str_of(o.get("name").or_else(|| o.get("@value"))),
        _ => return None,
    };
    let s = squash(&decode_entities(&s));
    (!s.is_empty()).then_some(s)
}

fn names(v: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    match v {
        Some(Value::Array(a)) => a.iter().for_each(|x| out.extend(names(Some(x)))),
        Some(Value::Object(o)) => {
            if let Some(n) = str_of(o.get("name")) {
                out.push(n);
            }
        }
        Some(Value::String(s)) => out.extend(split_names(s)),
        _ => {}
    }
    out.retain(|n| !n.starts_with("http") && n.chars().count() < 100);
    out.dedup();
    out
}

/// "By A, B and C" to its names.
pub(crate) fn split_names(s: &str) -> Vec<String> {
    let s = squash(s);
    let s = strip_byline_label(&s);
    s.split([',', ';', '|', '&'])
        .flat_map(|p| p.split(" and ").flat_map(|q| q.split(" und ")))
        .map(|n| n.trim_matches(|c: char| c.is_whitespace() || NAME_EDGE.contains(c)))
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect()
}

/// Punctuation that frames a name in a byline ("~ Cem Basman", "Robert -").
const NAME_EDGE: &str = "~-–—:·•";

/// Labels that lead a byline, longest first (lower case).
const BYLINE_LABELS: &[&str] = &[
    "veröffentlicht von",
    "geschrieben von",
    "written by",
    "posted by",
    "published by",
    "publié par",
    "author:",
    "autor:",
    "author",
    "autor",
    "by",
    "von",
    "vom",
    "par",
    "por",
];

/// `s` without a leading "By", "Author:", "Veröffentlicht von" and the like.
/// A label glued to the name ("AuthorJane Doe": two elements' texts joined)
/// goes too, when a capital follows it.
fn strip_byline_label(s: &str) -> &str {
    let s = s.trim_start_matches(|c: char| c.is_whitespace() || NAME_EDGE.contains(c));
    for label in BYLINE_LABELS {
        let Some(head) = s.get(..label.len()) else {
            continue;
        };
        if !head.to_lowercase().eq(label) {
            continue;
        }
        let rest = &s[label.len()..];
        match rest.chars().next() {
            Some(c) if c.is_whitespace() || c == ':' || c.is_uppercase() => {
                return rest.trim_start_matches(|c: char| c.is_whitespace() || c == ':');
            }
            _ => {}
        }
    }
    s
}

fn split_list(s: &str) -> Vec<String> {
    s.split([',', ';'])
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn keywords(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => split_list(s),
        Some(Value::Array(a)) => a.iter().filter_map(|x| str_of(Some(x))).collect(),
        _ => Vec::new(),
    }
}

fn image_url(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => image_url(a.first()),
        Value::Object(o) => o
            .get("url")
            .or_else(|| o.get("contentUrl"))
            .and_then(|u| image_url(Some(u))),
        _ => None,
    }
}
