//! Page furniture removed before the content picker runs, and paragraphs
//! dropped after it. Readability scores text density; it keeps a caption, a
//! share bar or a subscription box that sits inside the article container.
//! These rules use what only the markup knows (tag names, class and id words).

use dom_query::{Document, NodeRef};

/// Elements that never hold article text. `rt`/`rp` are ruby readings
/// (furigana): kept, they glue a reading after every word ("子こども").
const DROP_TAGS: &[&str] = &[
    "noscript", "iframe", "svg", "select", "template", "button", "dialog", "rt", "rp",
];

/// A [`DROP_TAGS`] element or a dialog by role.
fn is_drop(node: &NodeRef<'_>) -> bool {
    node.element_ref()
        .is_some_and(|el| DROP_TAGS.contains(&&*el.name.local))
        || crate::dom::attr_is(node, "role", |r| r == "dialog")
}

/// Elements that usually hold furniture; removed unless they hold prose.
const BOX_TAGS: &[&str] = &["figure", "figcaption", "aside", "nav", "footer"];

/// Class or id words of furniture. Matched as substrings of the lower-cased words.
const FURNITURE_PARTS: &[&str] = &[
    "caption",
    "credit",
    "copyright",
    "share",
    "sharing",
    "social",
    "newsletter",
    "related",
    "relation",
    "ranking",
    "most-popular",
    "keyword-list",
    "recommend",
    "promo",
    "subscri",
    "advert",
    "adslot",
    "adunit",
    "comment",
    "breadcrumb",
    "byline",
    "authorbox",
    "author-bio",
    "authorbio",
    "author-info",
    "toolbar",
    "popup",
    "modal",
    "login",
    "signin",
    "sign-in",
    "signup",
    "readmore",
    "read-more",
    "outbrain",
    "taboola",
    "disclaimer",
    "dateline",
    "timestamp",
    "skiplink",
    "skip-link",
    "sr-only",
    "visually-hidden",
    "visuallyhidden",
    "screen-reader",
    "print-only",
    "tag-list",
    "taglist",
    "trending",
    "most-read",
    "mostread",
    "more-stories",
    "more-articles",
    "further-reading",
    "lesetipp",
    "weiterlesen",
    "infobox-teaser",
];

/// Class or id parts of cookie and consent banners (consent managers by
/// name), furniture beside [`FURNITURE_PARTS`]. They go even when they hold
/// prose-like paragraphs.
const CONSENT_PARTS: &[&str] = &[
    "cookie",
    "consent",
    "onetrust",
    "gdpr",
    "didomi",
    "usercentrics",
    "cookiebot",
    "sp_message",
];

/// Class or id words that start a reader-comment thread.
const COMMENT_LEADS: &[&str] = &["comment", "kommentar", "disqus"];

/// Whole class or id words of furniture (too short to match as parts).
const FURNITURE_WORDS: &[&str] = &[
    "ad", "ads", "tags", "meta", "author", "share", "date", "time",
];

/// Tags that are never removed for their class (a `<body class="has-comments">`).
const KEEP_TAGS: &[&str] = &["html", "body", "p", "h1", "h2", "h3"];

/// Removes furniture from `doc`. An element that holds prose (two paragraphs
/// of 150 characters or more) is kept whatever its tag or class says: layout
/// classes such as `sidebar-grid__content` or `comments-enabled` wrap articles.
pub(crate) fn furniture(doc: &Document) {
    for node in crate::dom::elements(&doc.root()) {
        if is_drop(&node) {
            node.remove_from_parent();
        }
    }
    let all = crate::dom::elements(&doc.root());
    // A declared article body and everything around it stay: blog engines
    // write posts as text and <br>, which the paragraph test cannot see.
    let mut declared = std::collections::HashSet::new();
    for b in all.iter().filter(|n| is_article_body(n)) {
        declared.insert(b.id);
        declared.extend(b.ancestors_it(None).map(|a| a.id));
    }
    let mut doomed: Vec<NodeRef<'_>> = Vec::new();
    // Reader comments, removed at the end unless the page is a discussion.
    let mut comments: Vec<NodeRef<'_>> = Vec::new();
    // Ids of what is in either list, so nothing inside them is judged again.
    let mut taken = std::collections::HashSet::new();
    // Sign-up forms (an e-mail field): newsletters, logins, comment boxes.
    // Not a form that wraps the page (ASP.NET pages are one <form>).
    let mut page_len = None;
    for form in all.iter().filter(|n| n.has_name("form")) {
        if !form.find(&["input"]).iter().any(|i| {
            i.attr("type")
                .is_some_and(|t| t.eq_ignore_ascii_case("email"))
                || i.attr("name")
                    .is_some_and(|n| n.to_ascii_lowercase().contains("mail"))
        }) || declared.contains(&form.id)
            || holds_prose(form)
            || form.text().len() * 2
                > *page_len.get_or_insert_with(|| doc.select("body").text().len())
        {
            continue;
        }
        taken.insert(form.id);
        doomed.push(*form);
    }
    for node in &all {
        let Some(el) = node.element_ref() else {
            continue;
        };
        let name: &str = &el.name.local;
        if KEEP_TAGS.contains(&name) {
            continue;
        }
        let attr = |a: &str| {
            el.attrs
                .iter()
                .find(|x| &*x.name.local == a)
                .map(|x| &*x.value)
        };
        let (class, id) = (attr("class"), attr("id"));
        let boxy = BOX_TAGS.contains(&name)
            || attr("hidden").is_some()
            || attr("aria-hidden") == Some("true")
            || matches!(attr("role"), Some("complementary" | "navigation"));
        if !boxy && class.is_none() && id.is_none() {
            continue;
        }
        let mut consent = false;
        let mut comment = false;
        if !boxy {
            let mut words = String::new();
            if let Some(c) = class {
                words.push_str(c);
            }
            if let Some(i) = id {
                words.push(' ');
                words.push_str(i);
            }
            let words = words.to_ascii_lowercase();
            let hits = word_hits(&words);
            comment = hits.comment;
            consent = hits.consent
                // Reader comments are prose too; a thread is named as one.
                || (words.split_ascii_whitespace().any(|w| {
                    COMMENT_LEADS.iter().any(|l| w.starts_with(l))
                }) && !declared.contains(&node.id)
                    && node.find(&["h1"]).is_empty());
            if !consent && !hits.furniture && !has_furniture_word(&words) {
                continue;
            }
        }
        drop(el);
        // A set, not a scan of the lists: a long thread makes thousands.
        if node.ancestors_it(None).any(|a| taken.contains(&a.id)) {
            continue;
        }
        // A consent banner holds long legal paragraphs, never the article.
        if !consent && (declared.contains(&node.id) || holds_prose(node)) {
            continue;
        }
        taken.insert(node.id);
        if comment {
            comments.push(*node);
        } else {
            doomed.push(*node);
        }
    }
    // A page whose prose is next to all in comments is a discussion (a forum
    // thread): its comments are the content. Elsewhere they go.
    if !comments.is_empty() && !is_discussion(doc, &comments) {
        doomed.extend(comments);
    }
    for node in doomed {
        node.remove_from_parent();
    }
}

/// Paragraph text outside comments under which a page is a discussion.
const DISCUSSION_PROSE: usize = 500;

/// Comments hold at least twice the paragraph text found outside them, and
/// that is under [`DISCUSSION_PROSE`].
fn is_discussion(doc: &Document, comments: &[NodeRef<'_>]) -> bool {
    let ids: std::collections::HashSet<_> = comments.iter().map(|c| c.id).collect();
    let mut outside = 0;
    for p in doc.select("p").nodes() {
        if !p.ancestors_it(None).any(|a| ids.contains(&a.id)) {
            outside += p.text().len();
            if outside >= DISCUSSION_PROSE {
                return false;
            }
        }
    }
    let inside: usize = comments.iter().map(|c| c.text().len()).sum();
    inside > 2 * outside
}

/// Classes that declare the article body in common CMS themes.
const ARTICLE_BODY_CLASSES: &[&str] = &[
    "entry-content",
    "post-body",
    "article-body",
    "story-body",
    "article__body",
];

/// Markup that declares the article body: microdata or a CMS class.
fn is_article_body(node: &NodeRef<'_>) -> bool {
    crate::dom::attr_is(node, "itemprop", |v| v == "articleBody")
        || crate::dom::attr_is(node, "class", |c| {
            c.split_ascii_whitespace()
                .any(|w| ARTICLE_BODY_CLASSES.contains(&w))
        })
}

fn holds_prose(node: &NodeRef<'_>) -> bool {
    let mut long = 0;
    for p in node.find(&["p"]) {
        if p.text().len() >= 150 {
            long += 1;
            if long >= 2 {
                return true;
            }
        }
    }
    false
}

/// Which lists a lower-cased class and id string holds a part of.
struct WordHits {
    furniture: bool,
    consent: bool,
    comment: bool,
}

/// One scan for the parts of [`FURNITURE_PARTS`], [`CONSENT_PARTS`] and
/// [`COMMENT_LEADS`] (a substring search per part was 2% of extraction).
fn word_hits(words: &str) -> WordHits {
    static PARTS: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    let parts = PARTS.get_or_init(|| {
        aho_corasick::AhoCorasick::new(
            FURNITURE_PARTS
                .iter()
                .chain(CONSENT_PARTS)
                .chain(COMMENT_LEADS),
        )
        .ok()
    });
    let mut hits = WordHits {
        furniture: false,
        consent: false,
        comment: false,
    };
    let Some(parts) = parts else {
        return hits;
    };
    let (consent_at, comment_at) = (
        FURNITURE_PARTS.len(),
        FURNITURE_PARTS.len() + CONSENT_PARTS.len(),
    );
    for m in parts.find_overlapping_iter(words) {
        let i = m.pattern().as_usize();
        if i < consent_at {
            hits.furniture = true;
        } else if i < comment_at {
            hits.consent = true;
        } else {
            hits.comment = true;
        }
    }
    hits
}

/// A whole class or id word of [`FURNITURE_WORDS`].
fn has_furniture_word(words: &str) -> bool {
    words
        .split(|c: char| c.is_ascii_whitespace() || c == '-' || c == '_')
        .any(|part| FURNITURE_WORDS.contains(&part))
}

/// A paragraph that is a date line, a reading time or a lone label.
pub(crate) fn is_furniture_paragraph(par: &str) -> bool {
    let words = par.split_whitespace().count();
    if words == 0 {
        return true;
    }
    if courant_text::is_furniture(par) {
        return true;
    }
    if words <= 12 {
        let lower = par.to_lowercase();
        const DATE_LEADS: &[&str] = &[
            "published",
            "updated",
            "posted",
            "last updated",
            "publiziert",
            "veröffentlicht",
            "aktualisiert",
            "stand:",
            "publié",
            "mis à jour",
        ];
        if DATE_LEADS.iter().any(|l| lower.starts_with(l))
            && par.chars().any(|c| c.is_ascii_digit())
        {
            return true;
        }
        const READING: &[&str] = &[
            "min read",
            "minute read",
            "min lesezeit",
            "minuten lesezeit",
            "lesezeit",
            "min de lecture",
        ];
        if READING.iter().any(|r| lower.contains(r)) {
            return true;
        }
        // "03.05.2024 15:42 Uhr", "Freitag, 28.04.2023, 19:25": digits and date words only.
        let datey = par
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .all(|w| {
                w.chars().all(|c| c.is_ascii_digit())
                    || DATE_WORDS.contains(&w.to_lowercase().as_str())
            });
        if datey && par.chars().any(|c| c.is_ascii_digit()) {
            return true;
        }
    }
    false
}

const DATE_WORDS: &[&str] = &[
    "uhr",
    "am",
    "um",
    "pm",
    "bst",
    "gmt",
    "utc",
    "cet",
    "cest",
    "mez",
    "mesz",
    "edt",
    "est",
    "pst",
    "pdt",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "januar",
    "februar",
    "märz",
    "mai",
    "juni",
    "juli",
    "oktober",
    "dezember",
];

/// The page's prose after pruning: every paragraph that is mostly not link
/// text. The fallback when the content picker
/// chose a block far smaller than this.
pub(crate) fn harvest(doc: &Document) -> Harvest {
    doc.root()
        .descendants_it()
        .find(|n| n.has_name("body"))
        .and_then(|body| prose(&body, false))
        .unwrap_or_default()
}

/// The prose blocks under `root` (`<p>`, `<h2>`, `<h3>`, `<blockquote>`, not
/// nested, mostly not link text). With `teasers`, text inside a link is left
/// out, and a linked heading makes the whole of `root` a teaser: `None`.
fn prose(root: &NodeRef<'_>, teasers: bool) -> Option<Harvest> {
    let mut out = Harvest::default();
    for p in crate::dom::elements(root) {
        let Some(el) = p.element_ref() else { continue };
        if el.name.local.eq("h1") && out.title_at.is_none() {
            out.title_at = Some(out.blocks.len());
        }
        if !matches!(&*el.name.local, "p" | "h2" | "h3" | "blockquote") {
            continue;
        }
        let mut nested = false;
        let mut in_link = false;
        for a in p.ancestors_it(None).take_while(|a| a.id != root.id) {
            nested |= a.has_name("p") || a.has_name("blockquote");
            in_link |= a.has_name("a");
        }
        if nested {
            continue;
        }
        let text = p.text();
        let t = text.trim();
        if t.len() < 2 {
            continue;
        }
        let heading = matches!(&*el.name.local, "h2" | "h3");
        // A linked heading is a teaser's: a list of teasers is no article.
        if teasers && heading && (in_link || !p.find(&["a"]).is_empty()) {
            return None;
        }
        let links: usize = p.find(&["a"]).iter().map(|a| a.text().len()).sum();
        if (teasers && in_link) || links * 2 > t.len() {
            continue;
        }
        out.len += t.len();
        let start = out.html.len();
        out.html.push_str(&p.html());
        out.spans.push(start..out.html.len());
        out.blocks.push(courant_text::squash(t));
    }
    Some(out)
}

/// Containers that can hold one part of an article cut into several.
const PART_TAGS: &[&str] = &["div", "section", "article"];

/// Articles cut into parts: sibling containers of one tag and class that each
/// hold prose (publishers put ads and sign-up boxes between the parts of one
/// story, and Readability picks one part). Each group lists its parts with
/// prose, in document order.
pub(crate) fn parts(doc: &Document) -> Vec<Vec<Harvest>> {
    let Some(body) = doc.root().descendants_it().find(|n| n.has_name("body")) else {
        return Vec::new();
    };
    let mut groups: Vec<((dom_query::NodeId, String), Vec<NodeRef<'_>>)> = Vec::new();
    let mut index: std::collections::HashMap<(dom_query::NodeId, String), usize> =
        std::collections::HashMap::new();
    for n in crate::dom::elements(&body) {
        let Some(el) = n.element_ref() else { continue };
        if !PART_TAGS.contains(&&*el.name.local) {
            continue;
        }
        let (Some(class), Some(parent)) = (n.attr("class"), n.parent()) else {
            continue;
        };
        if class.trim().is_empty() {
            continue;
        }
        let key = (parent.id, format!("{}.{}", el.name.local, class.trim()));
        match index.get(&key) {
            Some(&i) => groups[i].1.push(n),
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((key, vec![n]));
            }
        }
    }
    groups
        .into_iter()
        .filter(|(_, members)| members.len() >= 2)
        .map(|(_, members)| {
            members
                .iter()
                .filter_map(|m| prose(m, true))
                .filter(|h| h.len > 0)
                .collect::<Vec<_>>()
        })
        .filter(|parts| parts.len() >= 2)
        .collect()
}

/// The page's leaf text blocks, for a page with no paragraph markup at all
/// (recipes and shops built of `<div>`s): each block that holds no other
/// block and is mostly not link text, as a paragraph.
pub(crate) fn loose(doc: &Document) -> Harvest {
    const BLOCKS: &[&str] = &[
        "div", "li", "td", "dd", "dt", "section", "article", "ul", "ol", "table", "h1",
    ];
    let mut html = String::new();
    let mut len = 0;
    let mut blocks = Vec::new();
    for b in body_elements(doc, &["div", "li", "td", "dd", "dt"]) {
        if b.descendants_it().any(|d| {
            d.element_ref()
                .is_some_and(|el| BLOCKS.contains(&&*el.name.local))
        }) {
            continue;
        }
        let t = courant_text::squash(&b.text());
        if t.len() < 2 || link_density(&b) > 0.5 {
            continue;
        }
        len += t.len();
        html.push_str("<p>");
        html.push_str(&courant_text::escape_text(&t));
        html.push_str("</p>");
        blocks.push(t);
    }
    Harvest {
        html,
        len,
        blocks,
        ..Harvest::default()
    }
}

/// The elements under `<body>` named one of `names`, in document order
/// (as the selector `body x, body y`).
fn body_elements<'a>(doc: &'a Document, names: &[&str]) -> Vec<NodeRef<'a>> {
    let Some(body) = doc.root().descendants_it().find(|n| n.has_name("body")) else {
        return Vec::new();
    };
    crate::dom::elements(&body)
        .into_iter()
        .filter(|n| {
            n.element_ref()
                .is_some_and(|el| names.contains(&&*el.name.local))
        })
        .collect()
}

/// The page's prose blocks (see [`harvest`]).
#[derive(Default)]
pub(crate) struct Harvest {
    /// The blocks as HTML.
    pub html: String,
    /// Their text length.
    pub len: usize,
    /// Their text, whitespace squashed.
    pub blocks: Vec<String>,
    /// Where each block's HTML lies in `html`.
    pub spans: Vec<std::ops::Range<usize>>,
    /// How many blocks come before the page's first `<h1>` (its title).
    pub title_at: Option<usize>,
}

/// Labels that lead a "read also" teaser: the label and a linked headline.
const READ_ALSO: &[&str] = &[
    "lesen sie auch",
    "lest auch",
    "auch lesen",
    "lesen sie mehr",
    "mehr zum thema",
    "zum weiterlesen",
    "weiterlesen",
    "siehe auch",
    "das könnte sie auch interessieren",
    "read more",
    "read also",
    "also read",
    "see also",
    "related:",
    "more:",
    "puedes ver",
    "le puede interesar",
    "lee también",
    "lea también",
    "te puede interesar",
    "veja também",
    "leia também",
    "lire aussi",
    "à lire aussi",
    "voir aussi",
    "leggi anche",
    "lees ook",
    "lesen sie hier:",
    "lea más:",
    "leer más:",
    "vea también",
    "ver también",
    "leia mais:",
    "czytaj też",
    "czytaj także",
    "czytaj więcej",
    "zobacz też",
    "zobacz także",
    "dowiedz się więcej:",
    "läs också",
    "les også",
    "læs også",
    "lue myös",
    "lue lisää:",
    "přečtěte si také",
    "čítajte tiež",
    "citește și",
    "читайте также",
    "read next:",
    "more on this:",
];

/// A paragraph that starts with a "read also" label and is short or mostly a link.
pub(crate) fn is_read_also(node: &NodeRef<'_>, text: &str) -> bool {
    let lower = text.to_lowercase();
    READ_ALSO.iter().any(|l| lower.starts_with(l))
        && (text.len() <= 200 || link_density(node) > 0.5)
}

/// Share of a node's text that sits inside links.
pub(crate) fn link_density(node: &NodeRef<'_>) -> f64 {
    let total = node.text().trim().len();
    if total == 0 {
        return 0.0;
    }
    let links: usize = node
        .find(&["a"])
        .iter()
        .map(|a| a.text().trim().len())
        .sum();
    links as f64 / total as f64
}
