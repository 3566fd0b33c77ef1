//! Story policy: which member leads a story, what names it, and which
//! stories are on top. Every backend
//! applies the same rules, so they live here, apart from the SQL.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use courant_model::{ArticleId, Story};

/// A ready member of a story with a processed text, as the lead choice sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadCandidate {
    /// The article.
    pub id: ArticleId,
    /// Whether it copies an earlier article.
    pub copy: bool,
    /// Cosine of its words to the story's centroid when it was placed.
    pub central: Option<f64>,
    /// Its publication time, as the store sorts it (fixed-width RFC 3339).
    pub published: Option<String>,
}

/// The lead: originals before copies, then the most central, then the
/// earliest, then the lowest id (a member without a centrality comes after
/// those with one; one without a date before those with one).
pub fn lead(members: &[LeadCandidate]) -> Option<&LeadCandidate> {
    members.iter().min_by(|a, b| lead_order(a, b))
}

fn lead_order(a: &LeadCandidate, b: &LeadCandidate) -> Ordering {
    let central = |c: &LeadCandidate| c.central.map(ordered);
    a.copy
        .cmp(&b.copy)
        .then_with(|| central(b).cmp(&central(a)))
        .then_with(|| a.published.cmp(&b.published))
        .then_with(|| a.id.cmp(&b.id))
}

/// An f64 that orders totally (no NaN is stored, but none may panic).
fn ordered(x: f64) -> OrderedF64 {
    OrderedF64(x)
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct OrderedF64(f64);

impl Eq for OrderedF64 {}

impl PartialOrd for OrderedF64 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedF64 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The first sentence of a text, at most about 300 characters.
pub fn first_sentence(text: &str) -> String {
    let para = text
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty())
        .unwrap_or("");
    let mut end = para.len();
    for (i, c) in para.char_indices() {
        if matches!(c, '.' | '!' | '?' | '。') && i >= 40 {
            let next = para[i + c.len_utf8()..].chars().next();
            if next.is_none_or(char::is_whitespace) {
                end = i + c.len_utf8();
                break;
            }
        }
    }
    let s = &para[..end];
    if s.chars().count() <= 300 {
        return s.to_string();
    }
    let cut: String = s.chars().take(300).collect();
    match cut.rfind(' ') {
        Some(i) => format!("{}…", &cut[..i]),
        None => format!("{cut}…"),
    }
}

/// Top stories: breadth of coverage (distinct outlets count fully, extra
/// copies a little) over age, so a wide story stays up longer than a narrow
/// one of the same age.
pub fn rank_stories(stories: &mut [Story], now: DateTime<Utc>) {
    rank_by_breadth(stories, now, |_| 1);
}

/// [`rank_stories`] where each story's event is told in `languages(story)`
/// languages: every language beyond the first counts as two outlets, so an
/// event told around the world outranks one outlet's many articles.
pub fn rank_by_breadth(
    stories: &mut [Story],
    now: DateTime<Utc>,
    languages: impl Fn(&Story) -> i64,
) {
    let score = |s: &Story| {
        let breadth = s.sources as f64
            + 0.25 * (s.articles - s.sources).max(0) as f64
            + 2.0 * (languages(s) - 1).max(0) as f64;
        let hours = s
            .last_at
            .map(|t| (now - t).num_minutes().max(0) as f64 / 60.0)
            .unwrap_or(24.0 * 365.0);
        breadth / (hours + 12.0).powf(0.8)
    };
    stories.sort_by(|a, b| score(b).total_cmp(&score(a)).then(b.id.cmp(&a.id)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(
        id: ArticleId,
        copy: bool,
        central: Option<f64>,
        published: Option<&str>,
    ) -> LeadCandidate {
        LeadCandidate {
            id,
            copy,
            central,
            published: published.map(str::to_string),
        }
    }

    #[test]
    fn the_lead_is_the_most_central_original() {
        let cases: &[(&[LeadCandidate], Option<ArticleId>)] = &[
            (&[], None),
            // An original beats a more central copy.
            (
                &[m(1, true, Some(0.9), None), m(2, false, Some(0.1), None)],
                Some(2),
            ),
            // The most central original wins; no centrality counts as least.
            (
                &[
                    m(1, false, None, None),
                    m(2, false, Some(0.2), None),
                    m(3, false, Some(0.5), None),
                ],
                Some(3),
            ),
            // Equally central: the earliest, an undated one first, then the lowest id.
            (
                &[
                    m(4, false, Some(0.5), Some("2026-01-02")),
                    m(5, false, Some(0.5), Some("2026-01-01")),
                ],
                Some(5),
            ),
            (
                &[
                    m(6, false, Some(0.5), Some("2026-01-01")),
                    m(7, false, Some(0.5), None),
                ],
                Some(7),
            ),
            (
                &[m(9, false, Some(0.5), None), m(8, false, Some(0.5), None)],
                Some(8),
            ),
        ];
        for (members, want) in cases {
            assert_eq!(lead(members).map(|c| c.id), *want, "{members:?}");
        }
    }

    #[test]
    fn the_summary_is_the_first_sentence_within_bounds() {
        let cases = [
            ("", ""),
            ("Short. Then more.", "Short. Then more."),
            (
                "The harbour reopened on Monday after the storm. Ships came in.",
                "The harbour reopened on Monday after the storm.",
            ),
            (
                "\n\nFirst paragraph wins here, even when it is long enough.\n\nSecond.",
                "First paragraph wins here, even when it is long enough.",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(first_sentence(text), want, "{text}");
        }
        let long = "word ".repeat(100);
        let s = first_sentence(&long);
        assert!(s.ends_with('…') && s.chars().count() <= 301, "{s}");
    }

    /// One outlet's thirty articles rank under an event told by one outlet
    /// in each of six languages; without languages, the thirty win.
    #[test]
    fn breadth_counts_languages_over_one_outlets_articles() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2023, 1, 2, 0, 0, 0).unwrap();
        let story = |id: i64, articles: i64, sources: i64| Story {
            id,
            merged_into: None,
            title: String::new(),
            summary: String::new(),
            lang: None,
            lead_article: None,
            first_at: Some(now),
            last_at: Some(now),
            articles,
            sources,
        };
        let mut list = vec![story(1, 30, 1), story(2, 2, 1)];
        rank_stories(&mut list, now);
        assert_eq!(list[0].id, 1);
        rank_by_breadth(&mut list, now, |s| if s.id == 2 { 6 } else { 1 });
        assert_eq!(list[0].id, 2);
    }
}
