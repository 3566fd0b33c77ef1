//! HTML that came from a feed or a page, made safe to show.
//!
//! Design decision: `ammonia` (html5ever-based, allow-list) is the only
//! sanitizer; nothing from outside reaches a template without passing here.

use std::collections::HashSet;
use std::sync::OnceLock;

fn builder(base: Option<&url::Url>) -> ammonia::Builder<'static> {
    let tags: HashSet<&'static str> = [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "dd",
        "del",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
    ]
    .into_iter()
    .collect();
    let mut b = ammonia::Builder::default();
    b.tags(tags)
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("nofollow noopener noreferrer"))
        .add_tag_attributes("img", ["src", "alt", "width", "height"])
        .add_tag_attributes("time", ["datetime"])
        .strip_comments(true);
    match base {
        Some(u) => {
            b.url_relative(ammonia::UrlRelative::RewriteWithBase(u.clone()));
        }
        None => {
            b.url_relative(ammonia::UrlRelative::Deny);
        }
    }
    b
}

/// Sanitizes an HTML fragment; relative URLs resolve against `base`, or are dropped without one.
pub fn html(fragment: &str, base: Option<&str>) -> String {
    let base = base.and_then(|b| url::Url::parse(b).ok());
    match base {
        Some(b) => builder(Some(&b)).clean(fragment).to_string(),
        None => {
            static NO_BASE: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
            NO_BASE
                .get_or_init(|| builder(None))
                .clean(fragment)
                .to_string()
        }
    }
}

/// Plain text of an HTML fragment, paragraphs separated by blank lines.
pub fn text(fragment: &str) -> String {
    let doc =
        dom_smoothie::Readability::new(format!("<html><body>{fragment}</body></html>"), None, None);
    // Readability::new only fails on a bad URL, and none is given.
    let Ok(r) = doc else { return String::new() };
    crate::text::blocks_to_text(&r.doc.select("body"))
}
