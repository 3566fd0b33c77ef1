//! Reshaping stories after the fact: the second look that moves an article
//! to a story that now claims it more surely, merges, and splits of a story
//! whose recent members fall in two halves.

use crate::emb::emb_add;
use crate::sparse::{two_means, Vector};
use crate::story::Story;
use crate::{Group, Merges};

use super::{Clusterer, Vectorized, INDEX_WORDS, SPLIT_EVERY, SPLIT_MIN};

impl Clusterer {
    /// A second look at the placements made since the last one: an article
    /// that another story now claims more surely than its own moves there
    /// (its copies with it); one that was a story on its own merges into it.
    pub(crate) fn refine(&mut self) -> (Vec<u32>, Merges) {
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
        f.remove_terms(&vz.v);
        f.recent.retain(|(m, _, _)| *m != d);
        emb_add(&mut f.emb, vz.emb.as_deref(), -1.0);
        f.members.retain(|m| !going.contains(m));
        f.size = f.size.saturating_sub(going.len() as u32);
        self.settle_story(from);
        let t = &mut self.stories[to as usize];
        t.add_terms(vz.v.iter().copied());
        t.size += going.len() as u32;
        t.last = t.last.max(vz.published);
        emb_add(&mut t.emb, vz.emb.as_deref(), 1.0);
        t.keep_recent([(d, vz.member.clone(), vz.emb.clone())]);
        t.members.extend(&going);
        self.settle_story(to);
        self.index(to, vz);
        for &m in &going {
            self.docs[m as usize].story = to;
        }
        going
    }

    /// Folds story `gone` into `keep`; `gone`'s id resolves to `keep` from now on.
    pub(crate) fn merge(&mut self, gone: u32, keep: u32) {
        let g = &mut self.stories[gone as usize];
        g.merged_into = Some(keep);
        let centroid = std::mem::take(&mut g.centroid);
        let recent = std::mem::take(&mut g.recent);
        let emb = std::mem::take(&mut g.emb);
        let members = std::mem::take(&mut g.members);
        let (size, last) = (g.size, g.last);
        let k = &mut self.stories[keep as usize];
        k.add_terms(centroid);
        k.size += size;
        k.last = k.last.max(last);
        emb_add(&mut k.emb, (!emb.is_empty()).then_some(&emb[..]), 1.0);
        k.keep_recent(recent);
        k.members.extend(members);
        self.settle_story(keep);
    }

    /// After every few joins, divides the story's recent members in two
    /// (2-means over their words); when the halves are far apart, the half
    /// without the oldest member becomes a new story, with the copies of its
    /// members. Returns the docs that moved.
    pub(crate) fn split_check(&mut self, s: u32) -> Option<Vec<u32>> {
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
                    .filter(|(t, _)| self.vocab.group[*t as usize] == words)
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
            story.remove_terms(v);
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
        let mut half = Story::new(id, last);
        for (_, v, _) in &leave {
            half.add_terms(v.iter().copied());
        }
        half.size = moved.len() as u32;
        half.recent = leave;
        half.emb = leaving_emb;
        half.members = moved.clone();
        self.stories.push(half);
        self.settle_story(idx);
        let mut top: Vec<(u32, f32)> = self.stories[idx as usize]
            .centroid
            .iter()
            .filter(|(t, _)| self.vocab.group[**t as usize] == words)
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
}

/// Of two stories, (older, newer): the older one keeps its id in a merge.
pub(crate) fn older_first(stories: &[Story], a: u32, b: u32) -> (u32, u32) {
    if stories[b as usize].id < stories[a as usize].id {
        (b, a)
    } else {
        (a, b)
    }
}
