//! The last pass over a body: furniture paragraphs, a repeated title, a
//! byline, teaser links and repeated labels go, then what they leave behind
//! (`loose_ends`); the HTML and the text come from the same tree.

use courant_text::squash;

use crate::text::{blocks_to_text, wrap_loose_runs};
use crate::{meta, prune};

/// Link share at which a leaf block of the picked content counts as a teaser.
const LINKED_BLOCK: f64 = 0.9;

/// Bytes under which a line that recurs in the picked content is furniture.
const REPEATED_LINE: usize = 200;

/// Longest heading that can be an orphan: a box's label, not a standfirst.
const ORPHAN_HEADING_MAX: usize = 80;

/// Longest line at either end of the body that can be a leftover label.
const TRAILING_LABEL_MAX: usize = 40;

/// Blocks whose short lines are data, not labels.
const DATA_BLOCKS: &[&str] = &["img", "li", "td", "th", "dd", "dt"];

/// Drops furniture paragraphs, a repeated title and a byline from the picked
/// content, and returns what is left as HTML and as text.
pub(crate) fn body(html: &str, title: &str, authors: &[String]) -> (String, String) {
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
