//! Training only: articles placed in the story of their gold label, with
//! the model's features of every candidate story the ranking judged. What
//! `bench/train_cluster.py` fits the story model on; production never
//! builds one.

use ahash::AHashMap;

use crate::clusterer::doc_features;
use crate::{minhash, Clusterer, Config, Doc, FEATURES};

/// A clusterer that places articles by their gold labels, for fitting the
/// story model.
#[doc(hidden)]
pub struct Trainer {
    c: Clusterer,
    /// Gold label -> story.
    gold: AHashMap<String, u32>,
}

impl Trainer {
    /// An empty trainer over a clusterer with `cfg`.
    pub fn new(cfg: Config) -> Self {
        Trainer {
            c: Clusterer::new(cfg),
            gold: AHashMap::new(),
        }
    }

    /// Places an article in the story of its gold `label` and
    /// returns the model's features for each candidate story it judged, with
    /// whether that candidate is the gold story. Copies give no rows.
    pub fn add_labeled(&mut self, doc: &Doc<'_>, label: &str) -> Vec<([f32; FEATURES], bool)> {
        if self.c.by_id.contains_key(doc.id) {
            return Vec::new();
        }
        let f = doc_features(doc);
        let signature = minhash::signature(&f.shingles);
        if self.c.place_copy(doc, &signature).is_some() {
            return Vec::new();
        }
        let vz = self.c.vectorize(&f, doc);
        let me = self.c.docs.len() as u32;
        let gold = self.gold.get(label).map(|&s| self.c.live(s));
        let rows = self
            .c
            .rank_stories(&vz, None)
            .into_iter()
            .filter_map(|r| Some((r.x?, Some(self.c.live(r.story)) == gold)))
            .collect();
        let story = match gold {
            Some(s) => {
                self.c.join(s, &vz, me);
                s
            }
            None => {
                let s = self.c.open(&vz, None, me);
                self.gold.insert(label.to_string(), s);
                s
            }
        };
        self.c.remember(doc.id, story, signature, None);
        rows
    }
}
