//! One pair of articles scored with the story model, for related news and
//! the similarity benchmark: each article is a one-member story of the other.

use std::collections::{BTreeMap, HashMap};

use crate::emb::{dot, unit_emb};
use crate::sparse::{length, tfidf};
use crate::{group_of, minhash, Config, Features, Model, FEATURES, GROUPS, VECTOR};

/// Probability in [0, 1] that two articles tell the same story: the larger
/// of their shingle overlap (copies) and the model's judgement of one as a
/// story of the other, with document frequencies `df` over `n_docs`
/// documents (every text being compared), and the caller's embeddings of
/// both if it has them.
pub fn similarity(
    a: &Features,
    b: &Features,
    df: &HashMap<String, u32>,
    n_docs: u32,
    model: &Model,
    vectors: Option<(&[f32], &[f32])>,
) -> f32 {
    let jac = minhash::jaccard(&a.shingles, &b.shingles);
    let cfg = Config::default();
    fn groups<'f>(
        f: &'f Features,
        df: &HashMap<String, u32>,
        n_docs: u32,
        keep: &[usize; GROUPS],
    ) -> [BTreeMap<&'f str, f32>; GROUPS] {
        let n = f64::from(n_docs.max(1));
        let mut all: Vec<(&str, usize, f32)> = f
            .terms
            .iter()
            .map(|(t, &w)| {
                let d = f64::from(df.get(t).copied().unwrap_or(1));
                (t.as_str(), group_of(t) as usize, tfidf(w, d, n))
            })
            .collect();
        all.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(b.0)));
        // Ordered, so that sums (and so scores) are the same on every run.
        let mut out: [BTreeMap<&str, f32>; GROUPS] = Default::default();
        for (t, g, w) in all {
            if out[g].len() < keep[g] {
                out[g].insert(t, w);
            }
        }
        for part in &mut out {
            let norm = length(part.values().copied());
            part.values_mut().for_each(|w| *w /= norm);
        }
        out
    }
    let (ga, gb) = (
        groups(a, df, n_docs, &cfg.doc_terms),
        groups(b, df, n_docs, &cfg.doc_terms),
    );
    let mut x = [0.0f32; FEATURES];
    for g in 0..GROUPS {
        let cos: f32 = ga[g]
            .iter()
            .filter_map(|(t, w)| gb[g].get(t).map(|x| x * w))
            .sum();
        // One article as a story of the other: centroid and member agree.
        x[2 * g] = cos;
        x[2 * g + 1] = cos;
    }
    let vectors = vectors.and_then(|(va, vb)| Some((unit_emb(Some(va))?, unit_emb(Some(vb))?)));
    if let Some((va, vb)) = &vectors {
        x[VECTOR] = dot(va, vb);
        x[VECTOR + 1] = x[VECTOR];
    }
    let headline = a.is_headline() || b.is_headline();
    jac.max(model.weights(headline, vectors.is_some()).probability(&x))
        .clamp(0.0, 1.0)
}
