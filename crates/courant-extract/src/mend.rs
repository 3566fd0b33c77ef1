//! The rescue passes: each looks at the body picked so far and, when the
//! page shows that the pick is wrong or short, gives a better one. They run
//! in the order of [`PASSES`], each on what the one before it left.

use courant_text::{escape_text, squash};

use crate::{body, meta, prune, sanitize};

/// A candidate body: sanitized HTML and its text.
pub(crate) struct Body {
    pub html: String,
    pub text: String,
}

/// What the passes know of the page besides the body.
pub(crate) struct Page<'a> {
    pub url: Option<&'a str>,
    pub title: &'a str,
    pub authors: &'a [String],
    pub meta: &'a meta::Meta,
    /// The page's prose ([`prune::harvest`]).
    pub harvest: &'a prune::Harvest,
    /// Sibling parts of an article cut into parts ([`prune::parts`]).
    pub parts: &'a [Vec<prune::Harvest>],
    /// The page's leaf blocks, on a page of next to no paragraphs.
    pub loose: Option<&'a prune::Harvest>,
}

impl Page<'_> {
    /// Every candidate body is sanitized and cleaned the same way.
    pub(crate) fn judge(&self, html: &str) -> Body {
        let (html, text) = body::body(&sanitize::html(html, self.url), self.title, self.authors);
        Body { html, text }
    }
}

type Pass = fn(&Page<'_>, &Body) -> Option<Body>;

/// The passes, in order, by name.
pub(crate) const PASSES: &[(&str, Pass)] = &[
    ("harvest", harvest),
    ("parts", parts),
    ("lead", lead),
    ("standfirst", standfirst),
    ("declared", declared),
    ("recipe", recipe),
    ("loose", loose),
];

/// Readability picked a block much smaller than the page's prose: a wrong
/// pick (a teaser, a comment), so take the prose itself.
fn harvest(page: &Page<'_>, b: &Body) -> Option<Body> {
    ((b.text.len() as f64) < HARVEST_RATIO * page.harvest.len as f64)
        .then(|| page.judge(&page.harvest.html))
}

/// The pick is one part of an article cut into parts: the other parts join
/// it, in page order.
fn parts(page: &Page<'_>, b: &Body) -> Option<Body> {
    rejoin_parts(page.parts, &b.text, &b.html).map(|whole| page.judge(&whole))
}

/// The lead often sits between the title and the content container.
fn lead(page: &Page<'_>, b: &Body) -> Option<Body> {
    lead_blocks(page.harvest, &b.text).map(|lead| page.judge(&format!("{lead}{}", b.html)))
}

/// The standfirst often sits above the content container. When the page
/// shows its description as a paragraph the pick lacks, it leads the body.
fn standfirst(page: &Page<'_>, b: &Body) -> Option<Body> {
    let lead = page
        .meta
        .description
        .as_deref()
        .and_then(|d| standfirst_block(d, &page.harvest.blocks))?;
    (!b.text.contains(&lead[..lead.floor_char_boundary(60)])).then(|| Body {
        html: format!("<p>{}</p>\n{}", escape_text(lead), b.html),
        text: format!("{lead}\n\n{}", b.text),
    })
}

/// The page declares a body in JSON-LD much longer than what its markup
/// gave: a script-rendered page, whose text is in the declaration only.
/// (Its markup is longer than its text: most pages skip the second parse.)
fn declared(page: &Page<'_>, b: &Body) -> Option<Body> {
    let declared = page
        .meta
        .declared_body
        .as_deref()
        .filter(|d| (b.text.len() as f64) < DECLARED_RATIO * d.len() as f64)?;
    let judged = page.judge(declared);
    ((b.text.len() as f64) < DECLARED_RATIO * judged.text.len() as f64).then_some(judged)
}

/// A recipe whose ingredients or steps the text lacks (they sit in a widget
/// apart from the prose): the declared ones close the body.
fn recipe(page: &Page<'_>, b: &Body) -> Option<Body> {
    let missing = page
        .meta
        .recipe
        .as_ref()
        .and_then(|r| recipe_missing(r, &b.text))?;
    Some(page.judge(&format!("{}\n{missing}", b.html)))
}

/// On a page of next to no paragraphs, a text much shorter than its leaf
/// blocks (the same share as for the prose) is a wrong pick too: a forum
/// thread written in `<div>`s and `<br>`s, of which Readability took one reply.
/// The leaf blocks are text already: cleaned, not sanitized again.
fn loose(page: &Page<'_>, b: &Body) -> Option<Body> {
    let l = page.loose.filter(|l| l.len > 0)?;
    (b.text.trim().is_empty() || (b.text.len() as f64) < HARVEST_RATIO * l.len as f64).then(|| {
        let (html, text) = body::body(&l.html, page.title, page.authors);
        Body { html, text }
    })
}

/// The content pick is replaced by the page's prose when it holds less than
/// this share of it (0.2 to 0.45 score within 0.004 on both benchmark sets).
const HARVEST_RATIO: f64 = 0.3;

/// Most blocks between the title and the pick that are taken as its lead.
const LEAD_MAX: usize = 5;

/// Shortest block taken into a lead: bylines, dates and labels are shorter.
const LEAD_MIN: usize = 80;

/// The extracted text is replaced by the JSON-LD `articleBody` (or steps)
/// when it is shorter than this share of it.
const DECLARED_RATIO: f64 = 0.5;

/// Share of a part's blocks the pick must hold to count as that part.
const PART_IN_PICK: f64 = 0.5;

/// Paragraphs of 80 bytes or more a missing part needs to be added: a
/// teaser (headline and one summary) or a promotion box has fewer.
const PART_MIN_PARAGRAPHS: usize = 2;

/// The whole article when `text` (the pick) holds one part of a group from
/// [`prune::parts`] and misses others: the missing parts' prose around the
/// pick's HTML, in page order. `None` when no group fits.
pub(crate) fn rejoin_parts(
    groups: &[Vec<prune::Harvest>],
    text: &str,
    html: &str,
) -> Option<String> {
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
fn lead_blocks(harvest: &prune::Harvest, text: &str) -> Option<String> {
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

/// The prose block that repeats the page's description, if there is one.
fn standfirst_block<'a>(description: &str, blocks: &'a [String]) -> Option<&'a str> {
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
