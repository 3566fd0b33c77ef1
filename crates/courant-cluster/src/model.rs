//! The story model: the probability that an article belongs to a story, a
//! logistic function of how much each feature group of the article agrees
//! with the story (Miranda et al., EMNLP 2018, weigh their groups the same way).
//!
//! The weights are fitted by `bench/train_cluster.py` on the shared
//! development sets (ECB+ topics 1-22 for articles, the UCI sample for
//! headlines) and copied here; that script also reports the scores of
//! weights fitted without the part of each set they are scored on. With
//! `--embed DIR` it fits the weights for articles that come with an
//! embedding as well.

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

impl Default for Model {
    /// Printed by `python3 bench/train_cluster.py` (see BENCHMARKS.md).
    fn default() -> Self {
        Model {
            article: Weights {
                bias: -5.836,
                w: [
                    1.665, 3.503, 3.474, 2.962, 7.1, -0.281, 4.156, -0.574, 0.0, 0.0,
                ],
            },
            headline: Weights {
                bias: -5.552,
                w: [20.017, 5.169, 0.0, 0.0, 0.271, -0.013, 0.0, 0.0, 0.0, 0.0],
            },
            // Fitted too; on ECB+ it scored 0.900 cross-validated against
            // 0.904 without: bodies have words enough (BENCHMARKS.md).
            article_vector: None,
            headline_vector: Some(Weights {
                bias: -8.273,
                w: [
                    9.413, 1.292, 0.0, 0.0, 0.388, -0.351, 0.0, 0.0, 1.819, 10.301,
                ],
            }),
        }
    }
}
