//! The story model: the probability that an article belongs to a story, a
//! logistic function of how much each feature group of the article agrees
//! with the story (Miranda et al., EMNLP 2018, weigh their groups the same way).
//!
//! The weights are fitted by `bench/train_cluster.py` on the shared
//! development sets (ECB+ topics 1-22 for articles, the UCI sample for
//! headlines), which writes them to `model.json` beside this crate's
//! manifest (`--write`); that script also reports the scores of weights
//! fitted without the part of each set they are scored on. With
//! `--embed DIR` it fits the weights for articles that come with an
//! embedding as well.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::analyze::GROUPS;

/// Features per article and story: for each group, the cosine to the story's
/// centroid and the best cosine to one of its recent members; then the same
/// two for the caller's embeddings ([`VECTOR`]).
pub const FEATURES: usize = 2 * GROUPS + 2;

/// Index of the embedding features: the cosine of the article's embedding to
/// the mean of the story's, and the best cosine to a recent member's.
pub const VECTOR: usize = 2 * GROUPS;

/// One logistic model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    /// Intercept.
    pub bias: f32,
    /// One weight per feature, in the order of [`FEATURES`]: words
    /// (centroid, member), names (..), numbers (..), lead (..), embedding (..).
    /// A file with fewer (written before the embedding features) reads
    /// with zeros for the rest.
    #[serde(deserialize_with = "weights_or_fewer")]
    pub w: [f32; FEATURES],
}

/// Reads up to [`FEATURES`] weights; missing ones are zero.
fn weights_or_fewer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[f32; FEATURES], D::Error> {
    let v: Vec<f32> = Vec::deserialize(d)?;
    if v.len() > FEATURES {
        return Err(serde::de::Error::invalid_length(
            v.len(),
            &"at most 10 weights",
        ));
    }
    let mut w = [0.0; FEATURES];
    w[..v.len()].copy_from_slice(&v);
    Ok(w)
}

impl Weights {
    /// Log-odds that the article belongs to the story.
    pub fn logit(&self, x: &[f32; FEATURES]) -> f32 {
        self.bias + self.w.iter().zip(x).map(|(w, x)| w * x).sum::<f32>()
    }

    /// Probability that the article belongs to the story.
    pub fn probability(&self, x: &[f32; FEATURES]) -> f32 {
        1.0 / (1.0 + (-self.logit(x)).exp())
    }
}

/// Weights for articles with a body, and for headlines alone (feed items
/// without a page, [`crate::Features::is_headline`]): a headline has no
/// names, lead or body words to weigh. An article that comes with an
/// embedding ([`crate::Doc::vector`]) is judged by the `_vector` weights when
/// the model has them: an embedding moves the other weights too.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Articles with body text.
    pub article: Weights,
    /// Headlines.
    pub headline: Weights,
    /// Articles with body text and an embedding.
    #[serde(default)]
    pub article_vector: Option<Weights>,
    /// Headlines with an embedding.
    #[serde(default)]
    pub headline_vector: Option<Weights>,
}

impl Model {
    /// The weights that judge an article.
    pub fn weights(&self, headline: bool, vector: bool) -> &Weights {
        match (headline, vector) {
            (true, true) => self.headline_vector.as_ref().unwrap_or(&self.headline),
            (false, true) => self.article_vector.as_ref().unwrap_or(&self.article),
            (true, false) => &self.headline,
            (false, false) => &self.article,
        }
    }
}

/// The shipped weights, as `bench/train_cluster.py --embed DIR --write`
/// writes them. It leaves out a set of vector weights that does not beat
/// the plain ones cross-validated: `article_vector` scored 0.900 on ECB+
/// against 0.904 without (bodies have words enough; BENCHMARKS.md).
const SHIPPED: &str = include_str!("../model.json");

impl Default for Model {
    fn default() -> Self {
        static MODEL: OnceLock<Model> = OnceLock::new();
        *MODEL.get_or_init(|| {
            // Checked by a test: the file is part of the crate, not input.
            serde_json::from_str(SHIPPED).unwrap_or_else(|e| panic!("model.json: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_model_reads_with_every_weight_set() {
        let m: Model = serde_json::from_str(SHIPPED).expect("model.json parses");
        assert!(m.article.w.iter().any(|&w| w != 0.0));
        assert!(m.headline.w.iter().any(|&w| w != 0.0));
        assert_eq!(Model::default(), m);
    }
}
