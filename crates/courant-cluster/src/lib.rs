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
    /// Other stories it resembles, below the joining threshold, best first.
    pub related: Vec<(u64, f32)>,
}

type Vector = Vec<(u32, f32)>;

struct Story {
    /// The caller-visible id.
    id: u64,
    /// Set when merged into another story (an index into `stories`).
    merged_into: Option<u32>,
    centroid: HashMap<u32, f32>,
    norm: f32,
    size: u32,
    last: Option<i64>,
    /// The latest members' vectors: a new article may resemble one of them
    /// more than their average (headlines, follow-ups).
    recent: Vec<Vector>,
}

/// Members kept per story for member-level comparison.
const RECENT_MEMBERS: usize = 16;

struct DocEntry {
    id: String,
    story: u32,
    signature: minhash::Signature,
}

/// Online clusterer: feed articles in order with [`Clusterer::add`], or
/// replay stored decisions with [`Clusterer::restore`].
pub struct Clusterer {
    cfg: Config,
    terms: HashMap<String, u32>,
    df: Vec<u32>,
    /// Per term id: whether it is a name (`N:` term).
    is_name: Vec<bool>,
    n_docs: u32,
    stories: Vec<Story>,
    by_story_id: HashMap<u64, u32>,
    next_story: u64,
    postings: HashMap<u32, Vec<u32>>,
    docs: Vec<DocEntry>,
    by_id: HashMap<String, u32>,
    lsh: minhash::Index,
}

impl Clusterer {
    /// An empty clusterer; story ids start at 1.
    pub fn new(cfg: Config) -> Self {
        Clusterer {
            cfg,
            terms: HashMap::new(),
            df: Vec::new(),
            is_name: Vec::new(),
            n_docs: 0,
            stories: Vec::new(),
            by_story_id: HashMap::new(),
            next_story: 1,
            postings: HashMap::new(),
            docs: Vec::new(),
            by_id: HashMap::new(),
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

    /// Whether this article id was placed or restored already.
    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
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
                self.remember(doc.id, story, signature);
                self.n_docs += 1;
                return Assignment {
                    story: story_id,
                    duplicate_of,
                    similarity: sim,
                    central: 0.0,
                    merged: Vec::new(),
                    related: Vec::new(),
                };
            }
        }
        let vector = self.vectorize(&f);
        let ranked = self.rank_stories(&vector, doc.published);
        let (story, similarity, merged) = match ranked.first() {
            Some(&(best, sim, _)) if sim >= self.cfg.join_threshold => {
                self.join(best, &vector, doc.published);
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
            _ => (self.open(&vector, doc.published, None), 0.0, Vec::new()),
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
        self.remember(doc.id, story, signature);
        Assignment {
            story: self.stories[story as usize].id,
            duplicate_of: None,
            similarity,
            central,
            merged,
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
                    self.open(&v, doc.published, Some(story))
                }
            }
        } else {
            let v = self.vectorize(&f);
            match idx {
                Some(i) => {
                    self.join(i, &v, doc.published);
                    i
                }
                None => self.open(&v, doc.published, Some(story)),
            }
        };
        self.remember(doc.id, idx, signature);
    }

    fn remember(&mut self, id: &str, story: u32, signature: minhash::Signature) {
        let idx = self.docs.len() as u32;
        self.lsh.insert(idx, &signature);
        self.docs.push(DocEntry {
            id: id.to_string(),
            story,
            signature,
        });
        self.by_id.insert(id.to_string(), idx);
    }

    /// TF-IDF with sublinear term frequency, top terms, unit length.
    fn vectorize(&mut self, f: &Features) -> Vector {
        self.n_docs += 1;
        let mut ids = Vec::with_capacity(f.terms.len());
        for (term, &w) in &f.terms {
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
        let norm = v
            .iter()
            .map(|(_, w)| w * w)
            .sum::<f32>()
            .sqrt()
            .max(f32::EPSILON);
        v.iter_mut().for_each(|(_, w)| *w /= norm);
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
        let mut ranked: Vec<(u32, f32, f32)> = candidates
            .into_iter()
            .map(|s| {
                let story = &self.stories[s as usize];
                let member_sim = story
                    .recent
                    .iter()
                    .map(|m| cosine(v, m))
                    .fold(0.0f32, f32::max);
                // A single member counts for less than the whole story, against chaining.
                let mut sim = self.centroid_sim(s, v).max(member_sim * 0.75);
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

    fn open(&mut self, v: &Vector, at: Option<i64>, id: Option<u64>) -> u32 {
        let idx = self.stories.len() as u32;
        let id = id.unwrap_or(self.next_story);
        self.next_story = self.next_story.max(id + 1);
        self.by_story_id.insert(id, idx);
        self.stories.push(Story {
            id,
            merged_into: None,
            centroid: HashMap::new(),
            norm: 1.0,
            size: 0,
            last: at,
            recent: Vec::new(),
        });
        self.join(idx, v, at);
        idx
    }

    fn join(&mut self, s: u32, v: &Vector, at: Option<i64>) {
        let story = &mut self.stories[s as usize];
        for (t, w) in v {
            *story.centroid.entry(*t).or_insert(0.0) += w;
        }
        story.size += 1;
        story.last = story.last.max(at);
        if story.recent.len() == RECENT_MEMBERS {
            story.recent.remove(0);
        }
        story.recent.push(v.clone());
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
        let (size, last) = (g.size, g.last);
        let k = &mut self.stories[keep as usize];
        for (t, w) in centroid {
            *k.centroid.entry(t).or_insert(0.0) += w;
        }
        k.size += size;
        k.last = k.last.max(last);
        k.recent.extend(recent);
        let excess = k.recent.len().saturating_sub(RECENT_MEMBERS);
        k.recent.drain(..excess);
        self.settle(keep);
    }
}

/// Cosine of two unit vectors sorted by weight (not by term), so by lookup.
fn cosine(a: &Vector, b: &Vector) -> f32 {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    small
        .iter()
        .filter_map(|(t, w)| large.iter().find(|(u, _)| u == t).map(|(_, x)| w * x))
        .sum()
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
