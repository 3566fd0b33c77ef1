//! Stories from a stream of articles: near-duplicate detection (MinHash with
//! LSH banding) and online story clustering (TF-IDF over stemmed words and
//! names, compared with story centroids found through an inverted index).
//!
//! Pure and deterministic: the same articles in the same order give the same
//! stories. State lives in [`Clusterer`]; callers persist what they need.
//! Story ids are assigned once and never change, so links keep working.
#![warn(missing_docs)]

mod analyze;
mod minhash;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use ahash::AHashMap;

use serde::Serialize;

pub use analyze::{features, Features};

/// Tunables. `join_threshold` was picked from a sweep over 0.15..0.4 on the two
/// development sets of `bench/cluster.sh` (see BENCHMARKS.md); the others are
/// round values chosen on principle.
#[derive(Debug, Clone)]
pub struct Config {
    /// Cosine similarity to a story's centroid needed to join it.
    pub join_threshold: f32,
    /// Estimated Jaccard similarity of word 3-shingles that makes a copy.
    pub duplicate_jaccard: f32,
    /// Terms kept per article vector.
    pub doc_terms: usize,
    /// Terms kept per story centroid.
    pub story_terms: usize,
    /// Days over which time distance halves the similarity's weight.
    pub time_scale_days: f64,
    /// Cosine of two story centroids at which an article that joins one of
    /// them, and matches the other too, merges them.
    pub merge_threshold: f32,
    /// Similarity at which another story counts as related (below joining).
    pub related_threshold: f32,
    /// Related stories reported per article.
    pub related_max: usize,
    /// Cosine of the two halves of a story (2-means over its recent members)
    /// below which the newer half splits off as a story of its own.
    pub split_threshold: f32,
    /// Factor on the similarity to a story when both sides name people or
    /// places and share none of them (same template, other event).
    pub name_mismatch: f32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            join_threshold: 0.3,
            duplicate_jaccard: 0.6,
            doc_terms: 40,
            story_terms: 120,
            time_scale_days: 10.0,
            merge_threshold: 0.25,
            related_threshold: 0.08,
            related_max: 5,
            split_threshold: 0.25,
            name_mismatch: 0.5,
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
}

/// Where an article went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assignment {
    /// Story id, stable: a story keeps its id for good, and a story merged
    /// into another keeps resolving to the survivor ([`Clusterer::resolve`]).
    pub story: u64,
    /// The earlier article this one copies, if any.
    pub duplicate_of: Option<String>,
    /// Similarity to the story it joined (1.0 for a copy, 0.0 for a new story).
    pub similarity: f32,
    /// Cosine of the article to its story's centroid after joining: the
    /// most central member makes the story's title.
    pub central: f32,
    /// Stories this article's arrival merged into `story`.
    pub merged: Vec<u64>,
    /// Earlier articles that moved to another story when their story split
    /// (article id, new story).
    pub moved: Vec<(String, u64)>,
    /// Other stories it resembles, below the joining threshold, best first.
    pub related: Vec<(u64, f32)>,
}

type Vector = Vec<(u32, f32)>;

struct Story {
    /// The caller-visible id.
    id: u64,
    /// Set when merged into another story (an index into `stories`).
    merged_into: Option<u32>,
    centroid: AHashMap<u32, f32>,
    norm: f32,
    size: u32,
    last: Option<i64>,
    /// The latest members (doc index, vector sorted by term id): a new
    /// article may resemble one of them more than their average (headlines,
    /// follow-ups), and a split divides them.
    recent: Vec<(u32, Vector)>,
    /// Every member's doc index, copies included.
    members: Vec<u32>,
    /// Joins since the last split check.
    since_check: u32,
}

/// A story is checked for a split after this many joins.
const SPLIT_EVERY: u32 = 8;

/// Members each half needs before a story splits.
const SPLIT_MIN: usize = 3;

/// Members kept per story for member-level comparison (sorted by term id).
const RECENT_MEMBERS: usize = 16;

/// Candidate stories (best centroid first) whose members are compared too.
const MEMBER_CHECKS: usize = 16;

struct DocEntry {
    id: String,
    story: u32,
    signature: minhash::Signature,
    /// The doc this one copies.
    copy_of: Option<u32>,
}

/// Online clusterer: feed articles in order with [`Clusterer::add`], or
/// replay stored decisions with [`Clusterer::restore`].
pub struct Clusterer {
    cfg: Config,
    terms: AHashMap<String, u32>,
    df: Vec<u32>,
    /// Per term id: whether it is a name (`N:` term).
    is_name: Vec<bool>,
    n_docs: u32,
    stories: Vec<Story>,
    by_story_id: AHashMap<u64, u32>,
    next_story: u64,
    postings: AHashMap<u32, Vec<u32>>,
    docs: Vec<DocEntry>,
    by_id: AHashMap<String, u32>,
    lsh: minhash::Index,
}

impl Clusterer {
    /// An empty clusterer; story ids start at 1.
    pub fn new(cfg: Config) -> Self {
        Clusterer {
            cfg,
            terms: AHashMap::new(),
            df: Vec::new(),
            is_name: Vec::new(),
            n_docs: 0,
            stories: Vec::new(),
            by_story_id: AHashMap::new(),
            next_story: 1,
            postings: AHashMap::new(),
            docs: Vec::new(),
            by_id: AHashMap::new(),
            lsh: minhash::Index::default(),
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
        let lang = doc.lang.unwrap_or("en");
        let f = features(doc.title, doc.text, lang);
        let signature = minhash::signature(&f.shingles);

        // A copy joins its original's story and adds nothing to the centroid.
        if let Some((orig, sim)) = self
            .lsh
            .best_match(&signature, |i| &self.docs[i as usize].signature)
        {
            if sim >= self.cfg.duplicate_jaccard {
                let story = self.live(self.docs[orig as usize].story);
                let s = &mut self.stories[story as usize];
                s.size += 1;
                s.last = s.last.max(doc.published);
                let duplicate_of = Some(self.docs[orig as usize].id.clone());
                let story_id = s.id;
                self.remember(doc.id, story, signature, Some(orig));
                self.n_docs += 1;
                return Assignment {
                    story: story_id,
                    duplicate_of,
                    similarity: sim,
                    central: 0.0,
                    merged: Vec::new(),
                    moved: Vec::new(),
                    related: Vec::new(),
                };
            }
        }
        let vector = self.vectorize(&f);
        let me = self.docs.len() as u32;
        let ranked = self.rank_stories(&vector, doc.published);
        let (story, similarity, merged) = match ranked.first() {
            Some(&(best, sim, _)) if sim >= self.cfg.join_threshold => {
                self.join(best, &vector, doc.published, me);
                // Other stories this article also joins are one story when
                // their centroids agree: merge them into the oldest.
                let mut survivor = best;
                let mut merged = Vec::new();
                for &(other, _, osim) in ranked[1..].iter().take(10) {
                    if osim < self.cfg.related_threshold {
                        continue;
                    }
                    if self.centroid_cosine(survivor, other) >= self.cfg.merge_threshold
                        && !self.names_clash(survivor, other)
                    {
                        let (keep, gone) = if self.stories[other as usize].id
                            < self.stories[survivor as usize].id
                        {
                            (other, survivor)
                        } else {
                            (survivor, other)
                        };
                        self.merge(gone, keep);
                        merged.push(self.stories[gone as usize].id);
                        survivor = keep;
                    }
                }
                (survivor, sim, merged)
            }
            _ => (self.open(&vector, doc.published, None, me), 0.0, Vec::new()),
        };
        let mut by_relation: Vec<(u32, f32)> = ranked.iter().map(|&(s, _, r)| (s, r)).collect();
        by_relation.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let related = by_relation
            .into_iter()
            .map(|(s, sim)| (self.live(s), sim))
            .filter(|&(s, sim)| s != story && sim >= self.cfg.related_threshold)
            .fold(Vec::<(u32, f32)>::new(), |mut acc, (s, sim)| {
                if !acc.iter().any(|(t, _)| *t == s) {
                    acc.push((s, sim));
                }
                acc
            })
            .into_iter()
            .take(self.cfg.related_max)
            .map(|(s, sim)| (self.stories[s as usize].id, sim))
            .collect();
        let central = self.centroid_sim(story, &vector);
        self.remember(doc.id, story, signature, None);
        let moved = match self.split_check(story) {
            Some(moved) => moved
                .into_iter()
                .filter(|&d| d != me)
                .map(|d| {
                    let doc = &self.docs[d as usize];
                    (doc.id.clone(), self.stories[doc.story as usize].id)
                })
                .collect(),
            None => Vec::new(),
        };
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

    /// Replays a decision made earlier (by this or another worker): the
    /// article joins `story` as it did then, so state rebuilt from storage
    /// matches the state that made the decisions.
    pub fn restore(&mut self, doc: &Doc<'_>, story: u64, duplicate: bool) {
        if self.by_id.contains_key(doc.id) {
            return;
        }
        let lang = doc.lang.unwrap_or("en");
        let f = features(doc.title, doc.text, lang);
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
                    let v = self.vectorize(&f);
                    self.n_docs -= 1;
                    self.open(&v, doc.published, Some(story), me)
                }
            }
        } else {
            let v = self.vectorize(&f);
            match idx {
                Some(i) => {
                    self.join(i, &v, doc.published, me);
                    i
                }
                None => self.open(&v, doc.published, Some(story), me),
            }
        };
        // The stored story is final (splits included): no split check here.
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

    /// TF-IDF with sublinear term frequency, top terms, unit length.
    fn vectorize(&mut self, f: &Features) -> Vector {
        self.n_docs += 1;
        let mut ids = Vec::with_capacity(f.terms.len());
        // In term order, so ids (and float sums) do not depend on hash order.
        let mut terms: Vec<(&String, &f32)> = f.terms.iter().collect();
        terms.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (term, &w) in terms {
            let next = self.terms.len() as u32;
            let id = *self.terms.entry(term.clone()).or_insert(next);
            if id as usize == self.df.len() {
                self.df.push(0);
                self.is_name.push(term.contains(":N:"));
            }
            self.df[id as usize] += 1;
            ids.push((id, w));
        }
        let n = f64::from(self.n_docs);
        let mut v: Vector = ids
            .into_iter()
            .map(|(id, w)| {
                let idf = ((n + 1.0) / (f64::from(self.df[id as usize]) + 1.0)).ln() + 1.0;
                (id, ((1.0 + f64::from(w).ln()) * idf) as f32)
            })
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(self.cfg.doc_terms);
        unit(&mut v);
        v
    }

    fn centroid_sim(&self, s: u32, v: &Vector) -> f32 {
        let story = &self.stories[s as usize];
        let dot: f32 = v
            .iter()
            .filter_map(|(t, w)| story.centroid.get(t).map(|c| c * w))
            .sum();
        dot / story.norm
    }

    fn centroid_cosine(&self, a: u32, b: u32) -> f32 {
        let (a, b) = (&self.stories[a as usize], &self.stories[b as usize]);
        let (small, large) = if a.centroid.len() <= b.centroid.len() {
            (a, b)
        } else {
            (b, a)
        };
        let dot: f32 = small
            .centroid
            .iter()
            .filter_map(|(t, w)| large.centroid.get(t).map(|x| x * w))
            .sum();
        dot / (a.norm * b.norm)
    }

    /// Both stories name people or places, and none in common: the same kind
    /// of event, not the same event.
    fn names_clash(&self, a: u32, b: u32) -> bool {
        let names = |s: u32| {
            self.stories[s as usize]
                .centroid
                .keys()
                .filter(|t| self.is_name[**t as usize])
                .copied()
                .collect::<Vec<u32>>()
        };
        let (na, nb) = (names(a), names(b));
        !na.is_empty() && !nb.is_empty() && !na.iter().any(|t| nb.contains(t))
    }

    /// Live candidate stories sharing top terms with `v`, best first, with
    /// the similarity to join by and the one to relate by (which ignores
    /// names: the same kind of event elsewhere is related news).
    fn rank_stories(&self, v: &Vector, at: Option<i64>) -> Vec<(u32, f32, f32)> {
        let mut candidates: Vec<u32> = Vec::new();
        for (term, _) in v.iter().take(15) {
            if let Some(p) = self.postings.get(term) {
                // The most recent stories of a term are the likely ones.
                candidates.extend(p.iter().rev().take(64).map(|&s| self.live(s)));
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let names: Vec<u32> = v
            .iter()
            .filter(|(t, _)| self.is_name[*t as usize])
            .map(|(t, _)| *t)
            .collect();
        // Centroids first (cheap); members only for the best of them.
        let mut scored: Vec<(u32, f32)> = candidates
            .into_iter()
            .map(|s| (s, self.centroid_sim(s, v)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut by_term = v.clone();
        by_term.sort_unstable_by_key(|x| x.0);
        let mut ranked: Vec<(u32, f32, f32)> = scored
            .into_iter()
            .enumerate()
            .map(|(rank, (s, centroid))| {
                let story = &self.stories[s as usize];
                let member_sim = if rank < MEMBER_CHECKS {
                    story
                        .recent
                        .iter()
                        .map(|(_, m)| cosine(&by_term, m))
                        .fold(0.0f32, f32::max)
                } else {
                    0.0
                };
                // A single member counts for less than the whole story, against chaining.
                let mut sim = centroid.max(member_sim * 0.75);
                if let (Some(a), Some(b)) = (at, story.last) {
                    let days = (a - b).abs() as f64 / 86_400.0;
                    sim *= (0.5 + 0.5 * (-days / self.cfg.time_scale_days).exp()) as f32;
                }
                let related = sim;
                if !names.is_empty() && !names.iter().any(|t| story.centroid.contains_key(t)) {
                    let story_names = story.centroid.keys().any(|t| self.is_name[*t as usize]);
                    if story_names {
                        sim *= self.cfg.name_mismatch;
                    }
                }
                (s, sim, related)
            })
            .filter(|&(_, _, related)| related > 0.0)
            .collect();
        // Ties go to the older story, so the order of candidates never matters.
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }

    fn open(&mut self, v: &Vector, at: Option<i64>, id: Option<u64>, doc: u32) -> u32 {
        let idx = self.stories.len() as u32;
        let id = id.unwrap_or(self.next_story);
        self.next_story = self.next_story.max(id + 1);
        self.by_story_id.insert(id, idx);
        self.stories.push(Story {
            id,
            merged_into: None,
            centroid: AHashMap::new(),
            norm: 1.0,
            size: 0,
            last: at,
            recent: Vec::new(),
            members: Vec::new(),
            since_check: 0,
        });
        self.join(idx, v, at, doc);
        idx
    }

    fn join(&mut self, s: u32, v: &Vector, at: Option<i64>, doc: u32) {
        let story = &mut self.stories[s as usize];
        for (t, w) in v {
            *story.centroid.entry(*t).or_insert(0.0) += w;
        }
        story.size += 1;
        story.last = story.last.max(at);
        if story.recent.len() == RECENT_MEMBERS {
            story.recent.remove(0);
        }
        let mut by_term = v.clone();
        by_term.sort_unstable_by_key(|x| x.0);
        story.recent.push((doc, by_term));
        story.since_check += 1;
        self.settle(s);
        for (t, _) in v.iter().take(15) {
            let p = self.postings.entry(*t).or_default();
            if p.last() != Some(&s) {
                p.push(s);
            }
        }
    }

    /// Trims a centroid to its top terms and recomputes its norm.
    fn settle(&mut self, s: u32) {
        let story = &mut self.stories[s as usize];
        if story.centroid.len() > self.cfg.story_terms * 2 {
            let mut all: Vec<(u32, f32)> = story.centroid.drain().collect();
            all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            all.truncate(self.cfg.story_terms);
            story.centroid = all.into_iter().collect();
        }
        story.norm = story
            .centroid
            .values()
            .map(|w| w * w)
            .sum::<f32>()
            .sqrt()
            .max(f32::EPSILON);
    }

    /// Folds story `gone` into `keep`; `gone`'s id resolves to `keep` from now on.
    fn merge(&mut self, gone: u32, keep: u32) {
        let g = &mut self.stories[gone as usize];
        g.merged_into = Some(keep);
        let centroid = std::mem::take(&mut g.centroid);
        let recent = std::mem::take(&mut g.recent);
        let members = std::mem::take(&mut g.members);
        let (size, last) = (g.size, g.last);
        let k = &mut self.stories[keep as usize];
        for (t, w) in centroid {
            *k.centroid.entry(t).or_insert(0.0) += w;
        }
        k.size += size;
        k.last = k.last.max(last);
        k.recent.extend(recent);
        k.recent.sort_by_key(|(d, _)| *d);
        let excess = k.recent.len().saturating_sub(RECENT_MEMBERS);
        k.recent.drain(..excess);
        k.members.extend(members);
        self.settle(keep);
    }

    /// After every few joins, divides the story's recent members in two
    /// (2-means); when the halves are far apart, the half without the oldest
    /// member becomes a new story, with the copies of its members. Returns
    /// the docs that moved.
    fn split_check(&mut self, s: u32) -> Option<Vec<u32>> {
        let story = &mut self.stories[s as usize];
        if story.since_check < SPLIT_EVERY || story.recent.len() < 2 * SPLIT_MIN {
            return None;
        }
        story.since_check = 0;
        let vectors: Vec<&Vector> = story.recent.iter().map(|(_, v)| v).collect();
        let (a, b, apart) = two_means(&vectors)?;
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
        for (_, v) in &leave {
            for (t, w) in v {
                if let Some(c) = story.centroid.get_mut(t) {
                    *c -= w;
                    if *c <= 1e-6 {
                        story.centroid.remove(t);
                    }
                }
            }
        }
        let leaving: Vec<u32> = leave.iter().map(|(d, _)| *d).collect();
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
        self.settle(s);

        let idx = self.stories.len() as u32;
        let id = self.next_story;
        self.next_story += 1;
        self.by_story_id.insert(id, idx);
        let mut centroid = AHashMap::new();
        for (_, v) in &leave {
            for (t, w) in v {
                *centroid.entry(*t).or_insert(0.0) += w;
            }
        }
        self.stories.push(Story {
            id,
            merged_into: None,
            centroid,
            norm: 1.0,
            size: moved.len() as u32,
            last,
            recent: leave,
            members: moved.clone(),
            since_check: 0,
        });
        self.settle(idx);
        let mut top: Vec<(u32, f32)> = self.stories[idx as usize]
            .centroid
            .iter()
            .map(|(t, w)| (*t, *w))
            .collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (t, _) in top.into_iter().take(15) {
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

    /// The story an article is in now (merges and splits followed).
    pub fn story_of(&self, id: &str) -> Option<u64> {
        let &d = self.by_id.get(id)?;
        Some(self.stories[self.live(self.docs[d as usize].story) as usize].id)
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
    let norm = v
        .iter()
        .map(|(_, w)| w * w)
        .sum::<f32>()
        .sqrt()
        .max(f32::EPSILON);
    v.iter_mut().for_each(|(_, w)| *w /= norm);
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

/// Similarity of two articles in [0, 1], 1 meaning the same story: the larger
/// of shingle overlap (copies) and the cosine of their term vectors, with
/// document frequencies `df` over `n_docs` documents (every text being compared).
pub fn similarity(a: &Features, b: &Features, df: &HashMap<String, u32>, n_docs: u32) -> f32 {
    let jac = minhash::jaccard(&a.shingles, &b.shingles);
    fn vec<'f>(f: &'f Features, df: &HashMap<String, u32>, n_docs: u32) -> HashMap<&'f str, f32> {
        let n = f64::from(n_docs.max(1));
        let mut v: HashMap<&str, f32> = f
            .terms
            .iter()
            .map(|(t, &w)| {
                let d = f64::from(df.get(t).copied().unwrap_or(1));
                let idf = ((n + 1.0) / (d + 1.0)).ln() + 1.0;
                (t.as_str(), ((1.0 + f64::from(w).ln()) * idf) as f32)
            })
            .collect();
        let norm = v
            .values()
            .map(|w| w * w)
            .sum::<f32>()
            .sqrt()
            .max(f32::EPSILON);
        v.values_mut().for_each(|w| *w /= norm);
        v
    }
    let (va, vb) = (vec(a, df, n_docs), vec(b, df, n_docs));
    let cos: f32 = va
        .iter()
        .filter_map(|(t, w)| vb.get(t).map(|x| x * w))
        .sum();
    jac.max(cos).clamp(0.0, 1.0)
}
