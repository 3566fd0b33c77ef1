//! Page furniture, disclaimers, captions and credits left in the body, as
//! findings. The phrase lists and the paragraph tests live in
//! `courant_text::furniture`, shared with the extractor. Deleting them is the
//! repair.

use courant_text::furniture::{inline_credit_re, is_caption, is_label, DISCLAIMERS};
use courant_text::{paragraphs, sentences};

use crate::{finding, Finding, Kind};

pub(crate) fn detect(text: &str, _lang: &str, out: &mut Vec<Finding>) {
    for (off, par) in paragraphs(text) {
        let trimmed = par.trim();
        let lead = par.len() - par.trim_start().len();
        let (start, end) = (off + lead, off + lead + trimmed.len());
        let lower = trimmed.to_lowercase();
        if is_label(trimmed, &lower) {
            out.push(finding(
                text,
                Kind::Boilerplate,
                start,
                end,
                0.9,
                Some(String::new()),
            ));
            continue;
        }
        if is_caption(trimmed, &lower) {
            out.push(finding(
                text,
                Kind::CaptionCredit,
                start,
                end,
                0.85,
                Some(String::new()),
            ));
            continue;
        }
        for (s, e) in sentences(par) {
            let sent = par[s..e].to_lowercase();
            if DISCLAIMERS.iter().any(|d| sent.contains(d)) {
                out.push(finding(
                    text,
                    Kind::Boilerplate,
                    off + s,
                    off + e,
                    0.85,
                    Some(String::new()),
                ));
            }
        }
        for m in inline_credit_re().find_iter(par) {
            out.push(finding(
                text,
                Kind::CaptionCredit,
                off + m.start(),
                off + m.end(),
                0.8,
                Some(String::new()),
            ));
        }
    }
}
