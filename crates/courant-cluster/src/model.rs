//! The story model: the probability that an article belongs to a story, a
//! logistic function of how much each feature group of the article agrees
//! with the story (Miranda et al., EMNLP 2018, weigh their groups the same way).
//!
//! The weights are fitted by `bench/train_cluster.py` on the shared
//! development sets (ECB+ topics 1-22 for articles, the UCI sample for
//! headlines) and copied here; that script also reports the scores of
//! weights fitted without the part of each set they are scored on.

use serde::{Deserialize, Serialize};

use crate::analyze::GROUPS;

/// Features per article and story: for each group, the cosine to the story's
/// centroid and the best cosine to one of its recent members.
pub const FEATURES: usize = 2 * GROUPS;

/// One logistic model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    /// Intercept.
    pub bias: f32,
    /// One weight per feature, in the order of [`FEATURES`]: words
    /// (centroid, member), names (..), numbers (..), lead (..).
    pub w: [f32; FEATURES],
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
/// names, lead or body words to weigh.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Articles with body text.
    pub article: Weights,
    /// Headlines.
    pub headline: Weights,
}

impl Model {
    /// The weights that judge an article.
    pub fn weights(&self, headline: bool) -> &Weights {
        if headline {
            &self.headline
        } else {
            &self.article
        }
    }
}

impl Default for Model {
    /// Printed by `python3 bench/train_cluster.py` (see BENCHMARKS.md).
    fn default() -> Self {
        Model {
            article: Weights {
                bias: -5.836,
                w: [1.665, 3.503, 3.474, 2.962, 7.1, -0.281, 4.156, -0.574],
            },
            headline: Weights {
                bias: -5.97,
                w: [19.957, 5.104, 0.0, 0.0, 0.381, -0.128, 0.0, 0.0],
            },
        }
    }
}
