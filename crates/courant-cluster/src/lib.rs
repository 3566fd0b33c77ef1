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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            join_threshold: 0.2,
            duplicate_jaccard: 0.6,
            doc_terms: 40,
            story_terms: 120,
            time_scale_days: 10.0,
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
    /// Story id, stable.
    pub story: u64,
    /// The earlier article this one copies, if any.
    pub duplicate_of: Option<String>,
    /// Similarity to the story it joined (1.0 for a copy, 0.0 for a new story).
    pub similarity: f32,
}

type Vector = Vec<(u32, f32)>;

struct Story {
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

/// Online clusterer: feed articles in order with [`Clusterer::add`].
pub struct Clusterer {
    cfg: Config,
    terms: HashMap<String, u32>,
    df: Vec<u32>,
    n_docs: u32,
    stories: Vec<Story>,
    postings: HashMap<u32, Vec<u32>>,
    docs: Vec<DocEntry>,
    by_id: HashMap<String, u32>,
    lsh: minhash::Index,
}

impl Clusterer {
    /// An empty clusterer.
    pub fn new(cfg: Config) -> Self {
        Clusterer {
            cfg,
            terms: HashMap::new(),
            df: Vec::new(),
            n_docs: 0,
            stories: Vec::new(),
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

    /// Number of stories.
    pub fn stories(&self) -> usize {
        self.stories.len()
    }

    /// Places one article. An id seen before gets its earlier assignment back.
    pub fn add(&mut self, doc: &Doc<'_>) -> Assignment {
        if let Some(&i) = self.by_id.get(doc.id) {
            let d = &self.docs[i as usize];
            return Assignment {
                story: u64::from(d.story),
                duplicate_of: None,
                similarity: 1.0,
            };
        }
        let lang = doc.lang.unwrap_or("en");
        let f = features(doc.title, doc.text, lang);
        let signature = minhash::signature(&f.shingles);
        let idx = self.docs.len() as u32;

        // A copy joins its original's story and adds nothing to the centroid.
        if let Some((orig, sim)) = self
            .lsh
            .best_match(&signature, |i| &self.docs[i as usize].signature)
        {
            if sim >= self.cfg.duplicate_jaccard {
                let story = self.docs[orig as usize].story;
                let s = &mut self.stories[story as usize];
                s.size += 1;
                s.last = s.last.max(doc.published);
                let duplicate_of = Some(self.docs[orig as usize].id.clone());
                self.remember(doc.id, story, signature);
                self.n_docs += 1;
                return Assignment {
                    story: u64::from(story),
                    duplicate_of,
                    similarity: sim,
                };
            }
        }
        let _ = idx;
        let vector = self.vectorize(&f);
        let (best, sim) = self.best_story(&vector, doc.published);
        let story = match best {
            Some(s) if sim >= self.cfg.join_threshold => {
                self.join(s, &vector, doc.published);
                s
            }
            _ => self.open(&vector, doc.published),
        };
        self.remember(doc.id, story, signature);
        Assignment {
            story: u64::from(story),
            duplicate_of: None,
            similarity: if best == Some(story) { sim } else { 0.0 },
        }
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

    fn best_story(&self, v: &Vector, at: Option<i64>) -> (Option<u32>, f32) {
        let mut candidates: Vec<u32> = Vec::new();
        for (term, _) in v.iter().take(15) {
            if let Some(p) = self.postings.get(term) {
                // The most recent stories of a term are the likely ones.
                candidates.extend(p.iter().rev().take(64));
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut best = (None, 0.0f32);
        for s in candidates {
            let story = &self.stories[s as usize];
            let dot: f32 = v
                .iter()
                .filter_map(|(t, w)| story.centroid.get(t).map(|c| c * w))
                .sum();
            let centroid_sim = dot / story.norm;
            let member_sim = story
                .recent
                .iter()
                .map(|m| cosine(v, m))
                .fold(0.0f32, f32::max);
            // A single member counts for less than the whole story, against chaining.
            let mut sim = centroid_sim.max(member_sim * 0.75);
            if let (Some(a), Some(b)) = (at, story.last) {
                let days = (a - b).abs() as f64 / 86_400.0;
                sim *= (0.5 + 0.5 * (-days / self.cfg.time_scale_days).exp()) as f32;
            }
            if sim > best.1 || (sim == best.1 && best.0.is_some_and(|b| s < b)) {
                best = (Some(s), sim);
            }
        }
        best
    }

    fn open(&mut self, v: &Vector, at: Option<i64>) -> u32 {
        let id = self.stories.len() as u32;
        self.stories.push(Story {
            centroid: HashMap::new(),
            norm: 1.0,
            size: 0,
            last: at,
            recent: Vec::new(),
        });
        self.join(id, v, at);
        id
    }

    fn join(&mut self, s: u32, v: &Vector, at: Option<i64>) {
        let story = &mut self.stories[s as usize];
        for (t, w) in v {
            *story.centroid.entry(*t).or_insert(0.0) += w;
        }
        story.size += 1;
        story.last = story.last.max(at);
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
        if story.recent.len() == RECENT_MEMBERS {
            story.recent.remove(0);
        }
        story.recent.push(v.clone());
        for (t, _) in v.iter().take(15) {
            let p = self.postings.entry(*t).or_default();
            if p.last() != Some(&s) {
                p.push(s);
            }
        }
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
