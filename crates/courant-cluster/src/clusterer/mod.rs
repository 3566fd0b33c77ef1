//! The online clusterer: places each article in a story as it arrives,
//! keeps the term statistics and the index that find candidate stories, and
//! looks at placements again once later articles have come.

mod rank;
mod reshape;

use std::cell::RefCell;

use ahash::AHashMap;

use crate::emb::{emb_add, unit_emb, Emb};
use crate::sparse::{norm, Vector};
use crate::story::Story;
use crate::vocab::Vocabulary;
use crate::{
    article_features, minhash, Assignment, Config, Doc, Features, Group, Merges, Moves, GROUPS,
};

use reshape::older_first;

/// A story is checked for a split after this many joins.
pub(crate) const SPLIT_EVERY: u32 = 8;

/// Members each half needs before a story splits.
pub(crate) const SPLIT_MIN: usize = 3;

/// Candidate stories (best by words first) that the model judges.
pub(crate) const MODEL_CHECKS: usize = 8;

/// Words and names of an article that find candidate stories, and stories
/// taken per term (the most recent).
pub(crate) const INDEX_WORDS: usize = 15;
pub(crate) const INDEX_NAMES: usize = 5;
pub(crate) const STORIES_PER_TERM: usize = 32;

/// Terms per group a story keeps of each recent member (words, names,
/// numbers, lead): enough for the best single match, and a fraction of the
/// article's vector in memory and comparisons.
pub(crate) const MEMBER_TERMS: [usize; GROUPS] = [64, 24, 16, 24];

/// Words that rank candidates before the model judges the best of them.
pub(crate) const RANK_WORDS: usize = 20;

/// Placements are looked at again once this many wait (at least as many
/// articles have come after the first of them): later articles make stories
/// that did not exist yet.
pub(crate) const REFINE_EVERY: usize = 64;

/// Placements the model was at least this sure of are not looked at again
/// (they almost never move, and a second look costs a second ranking).
pub(crate) const SURE: f32 = 0.9;

/// An article's vector and what finds its candidate stories.
pub(crate) struct Vectorized {
    pub(crate) v: Vector,
    /// The top of `v` per group ([`MEMBER_TERMS`]): what a story keeps of
    /// a recent member.
    pub(crate) member: Vector,
    /// Top words by weight, for the inverted index and the first ranking.
    pub(crate) words: Vec<(u32, f32)>,
    /// Top names by weight, for the inverted index.
    pub(crate) names: Vec<u32>,
    /// The caller's embedding, of unit length.
    pub(crate) emb: Emb,
    pub(crate) headline: bool,
    pub(crate) published: Option<i64>,
}

pub(crate) struct DocEntry {
    pub(crate) id: String,
    pub(crate) story: u32,
    pub(crate) signature: minhash::Signature,
    /// The doc this one copies.
    pub(crate) copy_of: Option<u32>,
}

/// Online clusterer: feed articles in order with [`Clusterer::add`], or
/// replay stored decisions with [`Clusterer::restore`].
pub struct Clusterer {
    pub(crate) cfg: Config,
    /// Term ids, groups and document frequencies.
    pub(crate) vocab: Vocabulary,
    pub(crate) stories: Vec<Story>,
    pub(crate) by_story_id: AHashMap<u64, u32>,
    pub(crate) next_story: u64,
    pub(crate) postings: AHashMap<u32, Vec<u32>>,
    pub(crate) docs: Vec<DocEntry>,
    pub(crate) by_id: AHashMap<String, u32>,
    pub(crate) lsh: minhash::Index,
    /// Placements to look at again ([`REFINE_EVERY`]).
    pub(crate) pending: Vec<(u32, Vectorized)>,
    /// Scratch: the article being judged as a dense array over term ids
    /// (zero elsewhere), so that comparing it with a member costs one read
    /// per member term.
    pub(crate) dense: RefCell<Vec<f32>>,
    /// Stories linked across languages.
    pub(crate) events: crate::events::Events,
}

impl Clusterer {
    /// An empty clusterer; story ids start at 1.
    pub fn new(cfg: Config) -> Self {
        Clusterer {
            cfg,
            vocab: Vocabulary::default(),
            stories: Vec::new(),
            by_story_id: AHashMap::new(),
            next_story: 1,
            postings: AHashMap::new(),
            docs: Vec::new(),
            by_id: AHashMap::new(),
            lsh: minhash::Index::default(),
            pending: Vec::new(),
            dense: RefCell::new(Vec::new()),
            events: Default::default(),
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

    pub(crate) fn live(&self, mut i: u32) -> u32 {
        while let Some(j) = self.stories[i as usize].merged_into {
            i = j;
        }
        i
    }

    /// The copy check: a near-duplicate of an earlier article joins its
    /// story and adds nothing to the centroid.
    pub(crate) fn place_copy(
        &mut self,
        doc: &Doc<'_>,
        signature: &minhash::Signature,
    ) -> Option<Assignment> {
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
        self.vocab.n_docs += 1;
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
        if doc.vector.is_some() {
            self.link_events(story, doc.lang);
        }
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
    /// `REFINE_EVERY` (64) placements wait. Returns the articles that moved and the
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
            self.vocab.n_docs += 1;
            match idx {
                Some(i) => {
                    let s = &mut self.stories[i as usize];
                    s.size += 1;
                    s.last = s.last.max(doc.published);
                    i
                }
                None => {
                    let v = self.vectorize(&f, doc);
                    self.vocab.n_docs -= 1;
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
        if doc.vector.is_some() && !duplicate {
            self.link_events(idx, doc.lang);
        }
        // The stored story is final (second looks and splits included).
        self.remember(doc.id, idx, signature, None);
    }

    pub(crate) fn remember(
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
    pub(crate) fn vectorize(&mut self, f: &Features, doc: &Doc<'_>) -> Vectorized {
        let published = doc.published;
        let mut weighted = self.vocab.weigh(f);
        // By group, then weight: each group keeps its own top terms.
        weighted.sort_by(|a, b| {
            self.vocab.group[a.0 as usize]
                .cmp(&self.vocab.group[b.0 as usize])
                .then(b.1.total_cmp(&a.1))
                .then(a.0.cmp(&b.0))
        });
        let mut v: Vector = Vec::with_capacity(weighted.len().min(self.cfg.doc_terms.iter().sum()));
        let mut member: Vector = Vec::with_capacity(MEMBER_TERMS.iter().sum());
        let (mut words, mut names) = (Vec::new(), Vec::new());
        for (g, (&keep, &kept)) in self.cfg.doc_terms.iter().zip(&MEMBER_TERMS).enumerate() {
            let part: Vec<(u32, f32)> = weighted
                .iter()
                .filter(|(t, _)| self.vocab.group[*t as usize] as usize == g)
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

    pub(crate) fn open(&mut self, vz: &Vectorized, id: Option<u64>, doc: u32) -> u32 {
        let idx = self.stories.len() as u32;
        let id = id.unwrap_or(self.next_story);
        self.next_story = self.next_story.max(id + 1);
        self.by_story_id.insert(id, idx);
        self.stories.push(Story::new(id, vz.published));
        self.join(idx, vz, doc);
        idx
    }

    /// Adds the newest article to a story.
    pub(crate) fn join(&mut self, s: u32, vz: &Vectorized, doc: u32) {
        let story = &mut self.stories[s as usize];
        story.add_terms(vz.v.iter().copied());
        story.size += 1;
        story.last = story.last.max(vz.published);
        story.keep_recent([(doc, vz.member.clone(), vz.emb.clone())]);
        emb_add(&mut story.emb, vz.emb.as_deref(), 1.0);
        story.since_check += 1;
        self.settle_story(s);
        self.index(s, vz);
    }

    /// Trims a story's centroid to its top terms per group and recomputes its norms.
    fn settle_story(&mut self, s: u32) {
        self.stories[s as usize].settle(&self.cfg.story_terms, &self.vocab.group);
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

pub(crate) fn doc_features(doc: &Doc<'_>) -> Features {
    article_features(doc.title, doc.text, doc.url, doc.lang.unwrap_or("en"))
}
