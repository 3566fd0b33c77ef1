//! How alike two articles are, as a graded score that means what it says:
//! the annotators' "Overall" scale of SemEval-2022 Task 8 (1 = the same
//! story, 4 = unrelated), predicted from the multilingual embedding's
//! cosines (the text and its lead), the words' TF-IDF cosine (same language
//! only) and the pair's languages, by a polynomial fitted on the shared
//! training sample (`bench/similarity.py --write` writes `graded.json`).
//! Cosines are not linear in the annotators' scale, hence the powers.
//! Related news and `courant similarity` use it. Pure.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::sparse::{length, tfidf};
use crate::Features;

/// What is known of a pair.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PairInputs {
    /// Cosine of the embeddings of title and text (up to about 1,000 bytes).
    pub full: Option<f32>,
    /// Cosine of the embeddings of title and lead.
    pub lead: Option<f32>,
    /// TF-IDF cosine of the words (0 across languages).
    pub words: f32,
    /// Both articles in one language.
    pub same_lang: bool,
}

/// The verdict on a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// One event told twice.
    SameStory,
    /// Related news: the same subject, a different event or angle.
    Related,
    /// Nothing in common that matters.
    Unrelated,
}

/// A pair's score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Graded {
    /// 1 for the same story down to 0 for unrelated: `(4 - overall) / 3`.
    pub score: f32,
    /// The predicted annotators' Overall, 1 (same) to 4 (unrelated).
    pub overall: f32,
    /// The verdict from `overall` and the fitted cut-offs.
    pub verdict: Verdict,
}

/// One fitted polynomial: a bias and weights by input name.
#[derive(Debug, Clone, Deserialize)]
struct Fit {
    bias: f32,
    weights: BTreeMap<String, f32>,
}

/// The fitted calibration: one fit per kind of inputs, and the cut-offs.
#[derive(Debug, Clone, Deserialize)]
pub struct Calibration {
    /// With both embeddings.
    full: Fit,
    /// With the lead's embedding only (what the pipeline stores).
    lead: Fit,
    /// Without embeddings.
    words: Fit,
    /// Overall at or under which a pair is the same story.
    same_story: f32,
    /// Overall at or under which a pair is related.
    related: f32,
}

const SHIPPED: &str = include_str!("../graded.json");

impl Calibration {
    /// The calibration shipped in `graded.json`.
    pub fn shipped() -> &'static Calibration {
        static CAL: OnceLock<Calibration> = OnceLock::new();
        CAL.get_or_init(|| {
            serde_json::from_str(SHIPPED).unwrap_or_else(|e| panic!("graded.json: {e}"))
        })
    }
}

/// Cosines below this are read as this: unrelated texts score about 0.1
/// to 0.3, few pairs fall below, and a polynomial fitted there would bend
/// back up.
pub const COSINE_FLOOR: f32 = 0.3;

/// The named inputs of a pair, as the fit reads them.
pub fn named_inputs(p: &PairInputs) -> Vec<(&'static str, f32)> {
    let mono = if p.same_lang { 1.0 } else { 0.0 };
    let mut out = vec![
        ("words_mono", p.words * mono),
        ("mono", mono),
        ("words2_mono", p.words * p.words * mono),
    ];
    for (name, v) in [("full", p.full), ("lead", p.lead)] {
        if let Some(c) = v {
            let c = if c.is_nan() {
                COSINE_FLOOR
            } else {
                c.clamp(COSINE_FLOOR, 1.0)
            };
            let names: [&'static str; 4] = if name == "full" {
                ["full", "full2", "full3", "full_words"]
            } else {
                ["lead", "lead2", "lead3", "lead_words"]
            };
            out.extend([
                (names[0], c),
                (names[1], c * c),
                (names[2], c * c * c),
                (names[3], c * p.words * mono),
            ]);
        }
    }
    out
}

/// The graded score of a pair.
pub fn graded(p: &PairInputs, cal: &Calibration) -> Graded {
    let fit = match (p.full, p.lead) {
        (Some(_), Some(_)) => &cal.full,
        (_, Some(_)) => &cal.lead,
        _ => &cal.words,
    };
    let inputs = named_inputs(p);
    let raw = fit.bias
        + fit
            .weights
            .iter()
            .map(|(name, w)| {
                w * inputs
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(0.0, |(_, v)| *v)
            })
            .sum::<f32>();
    let overall = if raw.is_finite() {
        raw.clamp(1.0, 4.0)
    } else {
        4.0
    };
    let verdict = if overall <= cal.same_story {
        Verdict::SameStory
    } else if overall <= cal.related {
        Verdict::Related
    } else {
        Verdict::Unrelated
    };
    Graded {
        score: (4.0 - overall) / 3.0,
        overall,
        verdict,
    }
}

/// TF-IDF cosine of two articles' terms, with document frequencies `df`
/// over `n_docs` documents. Terms carry their language, so two languages
/// share none.
pub fn words_cosine(a: &Features, b: &Features, df: &HashMap<String, u32>, n_docs: u32) -> f32 {
    let n = f64::from(n_docs.max(1));
    // Ordered, so that sums (and so scores) are the same on every run.
    fn weigh<'f>(f: &'f Features, df: &HashMap<String, u32>, n: f64) -> BTreeMap<&'f str, f32> {
        let mut m: BTreeMap<&str, f32> = f
            .terms
            .iter()
            .map(|(t, &w)| {
                let d = f64::from(df.get(t).copied().unwrap_or(1));
                (t.as_str(), tfidf(w, d, n))
            })
            .collect();
        let norm = length(m.values().copied());
        if norm > 0.0 {
            m.values_mut().for_each(|w| *w /= norm);
        }
        m
    }
    let (wa, wb) = (weigh(a, df, n), weigh(b, df, n));
    let (small, large) = if wa.len() <= wb.len() {
        (&wa, &wb)
    } else {
        (&wb, &wa)
    };
    small
        .iter()
        .filter_map(|(t, w)| large.get(t).map(|x| x * w))
        .sum::<f32>()
        .clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(full: Option<f32>, lead: Option<f32>, words: f32, same_lang: bool) -> PairInputs {
        PairInputs {
            full,
            lead,
            words,
            same_lang,
        }
    }

    /// The shipped fit means what it says: more alike inputs never score
    /// lower, a translation (high cosines, no shared words) is the same
    /// story, and unrelated texts are unrelated, in every kind of inputs.
    #[test]
    fn shipped_calibration_is_monotone_and_graded() {
        let cal = Calibration::shipped();
        let mut last = -1.0;
        for step in 0..=20 {
            let c = step as f32 / 20.0;
            let g = graded(&pair(Some(c), Some(c), 0.0, false), cal);
            assert!(
                g.score >= last - 1e-3,
                "cosine {c}: {} after {last}",
                g.score
            );
            assert!((0.0..=1.0).contains(&g.score));
            last = g.score;
        }
        let cases = [
            (pair(Some(0.85), Some(0.8), 0.0, false), Verdict::SameStory),
            (pair(Some(0.05), Some(0.1), 0.0, false), Verdict::Unrelated),
            (pair(Some(0.9), Some(0.9), 0.8, true), Verdict::SameStory),
            (pair(Some(0.1), Some(0.05), 0.02, true), Verdict::Unrelated),
            (pair(None, Some(0.85), 0.0, false), Verdict::SameStory),
            (pair(None, None, 0.9, true), Verdict::SameStory),
            (pair(None, None, 0.0, true), Verdict::Unrelated),
        ];
        for (p, want) in cases {
            assert_eq!(graded(&p, cal).verdict, want, "{p:?}");
        }
        let nan = graded(&pair(Some(f32::NAN), Some(0.5), 0.0, false), cal);
        assert_eq!(nan.verdict, Verdict::Unrelated);
    }
}
