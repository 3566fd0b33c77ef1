//! One story's state: the sum of its members' vectors (trimmed to its top
//! terms), its recent members for member-level comparison, and its members.
//! Every change to a story's vectors goes through these methods, so the
//! centroid, its norms and the recent members never disagree.

use ahash::AHashMap;

use crate::emb::Emb;
use crate::sparse::Vector;
use crate::{Group, GROUPS};

/// Members kept per story for member-level comparison.
pub(crate) const RECENT_MEMBERS: usize = 16;

/// A recent member: its doc index, the top of its vector, its embedding.
pub(crate) type Recent = (u32, Vector, Emb);

pub(crate) struct Story {
    /// The caller-visible id.
    pub(crate) id: u64,
    /// Set when merged into another story (an index into the clusterer's stories).
    pub(crate) merged_into: Option<u32>,
    /// Sum of its members' vectors.
    pub(crate) centroid: AHashMap<u32, f32>,
    /// Length of each group's part of the centroid.
    pub(crate) norms: [f32; GROUPS],
    pub(crate) size: u32,
    pub(crate) last: Option<i64>,
    /// The latest members, in doc order: a new article may resemble one of
    /// them more than their sum (headlines, follow-ups), and a split divides
    /// them.
    pub(crate) recent: Vec<Recent>,
    /// Sum of its members' embeddings (empty while none has one).
    pub(crate) emb: Vec<f32>,
    /// Every member's doc index, copies included.
    pub(crate) members: Vec<u32>,
    /// Joins since the last split check.
    pub(crate) since_check: u32,
}

impl Story {
    /// An empty story.
    pub(crate) fn new(id: u64, last: Option<i64>) -> Self {
        Story {
            id,
            merged_into: None,
            centroid: AHashMap::new(),
            norms: [0.0; GROUPS],
            size: 0,
            last,
            recent: Vec::new(),
            emb: Vec::new(),
            members: Vec::new(),
            since_check: 0,
        }
    }

    /// Adds a vector to the centroid (call [`Story::settle`] after).
    pub(crate) fn add_terms(&mut self, v: impl IntoIterator<Item = (u32, f32)>) {
        for (t, w) in v {
            *self.centroid.entry(t).or_insert(0.0) += w;
        }
    }

    /// Takes a vector out of the centroid; terms that fall to nothing go.
    pub(crate) fn remove_terms(&mut self, v: &Vector) {
        for (t, w) in v {
            if let Some(c) = self.centroid.get_mut(t) {
                *c -= w;
                if *c <= 1e-6 {
                    self.centroid.remove(t);
                }
            }
        }
    }

    /// Keeps recent members, in doc order, the oldest dropped past
    /// [`RECENT_MEMBERS`].
    pub(crate) fn keep_recent(&mut self, members: impl IntoIterator<Item = Recent>) {
        self.recent.extend(members);
        self.recent.sort_by_key(|(d, _, _)| *d);
        let excess = self.recent.len().saturating_sub(RECENT_MEMBERS);
        self.recent.drain(..excess);
    }

    /// Trims the centroid to its top terms per group (`limits`), once it
    /// holds twice as many, and recomputes its norms. `group` maps term ids
    /// to their group.
    pub(crate) fn settle(&mut self, limits: &[usize; GROUPS], group: &[u8]) {
        let limit: usize = limits.iter().sum();
        if self.centroid.len() > limit * 2 {
            let mut all: Vec<(u32, f32)> = self.centroid.drain().collect();
            all.sort_by(|a, b| {
                group[a.0 as usize]
                    .cmp(&group[b.0 as usize])
                    .then(b.1.total_cmp(&a.1))
                    .then(a.0.cmp(&b.0))
            });
            let mut kept = [0usize; GROUPS];
            for (t, w) in all {
                let g = group[t as usize] as usize;
                if kept[g] < limits[g] {
                    kept[g] += 1;
                    self.centroid.insert(t, w);
                }
            }
        }
        let mut norms = [0.0f32; GROUPS];
        for (t, w) in &self.centroid {
            norms[group[*t as usize] as usize] += w * w;
        }
        self.norms = norms.map(f32::sqrt);
    }

    /// Cosine of some weighted words (unit length) to the word centroid.
    pub(crate) fn word_cosine<'a>(&self, words: impl Iterator<Item = &'a (u32, f32)>) -> f32 {
        let dot: f32 = words
            .filter_map(|(t, w)| self.centroid.get(t).map(|c| c * w))
            .sum();
        dot / self.norms[Group::Words as usize].max(f32::EPSILON)
    }
}
