//! Unbalanced quotation marks.
//!
//! A mark's role comes from where it stands: after a space (or at the start)
//! it opens, after a word it closes. Which marks pair depends on the language:
//! German „…“ and »…«, English “…”, French « … ». A quotation may run over
//! paragraphs, either reopening each one (the English convention) or closing
//! once at its end, so an open mark is carried up to two paragraphs on.

use crate::{finding, Finding, Kind};
use courant_text::paragraphs;

/// Paragraph breaks an open quotation may run over.
const CARRY: usize = 2;

fn pairs(open: char, close: char, lang: &str) -> bool {
    match (open, close) {
        ('"', '"') => true,
        ('„', '“') | ('„', '”') => true,
        ('“', '”') => true,
        ('“', '“') => lang == "de",
        ('«', '»') => true,
        ('»', '«') => lang == "de" || lang.is_empty(),
        _ => false,
    }
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '„' | '“' | '”' | '«' | '»')
}

struct Open {
    at: usize,
    mark: char,
    par: usize,
    par_end: usize,
}

pub(crate) fn detect(text: &str, lang: &str, out: &mut Vec<Finding>) {
    let unclosed = |o: &Open, out: &mut Vec<Finding>| {
        out.push(finding(
            text,
            Kind::UnbalancedQuotes,
            o.at,
            o.par_end,
            0.8,
            None,
        ));
    };
    let mut stack: Vec<Open> = Vec::new();
    for (p, (off, par)) in paragraphs(text).into_iter().enumerate() {
        let par_end = off + par.trim_end().len();
        // Quotations open too long ago were never closed.
        let (stale, keep): (Vec<Open>, Vec<Open>) =
            stack.into_iter().partition(|o| o.par + CARRY < p);
        stale.iter().for_each(|o| unclosed(o, out));
        stack = keep;
        let mut prev: Option<char> = None;
        let mut first = true;
        for (i, c) in par.char_indices() {
            if is_quote(c) {
                let next = par[i + c.len_utf8()..].chars().next();
                // Scripts without spaces give no position cue: there, a mark opens unless it can close.
                let opens_by_position = prev.is_none_or(|p| {
                    p.is_whitespace()
                        || matches!(p, '(' | '[' | '—' | '–' | '-' | '/')
                        || crate::spacing::unspaced_script(p)
                });
                // The English convention reopens each paragraph of a long quotation.
                if first && stack.last().is_some_and(|o| o.par < p && o.mark == c) {
                    stack.pop();
                }
                // French sets spaces inside « »: a mark that pairs with the open one and
                // is not glued to a following word closes, whatever stands before it.
                let glued_to_next = next.is_some_and(char::is_alphanumeric);
                let top_pairs = stack.last().is_some_and(|t| pairs(t.mark, c, lang));
                if top_pairs && !(opens_by_position && glued_to_next) {
                    stack.pop();
                } else if opens_by_position && c != '”' {
                    stack.push(Open {
                        at: off + i,
                        mark: c,
                        par: p,
                        par_end,
                    });
                } else if let Some(o) = stack.pop() {
                    let end = off + i + c.len_utf8();
                    out.push(finding(text, Kind::UnbalancedQuotes, o.at, end, 0.8, None));
                } else {
                    // A closing mark with nothing open.
                    out.push(finding(
                        text,
                        Kind::UnbalancedQuotes,
                        off + i,
                        off + i + c.len_utf8(),
                        0.6,
                        None,
                    ));
                }
            }
            if !c.is_whitespace() {
                first = false;
            }
            prev = Some(c);
        }
    }
    stack.iter().for_each(|o| unclosed(o, out));
}
