//! Stories from a stream of articles: near-duplicate detection (MinHash with
//! LSH banding) and online story clustering. An article joins the story a
//! logistic model ([`Model`]) finds it most likely to belong to, from TF-IDF
//! cosines of four feature groups (words, names, numbers, lead); stories are
//! found through an inverted index, and every placement is looked at again
//! once later articles have arrived.
//!
//! Pure and deterministic: the same articles in the same order give the same
//! stories. State lives in [`Clusterer`]; callers persist what they need.
//! Story ids are assigned once and never change, so links keep working.
#![warn(missing_docs)]

mod analyze;
mod minhash;
mod model;

#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use ahash::AHashMap;

use serde::Serialize;

pub use analyze::{
    article_features, features, group_of, slug_words, Features, Group, GROUPS, LEAD_BYTES,
};
pub use model::{Model, Weights, FEATURES, VECTOR};

/// Tunables. The model's weights are fitted (see [`Model`]); the thresholds
/// are probabilities of the model, and the rest are round values chosen on
/// principle.
#[derive(Debug, Clone)]
pub struct Config {
    /// Probability of belonging to a story needed to join it.
    pub join_threshold: f32,
    /// Estimated Jaccard similarity of word 3-shingles that makes a copy.
    pub duplicate_jaccard: f32,
    /// Terms kept per article vector, per group.
    pub doc_terms: [usize; GROUPS],
    /// Terms kept per story centroid, per group.
    pub story_terms: [usize; GROUPS],
    /// Days over which time apart takes effect (1 - e^(-days/scale)).
    pub time_scale_days: f64,
    /// How many times less likely an article belongs to a story whose last
    /// article is long past than its content alone says: a follow-up months
    /// later needs more in common to join (else it is related news).
    pub time_odds: f32,
    /// Probability at which another story that an article belongs to as
    /// well as to the one it joins is merged with that one.
    pub merge_threshold: f32,
    /// Word similarity at which another story counts as related.
    pub related_threshold: f32,
    /// Related stories reported per article.
    pub related_max: usize,
    /// Cosine of the two halves of a story (2-means over its recent members)
    /// below which the newer half splits off as a story of its own.
    pub split_threshold: f32,
    /// The model that judges whether an article belongs to a story.
    pub model: Model,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            join_threshold: 0.5,
            duplicate_jaccard: 0.6,
            doc_terms: [100, 40, 40, 40],
            story_terms: [160, 48, 32, 48],
            time_scale_days: 10.0,
            time_odds: 4.0,
            merge_threshold: 0.95,
            related_threshold: 0.08,
            related_max: 5,
            split_threshold: 0.25,
            model: Model::default(),
        }
    }
}

/// One article to place.
#[derive(Debug, Clone, Copy, Default)]
pub struct Doc<'a> {
    /// Caller's id.
    pub id: &'a str,
    /// Title.
    pub title: &'a str,
    /// Body text.
    pub text: &'a str,
    /// ISO 639-1 language; English analysis when unknown.
    pub lang: Option<&'a str>,
    /// Publication time, Unix seconds.
    pub published: Option<i64>,
    /// The article's URL: its slug's words count as words.
    pub url: Option<&'a str>,
    /// The caller's embedding of the article (any length, the same for every
    /// article of a stream), one more signal beside the words; `None` leaves
    /// the article to the words alone.
    pub vector: Option<&'a [f32]>,
}

/// Where an article went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assignment {
    /// Story id, stable: a story keeps its id for good, and a story merged
    /// into another keeps resolving to the survivor ([`Clusterer::resolve`]).
    pub story: u64,
    /// The earlier article this one copies, if any.
    pub duplicate_of: Option<String>,
    /// Probability that it belongs to the story it joined (1.0 for a copy,
    /// 0.0 for a new story).
    pub similarity: f32,
    /// Cosine of the article's words to its story's centroid after joining:
    /// the most central member makes the story's title.
    pub central: f32,
    /// Stories merged while placing it: (merged story, story it went into).
    pub merged: Merges,
    /// Earlier articles that moved to another story (article id, new story):
    /// a second look found them more likely in another story, or their
    /// story split.
    pub moved: Moves,
    /// Other stories it resembles, below joining, best first.
    pub related: Vec<(u64, f32)>,
}

/// Articles that moved: (article id, story it is in now).
pub type Moves = Vec<(String, u64)>;

/// Stories merged: (merged story, story it went into).
pub type Merges = Vec<(u64, u64)>;

/// Sparse vector sorted by term id; each group's part has unit length.
type Vector = Vec<(u32, f32)>;

/// An article's vector and what finds its candidate stories.
struct Vectorized {
    v: Vector,
    /// The top of `v` per group ([`MEMBER_TERMS`]): what a story keeps of
    /// a recent member.
    member: Vector,
    /// Top words by weight, for the inverted index and the first ranking.
    words: Vec<(u32, f32)>,
    /// Top names by weight, for the inverted index.
    names: Vec<u32>,
    /// The caller's embedding, of unit length.
    emb: Emb,
    headline: bool,
    published: Option<i64>,
}

/// An embedding of unit length, if the caller gave one.
type Emb = Option<Box<[f32]>>;

struct Story {
    /// The caller-visible id.
    id: u64,
    /// Set when merged into another story (an index into `stories`).
    merged_into: Option<u32>,
    /// Sum of its members' vectors.
    centroid: AHashMap<u32, f32>,
    /// Length of each group's part of the centroid.
    norms: [f32; GROUPS],
    size: u32,
    last: Option<i64>,
    /// The latest members (doc index, vector): a new article may resemble
    /// one of them more than their sum (headlines, follow-ups), and a split
    /// divides them.
    recent: Vec<(u32, Vector, Emb)>,
    /// Sum of its members' embeddings (empty while none has one).
    emb: Vec<f32>,
    /// Every member's doc index, copies included.
    members: Vec<u32>,
    /// Joins since the last split check.
    since_check: u32,
}

/// A story is checked for a split after this many joins.
const SPLIT_EVERY: u32 = 8;

/// Members each half needs before a story splits.
const SPLIT_MIN: usize = 3;

/// Members kept per story for member-level comparison.
const RECENT_MEMBERS: usize = 16;

/// Candidate stories (best by words first) that the model judges.
const MODEL_CHECKS: usize = 8;

/// Words and names of an article that find candidate stories, and stories
/// taken per term (the most recent).
const INDEX_WORDS: usize = 15;
const INDEX_NAMES: usize = 5;
const STORIES_PER_TERM: usize = 32;

/// Terms per group a story keeps of each recent member (words, names,
/// numbers, lead): enough for the best single match, and a fraction of the
/// article's vector in memory and comparisons.
const MEMBER_TERMS: [usize; GROUPS] = [64, 24, 16, 24];

/// Words that rank candidates before the model judges the best of them.
const RANK_WORDS: usize = 20;

/// Placements are looked at again once this many wait (at least as many
/// articles have come after the first of them): later articles make stories
/// that did not exist yet.
const REFINE_EVERY: usize = 64;

/// Placements the model was at least this sure of are not looked at again
/// (they almost never move, and a second look costs a second ranking).
const SURE: f32 = 0.9;

struct DocEntry {
    id: String,
    story: u32,
    signature: minhash::Signature,
    /// The doc this one copies.
    copy_of: Option<u32>,
}

/// A candidate story as the ranking judged it.
struct Ranked {
    story: u32,
    /// Probability of belonging (0 for candidates the model did not judge).
    p: f32,
    /// Word similarity, with time decay: what related news is ranked by.
    related: f32,
    /// The model's features, for judged candidates.
    x: Option<[f32; FEATURES]>,
}

/// Online clusterer: feed articles in order with [`Clusterer::add`], or
/// replay stored decisions with [`Clusterer::restore`].
pub struct Clusterer {
    cfg: Config,
    terms: AHashMap<String, u32>,
    df: Vec<u32>,
    /// Per term id: its group.
    group: Vec<u8>,
    n_docs: u32,
    stories: Vec<Story>,
    by_story_id: AHashMap<u64, u32>,
    next_story: u64,
    postings: AHashMap<u32, Vec<u32>>,
    docs: Vec<DocEntry>,
    by_id: AHashMap<String, u32>,
    lsh: minhash::Index,
    /// Placements to look at again ([`REFINE_EVERY`]).
    pending: Vec<(u32, Vectorized)>,
    /// Training only: gold label -> story.
    gold: AHashMap<String, u32>,
    /// Scratch: the article being judged as a dense array over term ids
    /// (zero elsewhere), so that comparing it with a member costs one read
    /// per member term.
    dense: RefCell<Vec<f32>>,
}

impl Clusterer {
    /// An empty clusterer; story ids start at 1.
    pub fn new(cfg: Config) -> Self {
        Clusterer {
            cfg,
            terms: AHashMap::new(),
            df: Vec::new(),
            group: Vec::new(),
            n_docs: 0,
            stories: Vec::new(),
            by_story_id: AHashMap::new(),
            next_story: 1,
            postings: AHashMap::new(),
            docs: Vec::new(),
            by_id: AHashMap::new(),
            lsh: minhash::Index::default(),
            pending: Vec::new(),
            gold: AHashMap::new(),
            dense: RefCell::new(Vec::new()),
        }
    }

    /// Number of articles seen.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// True before the first article.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Number of live stories (merged ones not counted).
    pub fn stories(&self) -> usize {
        self.stories
            .iter()
            .filter(|s| s.merged_into.is_none())
            .count()
    }

    /// The live story a story id now belongs to (itself unless merged).
    pub fn resolve(&self, story: u64) -> u64 {
        match self.by_story_id.get(&story) {
            Some(&i) => self.stories[self.live(i) as usize].id,
            None => story,
        }
    }

    fn live(&self, mut i: u32) -> u32 {
        while let Some(j) = self.stories[i as usize].merged_into {
            i = j;
        }
        i
    }

    /// The copy check: a near-duplicate of an earlier article joins its
    /// story and adds nothing to the centroid.
    fn place_copy(&mut self, doc: &Doc<'_>, signature: &minhash::Signature) -> Option<Assignment> {
        let (orig, sim) = self
            .lsh
            .best_match(signature, |i| &self.docs[i as usize].signature)?;
        if sim < self.cfg.duplicate_jaccard {
            return None;
        }
        let story = self.live(self.docs[orig as usize].story);
        let s = &mut self.stories[story as usize];
        s.size += 1;
        s.last = s.last.max(doc.published);
        let duplicate_of = Some(self.docs[orig as usize].id.clone());
        let story_id = s.id;
        self.remember(doc.id, story, *signature, Some(orig));
        self.n_docs += 1;
        Some(Assignment {
            story: story_id,
            duplicate_of,
            similarity: sim,
            central: 0.0,
            merged: Vec::new(),
            moved: Vec::new(),
            related: Vec::new(),
        })
    }

    /// Places one article. An id seen before gets its (current) story back.
    pub fn add(&mut self, doc: &Doc<'_>) -> Assignment {
        if let Some(&i) = self.by_id.get(doc.id) {
            let story = self.live(self.docs[i as usize].story);
            return Assignment {
                story: self.stories[story as usize].id,
                duplicate_of: None,
                similarity: 1.0,
                central: 0.0,
                merged: Vec::new(),
                moved: Vec::new(),
                related: Vec::new(),
            };
        }
        let f = doc_features(doc);
        let signature = minhash::signature(&f.shingles);
        if let Some(copy) = self.place_copy(doc, &signature) {
            return copy;
        }
        let vz = self.vectorize(&f, doc);
        let me = self.docs.len() as u32;
        let ranked = self.rank_stories(&vz, None);
        let mut merged = Vec::new();
        let (story, similarity) = match ranked.first() {
            Some(best) if best.p >= self.cfg.join_threshold => {
                let (best, p) = (best.story, best.p);
                self.join(best, &vz, me);
                // Other stories the article belongs to just as surely are
                // the same story: merge them into the oldest.
                let mut survivor = best;
                for other in ranked[1..].iter().take(MODEL_CHECKS) {
                    let other = self.live(other.story);
                    if other == survivor || !self.merges_with(&ranked, other) {
                        continue;
                    }
                    let (keep, gone) = older_first(&self.stories, survivor, other);
                    self.merge(gone, keep);
                    merged.push((
                        self.stories[gone as usize].id,
                        self.stories[keep as usize].id,
                    ));
                    survivor = keep;
                }
                (survivor, p)
            }
            _ => (self.open(&vz, None, me), 0.0),
        };
        let related = self.related(&ranked, story);
        let central = self.word_cosine(story, &vz.v);
        self.remember(doc.id, story, signature, None);
        if similarity < SURE {
            self.pending.push((me, vz));
        }
        let mut moved = self.split_check(story).unwrap_or_default();
        if self.pending.len() >= REFINE_EVERY {
            let (m, g) = self.refine();
            moved.extend(m);
            merged.extend(g);
        }
        let moved = self.moved_ids(moved, me);
        Assignment {
            story: self.stories[self.live(self.docs[me as usize].story) as usize].id,
            duplicate_of: None,
            similarity,
            central,
            merged,
            moved,
            related,
        }
    }

    /// Looks again at every placement not looked at since it was made (the
    /// last ones of a stream): [`Clusterer::add`] does this on its own when
    /// [`REFINE_EVERY`] placements wait. Returns the articles that moved and the
    /// stories that merged, as in [`Assignment`].
    pub fn settle(&mut self) -> (Moves, Merges) {
        let (moved, merged) = self.refine();
        (self.moved_ids(moved, u32::MAX), merged)
    }

    /// Placements still waiting for their second look.
    pub fn unsettled(&self) -> usize {
        self.pending.len()
    }

    /// Moved docs as (id, live story id), without `me` (the caller's own
    /// article, reported as its story).
    fn moved_ids(&self, mut moved: Vec<u32>, me: u32) -> Moves {
        moved.sort_unstable();
        moved.dedup();
        moved
            .into_iter()
            .filter(|&d| d != me)
            .map(|d| {
                let doc = &self.docs[d as usize];
                (
                    doc.id.clone(),
                    self.stories[self.live(doc.story) as usize].id,
                )
            })
            .collect()
    }

    /// Whether a second story that the article belongs to as well merges
    /// with the one it joined: the model is as sure of both.
    fn merges_with(&self, ranked: &[Ranked], other: u32) -> bool {
        ranked
            .iter()
            .find(|r| self.live(r.story) == other)
            .is_some_and(|r| r.x.is_some() && r.p >= self.cfg.merge_threshold)
    }

    /// Related stories from a ranking: similar by words, best first, not `story`.
    fn related(&self, ranked: &[Ranked], story: u32) -> Vec<(u64, f32)> {
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

    /// Training: places an article in the story of its gold `label` and
    /// returns the model's features for each candidate story it judged, with
    /// whether that candidate is the gold story. Copies give no rows.
    #[doc(hidden)]
    pub fn add_labeled(&mut self, doc: &Doc<'_>, label: &str) -> Vec<([f32; FEATURES], bool)> {
        if self.by_id.contains_key(doc.id) {
            return Vec::new();
        }
        let f = doc_features(doc);
        let signature = minhash::signature(&f.shingles);
        if self.place_copy(doc, &signature).is_some() {
            return Vec::new();
        }
        let vz = self.vectorize(&f, doc);
        let me = self.docs.len() as u32;
        let gold = self.gold.get(label).map(|&s| self.live(s));
        let rows = self
            .rank_stories(&vz, None)
            .into_iter()
            .filter_map(|r| Some((r.x?, Some(self.live(r.story)) == gold)))
            .collect();
        let story = match gold {
            Some(s) => {
                self.join(s, &vz, me);
                s
            }
            None => {
                let s = self.open(&vz, None, me);
                self.gold.insert(label.to_string(), s);
                s
            }
        };
        self.remember(doc.id, story, signature, None);
        rows
    }

    /// Replays a decision made earlier (by this or another worker): the
    /// article joins `story` as it did then, so state rebuilt from storage
    /// matches the state that made the decisions.
    pub fn restore(&mut self, doc: &Doc<'_>, story: u64, duplicate: bool) {
        if self.by_id.contains_key(doc.id) {
            return;
        }
        let f = doc_features(doc);
        let signature = minhash::signature(&f.shingles);
        self.next_story = self.next_story.max(story + 1);
        let idx = self.by_story_id.get(&story).map(|&i| self.live(i));
        let me = self.docs.len() as u32;
        let idx = if duplicate {
            self.n_docs += 1;
            match idx {
                Some(i) => {
                    let s = &mut self.stories[i as usize];
                    s.size += 1;
                    s.last = s.last.max(doc.published);
                    i
                }
                None => {
                    let v = self.vectorize(&f, doc);
                    self.n_docs -= 1;
                    self.open(&v, Some(story), me)
                }
            }
        } else {
            let v = self.vectorize(&f, doc);
            match idx {
                Some(i) => {
                    self.join(i, &v, me);
                    i
                }
                None => self.open(&v, Some(story), me),
            }
        };
        // The stored story is final (second looks and splits included).
        self.remember(doc.id, idx, signature, None);
    }

    fn remember(
        &mut self,
        id: &str,
        story: u32,
        signature: minhash::Signature,
        copy_of: Option<u32>,
    ) {
        let idx = self.docs.len() as u32;
        self.lsh.insert(idx, &signature);
        self.docs.push(DocEntry {
            id: id.to_string(),
            story,
            signature,
            copy_of,
        });
        self.stories[story as usize].members.push(idx);
        self.by_id.insert(id.to_string(), idx);
    }

    /// TF-IDF with sublinear term frequency, the top terms of each group,
    /// each group's part of unit length.
    fn vectorize(&mut self, f: &Features, doc: &Doc<'_>) -> Vectorized {
        let published = doc.published;
        self.n_docs += 1;
        let mut ids = Vec::with_capacity(f.terms.len());
        // In term order, so ids (and float sums) do not depend on hash order.
        let mut terms: Vec<(&String, &f32)> = f.terms.iter().collect();
        terms.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (term, &w) in terms {
            // Looked up before inserting: most terms are known, and a key
            // for the map costs an allocation.
            let id = match self.terms.get(term.as_str()) {
                Some(&id) => id,
                None => {
                    let id = self.terms.len() as u32;
                    self.terms.insert(term.clone(), id);
                    self.df.push(0);
                    self.group.push(group_of(term) as u8);
                    id
                }
            };
            self.df[id as usize] += 1;
            ids.push((id, w));
        }
        let n = f64::from(self.n_docs);
        let mut weighted: Vec<(u32, f32)> = ids
            .into_iter()
            .map(|(id, w)| {
                let idf = ((n + 1.0) / (f64::from(self.df[id as usize]) + 1.0)).ln() + 1.0;
                (id, ((1.0 + f64::from(w).ln()) * idf) as f32)
            })
            .collect();
        // By group, then weight: each group keeps its own top terms.
        weighted.sort_by(|a, b| {
            self.group[a.0 as usize]
                .cmp(&self.group[b.0 as usize])
                .then(b.1.total_cmp(&a.1))
                .then(a.0.cmp(&b.0))
        });
        let mut v: Vector = Vec::with_capacity(weighted.len().min(self.cfg.doc_terms.iter().sum()));
        let mut member: Vector = Vec::with_capacity(MEMBER_TERMS.iter().sum());
        let (mut words, mut names) = (Vec::new(), Vec::new());
        for (g, (&keep, &kept)) in self.cfg.doc_terms.iter().zip(&MEMBER_TERMS).enumerate() {
            let part: Vec<(u32, f32)> = weighted
                .iter()
                .filter(|(t, _)| self.group[*t as usize] as usize == g)
                .take(keep)
                .copied()
                .collect();
            let norm = norm(&part);
            if g == Group::Words as usize {
                words = part
                    .iter()
                    .take(RANK_WORDS)
                    .map(|&(t, w)| (t, w / norm))
                    .collect();
            } else if g == Group::Names as usize {
                names = part.iter().take(INDEX_NAMES).map(|&(t, _)| t).collect();
            }
            member.extend(part.iter().take(kept).map(|&(t, w)| (t, w / norm)));
            v.extend(part.into_iter().map(|(t, w)| (t, w / norm)));
        }
        v.sort_unstable_by_key(|x| x.0);
        member.sort_unstable_by_key(|x| x.0);
        Vectorized {
            v,
            member,
            words,
            names,
            emb: unit_emb(doc.vector),
            headline: f.is_headline(),
            published,
        }
    }

    /// Cosine of an article's words to a story's word centroid.
    fn word_cosine(&self, s: u32, v: &Vector) -> f32 {
        let story = &self.stories[s as usize];
        let words = Group::Words as usize;
        let dot: f32 = v
            .iter()
            .filter(|(t, _)| self.group[*t as usize] as usize == words)
            .filter_map(|(t, w)| story.centroid.get(t).map(|c| c * w))
            .sum();
        dot / story.norms[words].max(f32::EPSILON)
    }

    /// How far in time an article is from a story's latest member, from 0
    /// (same moment, or a time unknown) towards 1 (long apart).
    fn time_gap(&self, at: Option<i64>, story: &Story) -> f32 {
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
    fn belongs(&self, weights: &Weights, x: &[f32; FEATURES], at: Option<i64>, story: u32) -> f32 {
        let gap = self.time_gap(at, &self.stories[story as usize]);
        let logit = weights.logit(x) - self.cfg.time_odds.max(1.0).ln() * gap;
        1.0 / (1.0 + (-logit).exp())
    }

    /// Runs `f` with the article spread over the dense scratch array.
    fn with_dense<R>(&self, vz: &Vectorized, f: impl FnOnce(&[f32]) -> R) -> R {
        let mut dense = self.dense.borrow_mut();
        if dense.len() < self.group.len() {
            dense.resize(self.group.len(), 0.0);
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
    fn model_features(
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
            let g = self.group[t as usize] as usize;
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
                by_group[self.group[t as usize] as usize] += w * dense[t as usize];
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
    fn rank_stories(&self, vz: &Vectorized, skip: Option<u32>) -> Vec<Ranked> {
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
            .map(|s| {
                let story = &self.stories[s as usize];
                let dot: f32 = vz
                    .words
                    .iter()
                    .filter_map(|(t, w)| story.centroid.get(t).map(|c| c * w))
                    .sum();
                (s, dot / story.norms[words].max(f32::EPSILON))
            })
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
                        Ranked {
                            story: s,
                            p: self.belongs(weights, &x, vz.published, s),
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

    /// A second look at the placements made since the last one: an article
    /// that another story now claims more surely than its own moves there
    /// (its copies with it); one that was a story on its own merges into it.
    fn refine(&mut self) -> (Vec<u32>, Merges) {
        let pending = std::mem::take(&mut self.pending);
        let (mut moved, mut merged) = (Vec::new(), Vec::new());
        for (d, vz) in pending {
            let own = self.live(self.docs[d as usize].story);
            let originals = self.stories[own as usize]
                .members
                .iter()
                .filter(|&&m| self.docs[m as usize].copy_of.is_none())
                .count();
            let weights = *self.cfg.model.weights(vz.headline, vz.emb.is_some());
            let stay = if originals > 1 {
                let x = self.with_dense(&vz, |dense| self.model_features(own, &vz, dense, Some(d)));
                self.belongs(&weights, &x, vz.published, own)
            } else {
                0.0
            };
            let Some(best) = self
                .rank_stories(&vz, Some(own))
                .into_iter()
                .next()
                .filter(|r| r.p >= self.cfg.join_threshold && r.p > stay)
            else {
                continue;
            };
            let to = self.live(best.story);
            if originals > 1 {
                moved.extend(self.move_doc(d, &vz, own, to));
            } else {
                let (keep, gone) = older_first(&self.stories, own, to);
                self.merge(gone, keep);
                merged.push((
                    self.stories[gone as usize].id,
                    self.stories[keep as usize].id,
                ));
            }
        }
        (moved, merged)
    }

    /// Moves an article and its copies from one story to another; returns
    /// the docs that moved.
    fn move_doc(&mut self, d: u32, vz: &Vectorized, from: u32, to: u32) -> Vec<u32> {
        let going: Vec<u32> = self.stories[from as usize]
            .members
            .iter()
            .copied()
            .filter(|&m| m == d || self.docs[m as usize].copy_of == Some(d))
            .collect();
        let f = &mut self.stories[from as usize];
        for (t, w) in &vz.v {
            if let Some(c) = f.centroid.get_mut(t) {
                *c -= w;
                if *c <= 1e-6 {
                    f.centroid.remove(t);
                }
            }
        }
        f.recent.retain(|(m, _, _)| *m != d);
        emb_add(&mut f.emb, vz.emb.as_deref(), -1.0);
        f.members.retain(|m| !going.contains(m));
        f.size = f.size.saturating_sub(going.len() as u32);
        self.settle_story(from);
        let t = &mut self.stories[to as usize];
        for (term, w) in &vz.v {
            *t.centroid.entry(*term).or_insert(0.0) += w;
        }
        t.size += going.len() as u32;
        t.last = t.last.max(vz.published);
        emb_add(&mut t.emb, vz.emb.as_deref(), 1.0);
        t.recent.push((d, vz.member.clone(), vz.emb.clone()));
        t.recent.sort_by_key(|(m, _, _)| *m);
        let excess = t.recent.len().saturating_sub(RECENT_MEMBERS);
        t.recent.drain(..excess);
        t.members.extend(&going);
        self.settle_story(to);
        self.index(to, vz);
        for &m in &going {
            self.docs[m as usize].story = to;
        }
        going
    }

    fn open(&mut self, vz: &Vectorized, id: Option<u64>, doc: u32) -> u32 {
        let idx = self.stories.len() as u32;
        let id = id.unwrap_or(self.next_story);
        self.next_story = self.next_story.max(id + 1);
        self.by_story_id.insert(id, idx);
        self.stories.push(Story {
            id,
            merged_into: None,
            centroid: AHashMap::new(),
            norms: [0.0; GROUPS],
            size: 0,
            last: vz.published,
            recent: Vec::new(),
            emb: Vec::new(),
            members: Vec::new(),
            since_check: 0,
        });
        self.join(idx, vz, doc);
        idx
    }

    fn join(&mut self, s: u32, vz: &Vectorized, doc: u32) {
        let story = &mut self.stories[s as usize];
        for (t, w) in &vz.v {
            *story.centroid.entry(*t).or_insert(0.0) += w;
        }
        story.size += 1;
        story.last = story.last.max(vz.published);
        if story.recent.len() == RECENT_MEMBERS {
            story.recent.remove(0);
        }
        story.recent.push((doc, vz.member.clone(), vz.emb.clone()));
        emb_add(&mut story.emb, vz.emb.as_deref(), 1.0);
        story.since_check += 1;
        self.settle_story(s);
        self.index(s, vz);
    }

    /// Lists a story under the article's top words and names.
    fn index(&mut self, s: u32, vz: &Vectorized) {
        let terms = vz
            .words
            .iter()
            .take(INDEX_WORDS)
            .map(|(t, _)| *t)
            .chain(vz.names.iter().copied());
        for t in terms {
            let p = self.postings.entry(t).or_default();
            if p.last() != Some(&s) {
                p.push(s);
            }
        }
    }

    /// Trims a centroid to its top terms per group and recomputes its norms.
    fn settle_story(&mut self, s: u32) {
        let limit: usize = self.cfg.story_terms.iter().sum();
        let group = &self.group;
        let story = &mut self.stories[s as usize];
        if story.centroid.len() > limit * 2 {
            let mut all: Vec<(u32, f32)> = story.centroid.drain().collect();
            all.sort_by(|a, b| {
                group[a.0 as usize]
                    .cmp(&group[b.0 as usize])
                    .then(b.1.total_cmp(&a.1))
                    .then(a.0.cmp(&b.0))
            });
            let mut kept = [0usize; GROUPS];
            for (t, w) in all {
                let g = group[t as usize] as usize;
                if kept[g] < self.cfg.story_terms[g] {
                    kept[g] += 1;
                    story.centroid.insert(t, w);
                }
            }
        }
        let mut norms = [0.0f32; GROUPS];
        for (t, w) in &story.centroid {
            norms[group[*t as usize] as usize] += w * w;
        }
        story.norms = norms.map(f32::sqrt);
    }

    /// Folds story `gone` into `keep`; `gone`'s id resolves to `keep` from now on.
    fn merge(&mut self, gone: u32, keep: u32) {
        let g = &mut self.stories[gone as usize];
        g.merged_into = Some(keep);
        let centroid = std::mem::take(&mut g.centroid);
        let recent = std::mem::take(&mut g.recent);
        let emb = std::mem::take(&mut g.emb);
        let members = std::mem::take(&mut g.members);
        let (size, last) = (g.size, g.last);
        let k = &mut self.stories[keep as usize];
        for (t, w) in centroid {
            *k.centroid.entry(t).or_insert(0.0) += w;
        }
        k.size += size;
        k.last = k.last.max(last);
        emb_add(&mut k.emb, (!emb.is_empty()).then_some(&emb[..]), 1.0);
        k.recent.extend(recent);
        k.recent.sort_by_key(|(d, _, _)| *d);
        let excess = k.recent.len().saturating_sub(RECENT_MEMBERS);
        k.recent.drain(..excess);
        k.members.extend(members);
        self.settle_story(keep);
    }

    /// After every few joins, divides the story's recent members in two
    /// (2-means over their words); when the halves are far apart, the half
    /// without the oldest member becomes a new story, with the copies of its
    /// members. Returns the docs that moved.
    fn split_check(&mut self, s: u32) -> Option<Vec<u32>> {
        let story = &mut self.stories[s as usize];
        if story.since_check < SPLIT_EVERY || story.recent.len() < 2 * SPLIT_MIN {
            return None;
        }
        story.since_check = 0;
        let words = Group::Words as u8;
        let vectors: Vec<Vector> = story
            .recent
            .iter()
            .map(|(_, v, _)| {
                v.iter()
                    .filter(|(t, _)| self.group[*t as usize] == words)
                    .copied()
                    .collect()
            })
            .collect();
        let refs: Vec<&Vector> = vectors.iter().collect();
        let (a, b, apart) = two_means(&refs)?;
        if a.len() < SPLIT_MIN || b.len() < SPLIT_MIN || apart >= self.cfg.split_threshold {
            return None;
        }
        // The half with the oldest member keeps the id (recent is in doc order).
        let (keep, go) = if a.contains(&0) { (a, b) } else { (b, a) };
        let story = &mut self.stories[s as usize];
        let recent = std::mem::take(&mut story.recent);
        let (mut stay, mut leave) = (Vec::new(), Vec::new());
        for (i, m) in recent.into_iter().enumerate() {
            if go.contains(&i) {
                leave.push(m);
            } else {
                stay.push(m);
            }
        }
        debug_assert_eq!(stay.len(), keep.len());
        story.recent = stay;
        let mut leaving_emb = Vec::new();
        for (_, v, e) in &leave {
            emb_add(&mut story.emb, e.as_deref(), -1.0);
            emb_add(&mut leaving_emb, e.as_deref(), 1.0);
            for (t, w) in v {
                if let Some(c) = story.centroid.get_mut(t) {
                    *c -= w;
                    if *c <= 1e-6 {
                        story.centroid.remove(t);
                    }
                }
            }
        }
        let leaving: Vec<u32> = leave.iter().map(|(d, _, _)| *d).collect();
        let mut moved: Vec<u32> = story
            .members
            .iter()
            .copied()
            .filter(|&m| {
                leaving.contains(&m)
                    || self.docs[m as usize]
                        .copy_of
                        .is_some_and(|o| leaving.contains(&o))
            })
            .collect();
        moved.sort_unstable();
        story.members.retain(|m| moved.binary_search(m).is_err());
        story.size = story.size.saturating_sub(moved.len() as u32);
        let last = story.last;
        self.settle_story(s);

        let idx = self.stories.len() as u32;
        let id = self.next_story;
        self.next_story += 1;
        self.by_story_id.insert(id, idx);
        let mut centroid = AHashMap::new();
        for (_, v, _) in &leave {
            for (t, w) in v {
                *centroid.entry(*t).or_insert(0.0) += w;
            }
        }
        self.stories.push(Story {
            id,
            merged_into: None,
            centroid,
            norms: [0.0; GROUPS],
            size: moved.len() as u32,
            last,
            recent: leave,
            emb: leaving_emb,
            members: moved.clone(),
            since_check: 0,
        });
        self.settle_story(idx);
        let mut top: Vec<(u32, f32)> = self.stories[idx as usize]
            .centroid
            .iter()
            .filter(|(t, _)| self.group[**t as usize] == words)
            .map(|(t, w)| (*t, *w))
            .collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (t, _) in top.into_iter().take(INDEX_WORDS) {
            self.postings.entry(t).or_default().push(idx);
        }
        for &d in &moved {
            self.docs[d as usize].story = idx;
        }
        Some(moved)
    }

    /// Makes new stories take ids above `id`: ids of stories that exist only
    /// in storage (merged away before a replay) are never reused.
    pub fn reserve_ids_through(&mut self, id: u64) {
        self.next_story = self.next_story.max(id + 1);
    }

    /// The story an article is in now (merges and moves followed).
    pub fn story_of(&self, id: &str) -> Option<u64> {
        let &d = self.by_id.get(id)?;
        Some(self.stories[self.live(self.docs[d as usize].story) as usize].id)
    }
}

fn doc_features(doc: &Doc<'_>) -> Features {
    article_features(doc.title, doc.text, doc.url, doc.lang.unwrap_or("en"))
}

/// The caller's embedding scaled to unit length; none if empty or zero.
fn unit_emb(v: Option<&[f32]>) -> Emb {
    let v = v?;
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    (n > 1e-6 && n.is_finite()).then(|| v.iter().map(|x| x / n).collect())
}

/// Adds `sign` times an embedding to a story's sum (started on first use);
/// one of another length is left out.
fn emb_add(sum: &mut Vec<f32>, e: Option<&[f32]>, sign: f32) {
    let Some(e) = e else { return };
    if sum.is_empty() {
        sum.resize(e.len(), 0.0);
    }
    if sum.len() == e.len() {
        sum.iter_mut().zip(e).for_each(|(s, x)| *s += sign * x);
    }
}

/// Dot product; 0 for embeddings of different lengths.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Cosine of a unit embedding to a story's sum, less `without` (the
/// article itself, on a second look).
fn emb_cosine(e: &[f32], sum: &[f32], without: Option<&[f32]>) -> f32 {
    if sum.len() != e.len() {
        return 0.0;
    }
    let (mut d, mut n2) = (0.0f32, 0.0f32);
    for (i, (x, s)) in e.iter().zip(sum).enumerate() {
        let s = s - without.map_or(0.0, |w| w[i]);
        d += x * s;
        n2 += s * s;
    }
    let n = n2.sqrt();
    if n > 1e-6 {
        d / n
    } else {
        0.0
    }
}

/// Of two stories, (older, newer): the older one keeps its id in a merge.
fn older_first(stories: &[Story], a: u32, b: u32) -> (u32, u32) {
    if stories[b as usize].id < stories[a as usize].id {
        (b, a)
    } else {
        (a, b)
    }
}

/// Two groups of vectors (indices) by 2-means seeded with the least similar
/// pair, and the cosine of the groups' centroids.
fn two_means(vs: &[&Vector]) -> Option<(Vec<usize>, Vec<usize>, f32)> {
    let n = vs.len();
    let mut seed = (0, 1, f32::MAX);
    for i in 0..n {
        for j in i + 1..n {
            let c = cosine(vs[i], vs[j]);
            if c < seed.2 {
                seed = (i, j, c);
            }
        }
    }
    let (mut ca, mut cb) = (vs[seed.0].clone(), vs[seed.1].clone());
    let mut groups = (Vec::new(), Vec::new());
    for _ in 0..4 {
        let (mut ga, mut gb) = (Vec::new(), Vec::new());
        for (i, v) in vs.iter().enumerate() {
            if cosine(v, &ca) >= cosine(v, &cb) {
                ga.push(i);
            } else {
                gb.push(i);
            }
        }
        if ga.is_empty() || gb.is_empty() {
            return None;
        }
        ca = mean(vs, &ga);
        cb = mean(vs, &gb);
        groups = (ga, gb);
    }
    Some((groups.0, groups.1, cosine(&ca, &cb)))
}

/// Unit-length mean of some vectors, sorted by term id.
fn mean(vs: &[&Vector], which: &[usize]) -> Vector {
    let mut sum: AHashMap<u32, f32> = AHashMap::new();
    for &i in which {
        for (t, w) in vs[i] {
            *sum.entry(*t).or_insert(0.0) += w;
        }
    }
    let mut v: Vector = sum.into_iter().collect();
    v.sort_unstable_by_key(|x| x.0);
    unit(&mut v);
    v
}

/// Scales a vector to unit length (an empty one stays empty).
fn unit(v: &mut Vector) {
    let norm = norm(v);
    v.iter_mut().for_each(|(_, w)| *w /= norm);
}

/// Euclidean length of a sparse vector, never below `f32::EPSILON`.
fn norm(v: &[(u32, f32)]) -> f32 {
    v.iter()
        .map(|(_, w)| w * w)
        .sum::<f32>()
        .sqrt()
        .max(f32::EPSILON)
}

/// Cosine of two unit vectors sorted by term id: one merge pass.
fn cosine(a: &Vector, b: &Vector) -> f32 {
    let (mut i, mut j, mut dot) = (0, 0, 0.0f32);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    dot
}

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
                let idf = ((n + 1.0) / (d + 1.0)).ln() + 1.0;
                (
                    t.as_str(),
                    group_of(t) as usize,
                    ((1.0 + f64::from(w).ln()) * idf) as f32,
                )
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
            let norm = part
                .values()
                .map(|w| w * w)
                .sum::<f32>()
                .sqrt()
                .max(f32::EPSILON);
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
