//! Judging candidate stories: the inverted index finds them, word cosines
//! rank them, and the model judges the best [`MODEL_CHECKS`] of them from
//! their features.

use crate::emb::{dot, emb_cosine};
use crate::sparse::Vector;
use crate::story::Story;
use crate::{Group, Weights, FEATURES, GROUPS, VECTOR};

use super::{Clusterer, Vectorized, INDEX_WORDS, MODEL_CHECKS, STORIES_PER_TERM};

/// A candidate story as the ranking judged it.
pub(crate) struct Ranked {
    pub(crate) story: u32,
    /// Probability of belonging (0 for candidates the model did not judge).
    pub(crate) p: f32,
    /// Word similarity, with time decay: what related news is ranked by.
    pub(crate) related: f32,
    /// The model's features, for judged candidates.
    pub(crate) x: Option<[f32; FEATURES]>,
}

impl Clusterer {
    /// Whether a second story that the article belongs to as well merges
    /// with the one it joined: the model is as sure of both.
    pub(crate) fn merges_with(&self, ranked: &[Ranked], other: u32) -> bool {
        ranked
            .iter()
            .find(|r| self.live(r.story) == other)
            .is_some_and(|r| r.x.is_some() && r.p >= self.cfg.merge_threshold)
    }

    /// Related stories from a ranking: similar by words, best first, not `story`.
    pub(crate) fn related(&self, ranked: &[Ranked], story: u32) -> Vec<(u64, f32)> {
        let mut by_relation: Vec<(u32, f32)> = ranked
            .iter()
            .map(|r| (self.live(r.story), r.related))
            .collect();
        by_relation.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut out: Vec<(u32, f32)> = Vec::new();
        for (s, sim) in by_relation {
            if s != story && sim >= self.cfg.related_threshold && !out.iter().any(|(t, _)| *t == s)
            {
                out.push((s, sim));
            }
            if out.len() == self.cfg.related_max {
                break;
            }
        }
        out.into_iter()
            .map(|(s, sim)| (self.stories[s as usize].id, sim))
            .collect()
    }

    /// Cosine of an article's words to a story's word centroid.
    pub(crate) fn word_cosine(&self, s: u32, v: &Vector) -> f32 {
        let words = Group::Words as u8;
        self.stories[s as usize].word_cosine(
            v.iter()
                .filter(|(t, _)| self.vocab.group[*t as usize] == words),
        )
    }

    /// How far in time an article is from a story's latest member, from 0
    /// (same moment, or a time unknown) towards 1 (long apart).
    pub(crate) fn time_gap(&self, at: Option<i64>, story: &Story) -> f32 {
        match (at, story.last) {
            (Some(a), Some(b)) => {
                let days = (a - b).abs() as f64 / 86_400.0;
                (1.0 - (-days / self.cfg.time_scale_days).exp()) as f32
            }
            _ => 0.0,
        }
    }

    /// Probability that an article belongs to a story, given the model's
    /// features and the time between them: time divides the odds by up to
    /// `time_odds`.
    pub(crate) fn belongs(
        &self,
        weights: &Weights,
        x: &[f32; FEATURES],
        at: Option<i64>,
        story: u32,
    ) -> f32 {
        let gap = self.time_gap(at, &self.stories[story as usize]);
        let logit = weights.logit(x) - self.cfg.time_odds.max(1.0).ln() * gap;
        1.0 / (1.0 + (-logit).exp())
    }

    /// Runs `f` with the article spread over the dense scratch array.
    pub(crate) fn with_dense<R>(&self, vz: &Vectorized, f: impl FnOnce(&[f32]) -> R) -> R {
        let mut dense = self.dense.borrow_mut();
        if dense.len() < self.vocab.len() {
            dense.resize(self.vocab.len(), 0.0);
        }
        for &(t, w) in &vz.v {
            dense[t as usize] = w;
        }
        let out = f(&dense);
        for &(t, _) in &vz.v {
            dense[t as usize] = 0.0;
        }
        out
    }

    /// The model's features of an article (also spread over `dense`)
    /// against a story; `without` leaves one member (the article itself, on
    /// a second look) out of the story.
    pub(crate) fn model_features(
        &self,
        s: u32,
        vz: &Vectorized,
        dense: &[f32],
        without: Option<u32>,
    ) -> [f32; FEATURES] {
        let story = &self.stories[s as usize];
        let mut dots = [0.0f32; GROUPS];
        let mut norms2 = story.norms.map(|n| n * n);
        for &(t, w) in &vz.v {
            let g = self.vocab.group[t as usize] as usize;
            let c = story.centroid.get(&t).copied().unwrap_or(0.0);
            if without.is_some() {
                let rest = (c - w).max(0.0);
                dots[g] += w * rest;
                norms2[g] -= c * c - rest * rest;
            } else {
                dots[g] += w * c;
            }
        }
        let mut members = [0.0f32; GROUPS];
        for (d, m, _) in &story.recent {
            if Some(*d) == without {
                continue;
            }
            let mut by_group = [0.0f32; GROUPS];
            for &(t, w) in m {
                by_group[self.vocab.group[t as usize] as usize] += w * dense[t as usize];
            }
            for g in 0..GROUPS {
                members[g] = members[g].max(by_group[g]);
            }
        }
        let mut x = [0.0f32; FEATURES];
        for g in 0..GROUPS {
            let norm = norms2[g].max(0.0).sqrt();
            x[2 * g] = if norm > 1e-6 { dots[g] / norm } else { 0.0 };
            x[2 * g + 1] = members[g];
        }
        if let Some(e) = &vz.emb {
            x[VECTOR] = emb_cosine(e, &story.emb, without.map(|_| &**e));
            x[VECTOR + 1] = story
                .recent
                .iter()
                .filter(|(d, _, _)| Some(*d) != without)
                .filter_map(|(_, _, m)| m.as_deref())
                .map(|m| dot(e, m))
                .fold(0.0, f32::max);
        }
        x
    }

    /// Live candidate stories sharing top words or names with the article,
    /// ranked first by words and then, for the best of them, by the model:
    /// most probable first. `skip` is left out.
    pub(crate) fn rank_stories(&self, vz: &Vectorized, skip: Option<u32>) -> Vec<Ranked> {
        let mut candidates: Vec<u32> = Vec::new();
        let terms = vz
            .words
            .iter()
            .take(INDEX_WORDS)
            .map(|(t, _)| t)
            .chain(&vz.names);
        for term in terms {
            if let Some(p) = self.postings.get(term) {
                // The most recent stories of a term are the likely ones.
                candidates.extend(p.iter().rev().take(STORIES_PER_TERM).map(|&s| self.live(s)));
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let words = Group::Words as usize;
        // Words first (cheap): the model judges only the best of them.
        let mut scored: Vec<(u32, f32)> = candidates
            .into_iter()
            .filter(|&s| Some(s) != skip && self.stories[s as usize].size > 0)
            .map(|s| (s, self.stories[s as usize].word_cosine(vz.words.iter())))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let weights = self.cfg.model.weights(vz.headline, vz.emb.is_some());
        let mut ranked: Vec<Ranked> = self.with_dense(vz, |dense| {
            scored
                .into_iter()
                .enumerate()
                .map(|(rank, (s, word_sim))| {
                    // Related news fades with time (to half).
                    let decay = 1.0 - 0.5 * self.time_gap(vz.published, &self.stories[s as usize]);
                    if rank < MODEL_CHECKS {
                        let x = self.model_features(s, vz, dense, None);
                        // A single member counts for less than the whole story.
                        let related = x[2 * words].max(0.75 * x[2 * words + 1]) * decay;
                        // The meaning veto: an article whose embedding is far
                        // from the story's and from each recent member's is
                        // another event, however many words they share.
                        let vetoed = vz.emb.is_some()
                            && !self.stories[s as usize].emb.is_empty()
                            && x[VECTOR].max(x[VECTOR + 1]) < self.cfg.vector_floor;
                        Ranked {
                            story: s,
                            p: if vetoed {
                                0.0
                            } else {
                                self.belongs(weights, &x, vz.published, s)
                            },
                            related,
                            x: Some(x),
                        }
                    } else {
                        Ranked {
                            story: s,
                            p: 0.0,
                            related: word_sim * decay,
                            x: None,
                        }
                    }
                })
                .filter(|r| r.related > 0.0 || r.x.is_some())
                .collect()
        });
        // Ties go to the older story, so the order of candidates never matters.
        ranked.sort_by(|a, b| {
            b.p.total_cmp(&a.p)
                .then(b.related.total_cmp(&a.related))
                .then(a.story.cmp(&b.story))
        });
        ranked
    }
}
