//! An article page to its text and metadata.
//!
//! `dom_smoothie` (a Readability.js port on html5ever) picks the content block.
//! Around it, courant reads the metadata itself (`meta`), prunes furniture
//! before the pick and drops furniture paragraphs after it (`prune`), falls
//! back to the page's prose when the pick is far too small, and bounds and
//! sanitizes everything. The measured reasons are below; the figures are in
//! BENCHMARKS.md.
//!
//! # Steps
//!
//! `article(html, url) -> Extracted` (title, text as paragraphs, sanitized
//! HTML, authors, dates with the page's offset, declared language, canonical
//! URL, site name, description, tags, lead image and its caption apart from the
//! body). Steps, in `lib.rs`: bounds, `strip::inert` (a byte scan that drops
//! scripts other than JSON-LD, styles, SVG, `<noscript>` (only its tags when it
//! holds paragraphs: some blogs put the post nowhere else), `<template>` and
//! comments, about 60% of a news page's bytes, before html5ever sees them), one
//! html5ever parse, `meta::read` (JSON-LD, then `<meta>`, then machine-readable
//! dates on elements, then a date the page shows in a date element or near the
//! `<h1>`, numeric or with the month's name in seven languages; byline labels
//! such as "Author" or "Veröffentlicht von" are cut from names),
//! `prune::furniture` (markup-level furniture out: ruby readings, consent
//! banners and reader-comment threads even when they hold long paragraphs,
//! except on a discussion page, where comments hold twice the paragraph text
//! outside them and that is under 500 bytes (forum threads), sign-up forms with
//! an e-mail field unless they wrap the page, ranking and related boxes; a
//! declared article body, `[itemprop=articleBody]` or a CMS body class, and its
//! ancestors always stay), `dom_smoothie` picks the content block,
//! `prune::harvest` is the fallback when that block is far smaller than the
//! page's prose (or when none is found), `prune::parts` mends a pick that holds
//! one part of an article cut into parts (sibling `<div>`s, `<section>`s or
//! `<article>`s of one class, each with prose, with ads or sign-up boxes
//! between them, as Postmedia's papers print a story): the parts the pick lacks
//! that hold two paragraphs of 80 bytes or more join it in page order, and a
//! part whose headings or text sit in links (a teaser card) never does, the
//! lead (one to five prose blocks between the page's `<h1>` and the first block
//! the pick holds, each of 80 characters or more: a standfirst or lead
//! paragraph printed above the container Readability picked) goes before it,
//! `prune::loose` (the leaf `<div>`s, list items and cells) the last one for
//! pages with next to no paragraphs (recipes, shops, forum threads of `<div>`s
//! and `<br>`s), used when the text is empty or under the same share of it, a
//! standfirst that repeats the page's description leads the body when the pick
//! lacks it, the body declared in JSON-LD (`articleBody`, or a how-to's or
//! recipe's steps: `meta::declared_body`) replaces the text when the text is
//! under half of it (script-rendered pages, whose markup is an empty mount
//! point), a declared recipe's ingredients or steps (`meta::Recipe`, from
//! `recipeIngredient` and `recipeInstructions`) close the body as lists when
//! the text holds fewer than half of them (a recipe widget apart from the
//! prose), and `body` drops furniture paragraphs, blocks that are one link
//! (teaser headlines) and every repeat of a short line after its first (a
//! widget label per section), then what that leaves behind (`loose_ends`: a
//! heading of 80 bytes or less, not a sentence, followed by nothing or by a
//! heading of its rank or higher, the label of a related-links box whose links
//! are gone; short lines of 40 bytes or less, not sentences, at the very end or
//! before the first sentence or heading, where list items, cells and images
//! stop the cut because their short lines are data, and a body of nothing but
//! short lines keeps them), then gives the HTML and the text from the same
//! tree. Before judging, each run of loose text between blocks in a container
//! (old markup: a label in a `<div>`, the entry as bare text after it) is
//! wrapped in a `<p>`, two `<br>`s in a row ending a run, so it is judged and
//! shown as the paragraph a browser shows, and the text never lacks what the
//! HTML shows (a `<br>` is a line break in the text, never nothing, so the
//! words on either side stay apart; a line break in the markup is a space,
//! except in `<pre>`; the text-level rules come from
//! `courant_clean::is_furniture`, so extractor and checker share one list).
//! `sanitize::html` is the only sanitizer. `courant extract` (CLI) and the
//! pipeline call the same `article`. Code that looks at every element of the
//! page walks `elements()` (document order) and tests tag names and attributes
//! itself, with the selector it stands for in a comment: CSS selector lists
//! matched against every element were 15% of extraction in a profile. The
//! substring lists tested on every paragraph (disclaimers, credit words) and
//! every class string (furniture, consent and comment parts) are one
//! Aho-Corasick automaton each.
//!
//! # Why dom_smoothie and own code around it
//!
//! Measured with `bench/extraction.sh` (figures in BENCHMARKS.md) against
//! trafilatura 2.3.1 in the same run. `dom_smoothie` alone (Readability.js on
//! html5ever) scored body F1 0.914 on fundus and 0.880 on trafilatura-eval
//! against trafilatura's 0.950 and 0.926; Readability keeps whatever sits in
//! its chosen container (captions, share bars, subscription boxes, "read also"
//! teasers) and sometimes picks a teaser block. The own code removes
//! markup-level furniture before scoring (tag, role, class and id words; an
//! element holding two paragraphs of 150+ characters is always kept, because
//! layout classes such as `sidebar-grid__content` wrap real articles), falls
//! back to the page's prose when the pick is under 30% of it, and drops
//! furniture paragraphs afterwards. Metadata is read by courant (JSON-LD first)
//! because Readability's was wrong for a quarter of the fundus titles and
//! authors. Not chosen: the `trafilatura` crate (a port: slower than
//! dom_smoothie by the issue's own figures, 177 against 381 pages/s) and
//! `rs-trafilatura`. html5ever's parse is the largest share of courant's time
//! (profiles in BENCHMARKS.md), so speed is reported as a ratio to trafilatura.
//! The inert-part scan in `strip.rs` is own code (70 lines over `memchr`)
//! because the parse is the largest cost and a streaming rewriter such as
//! `lol_html` would tokenize the page once more to do the same; its mistakes
//! can only lose markup, never let anything through, since everything is
//! sanitized afterwards. A maximum-sum "main region" scorer (prose characters
//! for, furniture characters against, summed up the tree) was measured as a
//! replacement and as an expansion of the pick and dropped: 0.895 / 0.863
//! alone, and no rule mixing it with the pick beat the pick (BENCHMARKS.md).
//! Bounds: html5ever's tree builder is quadratic in nesting depth (20,000
//! nested divs took 112 s in a debug build), so markup nested deeper than 3,000
//! container tags is refused before parsing and deeper than 400 elements before
//! scoring; pages are cut at 3 MiB. A cargo-fuzz target
//! (`crates/courant-extract/fuzz`, its own workspace, nightly only) runs decode
//! + extract on any bytes.
//!
//! # Why ammonia
//!
//! Allow-list over html5ever; relative URLs are resolved against the page or
//! dropped; links get `rel="nofollow noopener noreferrer"`.
#![warn(missing_docs)]

mod meta;
mod prune;
pub mod sanitize;
mod strip;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use courant_text::{escape_text, squash};
use serde::Serialize;

/// Pages larger than this are cut before parsing (bounded time and memory).
pub const MAX_HTML_BYTES: usize = 3 * 1024 * 1024;
/// Deepest element nesting accepted; real pages stay far below 100.
pub const MAX_DEPTH: usize = 400;
/// Nesting of container tags in the raw markup above which parsing is refused.
pub const MAX_RAW_DEPTH: usize = 3000;
/// The content pick is replaced by the page's prose when it holds less than
/// this share of it (0.2 to 0.45 score within 0.004 on both benchmark sets).
const HARVEST_RATIO: f64 = 0.3;
/// Link share at which a leaf block of the picked content counts as a teaser.
const LINKED_BLOCK: f64 = 0.9;
/// Bytes under which a line that recurs in the picked content is furniture.
const REPEATED_LINE: usize = 200;
/// Prose length under which the page's leaf blocks are kept as the last fallback.
const LOOSE_BELOW: usize = 500;
/// Most blocks between the title and the pick that are taken as its lead.
const LEAD_MAX: usize = 5;
/// Shortest block taken into a lead: bylines, dates and labels are shorter.
const LEAD_MIN: usize = 80;
/// Longest heading that can be an orphan: a box's label, not a standfirst.
const ORPHAN_HEADING_MAX: usize = 80;
/// Longest line at either end of the body that can be a leftover label.
const TRAILING_LABEL_MAX: usize = 40;
/// Blocks whose short lines are data, not labels.
const DATA_BLOCKS: &[&str] = &["img", "li", "td", "th", "dd", "dt"];
/// The extracted text is replaced by the JSON-LD `articleBody` (or steps)
/// when it is shorter than this share of it.
const DECLARED_RATIO: f64 = 0.5;
/// Elements parsed at most; a page with more is refused.
pub const MAX_ELEMENTS: usize = 200_000;

/// What was extracted from a page.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Extracted {
    /// Article title.
    pub title: String,
    /// Body as plain text, paragraphs separated by blank lines.
    pub text: String,
    /// Body as sanitized HTML.
    pub html: String,
    /// Authors, in page order.
    pub authors: Vec<String>,
    /// Publication time, with the offset the page gave.
    pub published: Option<DateTime<FixedOffset>>,
    /// Last modification time, with the offset the page gave.
    pub modified: Option<DateTime<FixedOffset>>,
    /// Language the page declares.
    pub lang: Option<String>,
    /// Canonical URL the page declares.
    pub canonical_url: Option<String>,
    /// Site name.
    pub site_name: Option<String>,
    /// Description / excerpt.
    pub description: Option<String>,
    /// Lead image URL.
    pub image: Option<String>,
    /// Caption of the lead image, kept apart from the body.
    pub image_caption: Option<String>,
    /// Tags and keywords the page declares.
    pub tags: Vec<String>,
}

/// Why no article came out of a page.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The page has no content at all.
    #[error("extract: empty page")]
    Empty,
    /// No block of text looked like an article.
    #[error("extract: no article content found")]
    NoContent,
    /// Elements nest deeper than [`MAX_DEPTH`].
    #[error("extract: page nested too deeply (over {0} levels)")]
    TooDeep(usize),
    /// The page has more elements than [`MAX_ELEMENTS`].
    #[error("extract: page too complex ({0} elements)")]
    TooComplex(usize),
}

/// Extracts the article from `html`. `url` resolves relative links.
pub fn article(html: &str, url: Option<&str>) -> Result<Extracted, Error> {
    if html.trim().is_empty() {
        return Err(Error::Empty);
    }
    let html = &html[..html.floor_char_boundary(MAX_HTML_BYTES)];
    let stripped = strip::inert(html);
    let html = &*stripped;
    // Only web URLs resolve links; Readability refuses any other base.
    let url =
        url.filter(|u| url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")));
    let cfg = dom_smoothie::Config {
        max_elements_to_parse: MAX_ELEMENTS,
        // courant reads JSON-LD itself (meta.rs), before pruning.
        disable_json_ld: true,
        ..dom_smoothie::Config::default()
    };
    // The HTML tree builder itself is quadratic in nesting depth; refuse before parsing.
    if raw_nesting_exceeds(html, MAX_RAW_DEPTH) {
        return Err(Error::TooDeep(MAX_RAW_DEPTH));
    }
    let doc = dom_query::Document::from(html);
    // Readability scores walk ancestors, which is quadratic on pathological nesting.
    let depth = max_depth(&doc, MAX_DEPTH);
    if depth > MAX_DEPTH {
        return Err(Error::TooDeep(depth));
    }
    let meta = meta::read(&doc);
    let declared_canonical = canonical(&doc, url);
    prune::furniture(&doc);
    let harvest = prune::harvest(&doc);
    let parts = prune::parts(&doc);
    // Next to no paragraphs: keep the page's leaf blocks in case nothing else is left.
    let loose = (harvest.len < LOOSE_BELOW).then(|| prune::loose(&doc));
    let mut r = dom_smoothie::Readability::with_document(doc, url, Some(cfg))
        .map_err(|_| Error::NoContent)?;
    // No block scored as an article (short pages, odd markup): the page's prose
    // is the article, as it is when the pick is much smaller than that prose.
    let a = match r.parse() {
        Ok(a) => a,
        Err(dom_smoothie::ReadabilityError::TooManyElements(n, _)) => {
            return Err(Error::TooComplex(n))
        }
        Err(_)
            if harvest.len > 0
                || loose.as_ref().is_some_and(|l| l.len > 0)
                || meta.declared_body.is_some() =>
        {
            dom_smoothie::Article {
                title: r.get_article_title().to_string(),
                byline: None,
                content: Default::default(),
                text_content: Default::default(),
                length: 0,
                excerpt: None,
                site_name: None,
                dir: None,
                lang: None,
                published_time: None,
                modified_time: None,
                image: None,
                favicon: None,
                url: None,
            }
        }
        Err(_) => return Err(Error::NoContent),
    };
    let canonical_url = declared_canonical.or(a.url.filter(|u| u.starts_with("http")));
    let mut authors = meta.authors;
    if authors.is_empty() {
        authors = a
            .byline
            .as_deref()
            .map(meta::split_names)
            .unwrap_or_default();
    }
    let title = meta
        .title
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| squash(&a.title));
    // Every candidate body is sanitized and cleaned the same way.
    let judge = |html: &str| body(&sanitize::html(html, url), &title, &authors);
    let (mut clean_html, mut text) = judge(&a.content);
    // Readability picked a block much smaller than the page's prose: a
    // wrong pick (a teaser, a comment), so take the prose itself.
    if (text.len() as f64) < HARVEST_RATIO * harvest.len as f64 {
        (clean_html, text) = judge(&harvest.html);
    }
    // The pick is one part of an article cut into parts: the other parts
    // join it, in page order.
    if let Some(whole) = rejoin(&parts, &text, &clean_html) {
        (clean_html, text) = judge(&whole);
    }
    // The lead often sits between the title and the content container.
    if let Some(lead) = lead(&harvest, &text) {
        (clean_html, text) = judge(&format!("{lead}{clean_html}"));
    }
    // The standfirst often sits above the content container. When the page
    // shows its description as a paragraph the pick lacks, it leads the body.
    if let Some(lead) = meta
        .description
        .as_deref()
        .and_then(|d| standfirst(d, &harvest.blocks))
    {
        if !text.contains(&lead[..lead.floor_char_boundary(60)]) {
            clean_html = format!("<p>{}</p>\n{clean_html}", escape_text(lead));
            text = format!("{lead}\n\n{text}");
        }
    }
    // The page declares a body in JSON-LD much longer than what its markup
    // gave: a script-rendered page, whose text is in the declaration only.
    // (Its markup is longer than its text: most pages skip the second parse.)
    if let Some(declared) = meta
        .declared_body
        .as_deref()
        .filter(|d| (text.len() as f64) < DECLARED_RATIO * d.len() as f64)
    {
        let (h, t) = judge(declared);
        if (text.len() as f64) < DECLARED_RATIO * t.len() as f64 {
            (clean_html, text) = (h, t);
        }
    }
    // A recipe whose ingredients or steps the text lacks (they sit in a
    // widget apart from the prose): the declared ones close the body.
    if let Some(missing) = meta.recipe.as_ref().and_then(|r| recipe_missing(r, &text)) {
        (clean_html, text) = judge(&format!("{clean_html}\n{missing}"));
    }
    // On a page of next to no paragraphs, a text much shorter than its leaf
    // blocks (the same share as for the prose) is a wrong pick too: a forum
    // thread written in <div>s and <br>s, of which Readability took one reply.
    if let Some(l) = loose.filter(|l| l.len > 0) {
        if text.trim().is_empty() || (text.len() as f64) < HARVEST_RATIO * l.len as f64 {
            (clean_html, text) = body(&l.html, &title, &authors);
        }
    }
    if text.trim().is_empty() {
        return Err(Error::NoContent);
    }
    Ok(Extracted {
        title,
        text,
        html: clean_html,
        authors,
        published: meta
            .published
            .or_else(|| a.published_time.as_deref().and_then(parse_date))
            .or_else(|| url.and_then(date_in_url))
            .or(meta.shown_date),
        modified: meta
            .modified
            .or_else(|| a.modified_time.as_deref().and_then(parse_date)),
        lang: meta
            .lang
            .or(a.lang)
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty()),
        canonical_url,
        site_name: meta.site_name.or(a.site_name),
        description: meta
            .description
            .or(a.excerpt)
            .map(|e| squash(&e))
            .filter(|e| !e.is_empty() && !e.starts_with("By ")),
        image: meta
            .image
            .or(a.image)
            .and_then(|u| absolute(&u, url))
            .filter(|u| u.starts_with("http")),
        image_caption: meta.image_caption,
        tags: meta.tags,
    })
}

/// The prose block that repeats the page's description, if there is one.
/// Share of a part's blocks the pick must hold to count as that part.
const PART_IN_PICK: f64 = 0.5;
/// Paragraphs of 80 bytes or more a missing part needs to be added: a
/// teaser (headline and one summary) or a promotion box has fewer.
const PART_MIN_PARAGRAPHS: usize = 2;

/// The whole article when `text` (the pick) holds one part of a group from
/// [`prune::parts`] and misses others: the missing parts' prose around the
/// pick's HTML, in page order. `None` when no group fits.
fn rejoin(groups: &[Vec<prune::Harvest>], text: &str, html: &str) -> Option<String> {
    if groups.is_empty() {
        return None;
    }
    let held = Held::new(groups.iter().flatten().flat_map(|p| &p.blocks), text)?;
    let held = |b: &String| held.has(b);
    for parts in groups {
        let share: Vec<f64> = parts
            .iter()
            .map(|p| p.blocks.iter().filter(|b| held(b)).count() as f64 / p.blocks.len() as f64)
            .collect();
        let Some(first_in) = share.iter().position(|&s| s >= PART_IN_PICK) else {
            continue;
        };
        let missing = |i: usize| {
            share[i] == 0.0
                && parts[i].blocks.iter().filter(|b| b.len() >= 80).count() >= PART_MIN_PARAGRAPHS
        };
        if !(0..parts.len()).any(missing) {
            continue;
        }
        let mut whole = String::new();
        for (i, p) in parts.iter().enumerate() {
            if i == first_in {
                whole.push_str(html);
            } else if missing(i) {
                whole.push_str(&p.html);
            }
        }
        return Some(whole);
    }
    None
}

/// Which of some blocks the pick holds, judged by each block's first 48
/// bytes without whitespace (a `<br>` is a space in the pick's text and
/// nothing in a block's), all looked for in one pass over the pick: a search
/// through the pick per block is quadratic on a page of many blocks.
struct Held {
    prefixes: Vec<String>,
    found: Vec<bool>,
}

impl Held {
    fn new<'a>(blocks: impl IntoIterator<Item = &'a String>, text: &str) -> Option<Self> {
        let mut prefixes: Vec<String> = blocks.into_iter().map(|b| Self::prefix(b)).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        // Built per page for one scan: a DFA's build costs more than it saves.
        let ac = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::NoncontiguousNFA))
            .build(&prefixes)
            .ok()?;
        let mut found = vec![false; prefixes.len()];
        let pick: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        for m in ac.find_overlapping_iter(&pick) {
            found[m.pattern().as_usize()] = true;
        }
        Some(Self { prefixes, found })
    }

    fn prefix(b: &str) -> String {
        let mut out = String::new();
        for c in b.chars().filter(|c| !c.is_whitespace()) {
            if out.len() + c.len_utf8() > 48 {
                break;
            }
            out.push(c);
        }
        out
    }

    fn has(&self, b: &str) -> bool {
        let p = Self::prefix(b);
        self.prefixes.binary_search(&p).is_ok_and(|i| self.found[i])
    }
}

/// The prose blocks between the page's title (its `<h1>`) and the first
/// block the pick holds, as HTML, when there are one to `LEAD_MAX` of them:
/// a standfirst, a lead paragraph or a subtitle printed above the container
/// that Readability picked.
fn lead(harvest: &prune::Harvest, text: &str) -> Option<String> {
    let from = harvest.title_at?;
    // Only the first block held within reach matters.
    let reach = harvest.blocks.len().min(from + LEAD_MAX + 1);
    let held = Held::new(&harvest.blocks[from..reach], text)?;
    let first = (from..reach).find(|&i| held.has(&harvest.blocks[i]))?;
    if first == from {
        return None;
    }
    let html: String = (from..first)
        .filter(|&i| harvest.blocks[i].chars().count() >= LEAD_MIN)
        .map(|i| &harvest.html[harvest.spans[i].clone()])
        .collect();
    (!html.is_empty()).then_some(html)
}

/// The parts of a declared recipe the text holds fewer than half of, as
/// HTML lists: the ingredients, then the steps.
fn recipe_missing(recipe: &meta::Recipe, text: &str) -> Option<String> {
    let mut out = String::new();
    for (items, tag) in [(&recipe.ingredients, "ul"), (&recipe.steps, "ol")] {
        if items.is_empty() {
            continue;
        }
        let held = Held::new(items, text)?;
        if items.iter().filter(|i| held.has(i)).count() * 2 >= items.len() {
            continue;
        }
        out.push_str(&format!("<{tag}>"));
        for i in items {
            out.push_str(&format!("<li>{}</li>", escape_text(i)));
        }
        out.push_str(&format!("</{tag}>\n"));
    }
    (!out.is_empty()).then_some(out)
}

fn standfirst<'a>(description: &str, blocks: &'a [String]) -> Option<&'a str> {
    let d = squash(description);
    if d.len() < 80 {
        return None;
    }
    let head = &d[..d.floor_char_boundary(60)];
    blocks
        .iter()
        .find(|b| b.starts_with(head) && b.len() < d.len() * 2)
        .map(String::as_str)
}

/// Drops furniture paragraphs, a repeated title and a byline from the picked
/// content, and returns what is left as HTML and as text.
fn body(html: &str, title: &str, authors: &[String]) -> (String, String) {
    let doc = dom_query::Document::fragment(html);
    wrap_loose_runs(&doc);
    let blocks = doc.select("p, h1, h2, h3, h4, h5, h6, li, blockquote, pre, dt, dd, div");
    let mut doomed = Vec::new();
    let mut first = true;
    // A short line seen again: a widget's label repeated per section; the first stays.
    let mut seen: std::collections::HashMap<String, Vec<dom_query::NodeRef<'_>>> =
        std::collections::HashMap::new();
    for node in blocks.nodes() {
        // Only leaf blocks: a container is judged by its children.
        if node.descendants_it().any(|d| {
            d.element_ref().is_some_and(|el| {
                matches!(
                    &*el.name.local,
                    "p" | "div" | "li" | "blockquote" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
                )
            })
        }) {
            continue;
        }
        let t = squash(&node.text());
        let leading = first;
        first = first && t.is_empty();
        let is_byline = leading
            && t.len() < 120
            && !authors.is_empty()
            && meta::split_names(&t).iter().all(|n| authors.contains(n));
        if prune::is_furniture_paragraph(&t)
            || (leading && t == title)
            || is_byline
            || prune::is_read_also(node, &t)
            // A block that is one link is a teaser headline, not prose.
            || prune::link_density(node) >= LINKED_BLOCK
        {
            doomed.push(*node);
        } else if t.len() < REPEATED_LINE {
            seen.entry(t).or_default().push(*node);
        }
    }
    doomed.extend(seen.into_values().flat_map(|v| v.into_iter().skip(1)));
    // Lists of links: related articles, tags, "more from".
    for list in doc.select("ul, ol").nodes() {
        let items = list.find(&["li"]);
        if items.len() >= 3 && prune::link_density(list) > 0.8 {
            doomed.push(*list);
        }
    }
    for n in doomed {
        n.remove_from_parent();
    }
    for n in loose_ends(&doc) {
        n.remove_from_parent();
    }
    // A fragment's children hang under one <html> element.
    let root = doc.select("html");
    let text = blocks_to_text(&root);
    let mut out = root.inner_html().trim().to_string();
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    (out, text)
}

/// Whether a block's text ends the way a sentence, a quote or a bracket does.
fn ends_sentence(t: &str) -> bool {
    t.ends_with([
        '.', '!', '?', '。', '！', '？', '"', '”', '“', '’', '‘', '»', '«', ')',
    ]) && !t.ends_with("...")
}

/// What furniture leaves behind once it is gone:
/// - headings with nothing under them, the heading of a related-links box or
///   a comment form ("Mehr zum Thema", "You might also like:"), followed by
///   the end of the body or by a heading of the same or a higher rank;
/// - short labels at the very end of the body ("Kommentare schreiben",
///   "drukuj", "Weiterführende Links") with no sentence after them, and
///   before its first sentence or heading ("Community", a date, a breadcrumb).
///
/// List items, table cells and images stop the cut: there the short lines
/// are data (ingredients, results, specifications).
fn loose_ends(doc: &dom_query::Document) -> Vec<dom_query::NodeRef<'_>> {
    // A heading's rank: 1 for <h1> to 6 for <h6>.
    let rank = |n: &dom_query::NodeRef<'_>| {
        n.element_ref().and_then(|el| {
            el.name
                .local
                .strip_prefix('h')
                .and_then(|d| d.parse::<u8>().ok())
                .filter(|d| (1..=6).contains(d))
        })
    };
    // Blocks with text (or images), in document order, with their heading
    // rank and trimmed text (read once: this walk runs on every body).
    let mut seq = Vec::new();
    for n in doc.root().descendants_it() {
        let Some(el) = n.element_ref() else { continue };
        let name = &*el.name.local;
        let r = rank(&n);
        // A <div> counts by its own text: one with bare text is a block.
        let own_text = || {
            n.children_it(false)
                .any(|c| c.is_text() && !c.text().trim().is_empty())
        };
        let block = r.is_some()
            || DATA_BLOCKS.contains(&name)
            || matches!(name, "p" | "blockquote" | "pre")
            || (name == "div" && own_text());
        if !block || (r.is_some() && n.ancestors_it(None).any(|a| rank(&a).is_some())) {
            continue;
        }
        let t = n.text().trim().to_string();
        if t.is_empty() && name != "img" {
            continue;
        }
        seq.push((n, r, t, DATA_BLOCKS.contains(&name)));
    }
    let mut out = Vec::new();
    for (i, (n, r, t, _)) in seq.iter().enumerate() {
        let Some(r) = r else { continue };
        // A sentence, or a heading holding blocks, is content set as a heading.
        let next = seq.get(i + 1);
        let holds = |m: &dom_query::NodeRef<'_>| m.ancestors_it(None).any(|a| a.id == n.id);
        if t.len() > ORPHAN_HEADING_MAX || ends_sentence(t) || next.is_some_and(|(m, ..)| holds(m))
        {
            continue;
        }
        if next.is_none_or(|(_, nr, ..)| nr.is_some_and(|nr| nr <= *r)) {
            out.push(*n);
        }
    }
    for (n, r, t, data) in seq.iter() {
        if r.is_some() || *data || t.len() > TRAILING_LABEL_MAX || ends_sentence(t) {
            break;
        }
        out.push(*n);
    }
    for (n, _, t, data) in seq.iter().rev() {
        if out.iter().any(|o| o.id == n.id) {
            continue;
        }
        if *data || t.len() > TRAILING_LABEL_MAX || ends_sentence(t) {
            break;
        }
        out.push(*n);
    }
    // A body of nothing but short lines keeps them: they are all there is.
    let left = |n: &dom_query::NodeRef<'_>| out.iter().all(|o| o.id != n.id);
    if !seq.iter().any(|(n, _, t, _)| !t.is_empty() && left(n)) {
        return Vec::new();
    }
    out
}

/// The elements under `root` in document order. Code that looks at every
/// element walks this list and tests names and attributes directly: CSS
/// selector lists run over every element cost 15% of extraction in a profile.
pub(crate) fn elements<'a>(root: &dom_query::NodeRef<'a>) -> Vec<dom_query::NodeRef<'a>> {
    root.descendants_it()
        .filter(dom_query::NodeRef::is_element)
        .collect()
}

/// Whether element `n` has attribute `name` with a value that passes `test`.
pub(crate) fn attr_is(n: &dom_query::NodeRef<'_>, name: &str, test: impl Fn(&str) -> bool) -> bool {
    n.element_ref().is_some_and(|el| {
        el.attrs
            .iter()
            .any(|a| &*a.name.local == name && test(&a.value))
    })
}

fn absolute(u: &str, base: Option<&str>) -> Option<String> {
    match base.and_then(|b| url::Url::parse(b).ok()) {
        Some(b) => b.join(u.trim()).ok().map(|u| u.to_string()),
        None => url::Url::parse(u.trim()).ok().map(|u| u.to_string()),
    }
}

/// `<link rel=canonical>`, else `og:url`, resolved against the page URL.
fn canonical(doc: &dom_query::Document, base: Option<&str>) -> Option<String> {
    // As `link[rel=canonical]`, else `meta[property='og:url']`: one walk.
    // The first element of each kind decides, as a selection's `attr` does.
    let (mut link, mut og) = (None, None);
    for n in elements(&doc.root()) {
        if link.is_none() && n.has_name("link") && attr_is(&n, "rel", |r| r == "canonical") {
            link = Some(n.attr("href"));
        } else if og.is_none() && n.has_name("meta") && attr_is(&n, "property", |p| p == "og:url") {
            og = Some(n.attr("content"));
        }
    }
    let href = link.flatten().or(og.flatten())?;
    let href = href.trim();
    let resolved = match base.and_then(|b| url::Url::parse(b).ok()) {
        Some(b) => b.join(href).ok()?.to_string(),
        None => url::Url::parse(href).ok()?.to_string(),
    };
    resolved.starts_with("http").then_some(resolved)
}

/// Depth of the element tree, counted until `limit` is passed.
fn max_depth(doc: &dom_query::Document, limit: usize) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(doc.root(), 0usize)];
    while let Some((node, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        if deepest > limit {
            break;
        }
        let mut child = node.first_child();
        while let Some(c) = child {
            if c.is_element() {
                stack.push((c, depth + 1));
            }
            child = c.next_sibling();
        }
    }
    deepest
}

/// Approximate nesting of common container tags, from the raw bytes.
fn raw_nesting_exceeds(html: &str, limit: usize) -> bool {
    const CONTAINERS: [&[u8]; 8] = [
        b"div",
        b"span",
        b"section",
        b"article",
        b"table",
        b"ul",
        b"ol",
        b"blockquote",
    ];
    let b = html.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        i += off + 1;
        let closing = b.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let end = b[start..]
            .iter()
            .position(|c| !c.is_ascii_alphanumeric())
            .map_or(b.len(), |e| start + e);
        let name = &b[start..end];
        if CONTAINERS.iter().any(|c| name.eq_ignore_ascii_case(c)) {
            if closing {
                depth = depth.saturating_sub(1);
            } else {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
        }
        i = end;
    }
    false
}

/// A date in the URL path, as blogs and many news sites write it:
/// `/2020/01/05/` or `/2020-01-05`.
fn date_in_url(url: &str) -> Option<DateTime<FixedOffset>> {
    let path = url::Url::parse(url).ok()?.path().to_string();
    let parts: Vec<&str> = path.split(['/', '-', '_']).collect();
    parts.windows(3).find_map(|w| {
        let (y, m, d) = (w[0], w[1], w[2]);
        if y.len() != 4 || m.len() != 2 || !(1..=2).contains(&d.len()) {
            return None;
        }
        let date = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)?;
        courant_text::PLAUSIBLE_YEARS
            .contains(&date.year())
            .then(|| date.and_hms_opt(0, 0, 0))
            .flatten()
            .map(|d| d.and_utc().fixed_offset())
    })
}

/// Dates as pages write them: RFC 3339, RFC 2822, ISO without zone (taken as
/// UTC) or a bare date. The page's offset is kept.
pub fn parse_date(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(s, fmt) {
            return Some(d);
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(d.and_utc().fixed_offset());
        }
    }
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().fixed_offset())
}

/// Paragraph text of what is under `sel`: each text block (paragraph,
/// heading, list item, quote, cell) is a paragraph, and so is each run of
/// text that sits between blocks in a container ("<div><b>MEANING:</b></div>
/// adjective: Overly sentimental.<br><div>…"), which the HTML shows too.
pub(crate) fn blocks_to_text(sel: &dom_query::Selection<'_>) -> String {
    let mut out = Paragraphs::default();
    for node in sel.nodes() {
        out.walk(node, 0);
    }
    out.flush();
    out.paras.join("\n\n")
}

/// Wraps each run of loose text that sits between blocks in a container in a
/// `<p>` (two `<br>`s in a row end a run), so that it is judged as a
/// paragraph like any other and shown as one.
fn wrap_loose_runs(doc: &dom_query::Document) {
    let is_block = |n: &dom_query::NodeRef<'_>| {
        n.element_ref().is_some_and(|el| {
            let name: &str = &el.name.local;
            TEXT_BLOCKS.contains(&name) || CONTAINERS.contains(&name)
        })
    };
    for el in elements(&doc.root()) {
        if !el
            .element_ref()
            .is_some_and(|e| CONTAINERS.contains(&&*e.name.local))
        {
            continue;
        }
        let children: Vec<dom_query::NodeRef<'_>> = el.children_it(false).collect();
        // A container of inline content only is itself one paragraph.
        if !children.iter().any(is_block) {
            continue;
        }
        let mut run: Vec<dom_query::NodeRef<'_>> = Vec::new();
        let mut brs = 0;
        for c in children {
            if c.has_name("br") {
                brs += 1;
            } else if !(c.is_text() && c.text().trim().is_empty()) {
                let block = is_block(&c);
                if block || brs >= 2 {
                    wrap_run(doc, &run);
                    run.clear();
                }
                brs = 0;
                if block {
                    continue;
                }
            }
            run.push(c);
        }
        wrap_run(doc, &run);
    }
}

/// Moves the nodes of `run`, from its first to its last non-blank one, into a
/// new `<p>`, when any of them holds text.
fn wrap_run(doc: &dom_query::Document, run: &[dom_query::NodeRef<'_>]) {
    let inked = |n: &dom_query::NodeRef<'_>| !n.has_name("br") && !n.text().trim().is_empty();
    let (Some(first), Some(last)) = (run.iter().position(inked), run.iter().rposition(inked))
    else {
        return;
    };
    let p = doc.tree.new_element("p");
    run[first].insert_before(&p);
    for n in &run[first..=last] {
        p.append_child(n);
    }
}

/// Elements whose text is one paragraph.
const TEXT_BLOCKS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "pre",
    "figcaption",
    "td",
    "th",
    "dt",
    "dd",
];

/// Elements that end the run of loose text before them and start a new one after.
const CONTAINERS: &[&str] = &[
    "div", "section", "article", "main", "header", "footer", "aside", "nav", "figure", "ul", "ol",
    "dl", "table", "thead", "tbody", "tfoot", "tr", "caption", "form", "fieldset", "address",
    "details", "summary", "hr", "body", "html",
];

/// Nesting followed by [`Paragraphs::walk`]; deeper loose text is ignored.
/// Pages are bounded before parsing, feed summaries are not: this bounds the
/// recursion for both.
const WALK_DEPTH: usize = 512;

#[derive(Default)]
struct Paragraphs {
    paras: Vec<String>,
    /// Loose text since the last block.
    run: String,
}

impl Paragraphs {
    fn walk(&mut self, node: &dom_query::NodeRef<'_>, depth: usize) {
        if depth > WALK_DEPTH {
            return;
        }
        let mut child = node.first_child();
        while let Some(c) = child {
            if c.is_text() {
                push_text(&mut self.run, &c.text(), false);
            } else if let Some(name) = c.qual_name_ref().map(|q| q.local.clone()) {
                if &*name == "br" {
                    self.run.push('\n');
                } else if TEXT_BLOCKS.contains(&&*name) {
                    self.flush();
                    let t = text_of(&c);
                    if !t.is_empty() {
                        self.paras.push(t);
                    }
                } else if CONTAINERS.contains(&&*name) {
                    self.flush();
                    self.walk(&c, depth + 1);
                    self.flush();
                } else {
                    self.walk(&c, depth + 1);
                }
            }
            child = c.next_sibling();
        }
    }

    /// Ends the run of loose text, as a paragraph when it holds any.
    fn flush(&mut self) {
        if self.run.is_empty() {
            return;
        }
        let t = lines(&self.run);
        self.run.clear();
        if !t.is_empty() {
            self.paras.push(t);
        }
    }
}

/// A block's text, each `<br>` a line break: "zusammen,<br>unser" must not
/// come out glued as "zusammen,unser".
fn text_of(node: &dom_query::NodeRef<'_>) -> String {
    // A line break in the markup is only white space, except in `<pre>`.
    let pre = node.has_name("pre");
    let mut raw = String::new();
    for d in node.descendants_it() {
        if d.is_text() {
            push_text(&mut raw, &d.text(), pre);
        } else if d.has_name("br") {
            raw.push('\n');
        }
    }
    lines(&raw)
}

/// Appends a text node's text; its line breaks become spaces unless `keep_lines`.
fn push_text(out: &mut String, text: &str, keep_lines: bool) {
    if keep_lines {
        out.push_str(text);
    } else {
        out.extend(text.chars().map(|c| if c == '\n' { ' ' } else { c }));
    }
}

/// Each line of `raw` with its whitespace squashed, empty lines dropped.
fn lines(raw: &str) -> String {
    raw.split('\n')
        .map(squash)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}
