//! The second level: stories in different languages about one event are
//! linked into an event, as EMM NewsBrief and Event Registry do (cluster
//! per language, then link clusters across languages). A story is linked
//! to the story in another language whose mean multilingual embedding is
//! closest, when the cosine reaches `Config::event_threshold` and their
//! last articles are within `Config::event_window` seconds. Events only
//! grow by union (ids stay stable); **an event holds at most one live story
//! per language**, so a link across languages never joins two stories that
//! the words kept apart in one language (the same kind of event, told of
//! different people, stays two events). Pure and deterministic.

use ahash::AHashMap;

use crate::emb::dot;
use crate::Clusterer;

/// Union-find over story indices, with each event's members.
#[derive(Default)]
pub(crate) struct Events {
    parent: AHashMap<u32, u32>,
    /// Root -> its members (story index, language).
    members: AHashMap<u32, Vec<(u32, Box<str>)>>,
    /// Each linked story's language.
    lang: AHashMap<u32, Box<str>>,
    /// Stories with a language and an embedding, in order of arrival.
    candidates: Vec<u32>,
    /// Stories whose event changed since the last [`Clusterer::event_changes`].
    changed: Vec<u32>,
}

impl Events {
    pub(crate) fn root(&self, mut i: u32) -> u32 {
        while let Some(&p) = self.parent.get(&i) {
            if p == i {
                break;
            }
            i = p;
        }
        i
    }
}

impl Clusterer {
    /// Called after an article with an embedding joined or opened story
    /// `idx`: records the story's language, then links it across languages.
    pub(crate) fn link_events(&mut self, idx: u32, lang: Option<&str>) {
        let Some(lang) = lang else { return };
        if self.stories[idx as usize].emb.is_empty() {
            return;
        }
        if !self.events.lang.contains_key(&idx) {
            self.events.lang.insert(idx, lang.into());
            self.events.parent.insert(idx, idx);
            self.events.members.insert(idx, vec![(idx, lang.into())]);
            self.events.candidates.push(idx);
        }
        let me = &self.stories[idx as usize];
        let norm = dot(&me.emb, &me.emb).sqrt();
        if norm <= 1e-6 {
            return;
        }
        let my_lang = self.events.lang[&idx].clone();
        let my_root = self.events.root(idx);
        let mut best: Option<(u32, f32)> = None;
        for &other in &self.events.candidates {
            let s = &self.stories[other as usize];
            if other == idx || s.merged_into.is_some() || self.events.lang[&other] == my_lang {
                continue;
            }
            if self.events.root(other) == my_root {
                continue;
            }
            let near = match (me.last, s.last) {
                (Some(a), Some(b)) => (a - b).abs() <= self.cfg.event_window,
                _ => true,
            };
            if !near {
                continue;
            }
            let n = dot(&s.emb, &s.emb).sqrt();
            if n <= 1e-6 {
                continue;
            }
            let cos = dot(&me.emb, &s.emb) / (norm * n);
            if cos >= self.cfg.event_threshold && best.is_none_or(|(_, b)| cos > b) {
                best = Some((other, cos));
            }
        }
        if let Some((other, _)) = best {
            self.union_events(idx, other);
        }
    }

    /// Joins the events of two stories unless a language would then have
    /// two live stories in one event.
    fn union_events(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.events.root(a), self.events.root(b));
        if ra == rb {
            return;
        }
        let live = |stories: &[crate::story::Story], m: &(u32, Box<str>)| {
            stories[m.0 as usize].merged_into.is_none()
        };
        let ma = &self.events.members[&ra];
        let mb = &self.events.members[&rb];
        let clash = ma.iter().filter(|m| live(&self.stories, m)).any(|x| {
            mb.iter()
                .filter(|m| live(&self.stories, m))
                .any(|y| x.1 == y.1)
        });
        if clash {
            return;
        }
        // The older story's event survives, so event ids stay stable.
        let (keep, gone) = if self.stories[ra as usize].id <= self.stories[rb as usize].id {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.events.parent.insert(gone, keep);
        let moved = self.events.members.remove(&gone).unwrap_or_default();
        self.events.changed.extend(moved.iter().map(|m| m.0));
        self.events.changed.push(keep);
        if let Some(m) = self.events.members.get_mut(&keep) {
            m.extend(moved);
        }
    }

    /// The event a story belongs to, named by its oldest story's id (the
    /// story's own id when it is linked to none).
    pub fn event_of(&self, story: u64) -> u64 {
        match self.by_story_id.get(&story) {
            Some(&i) => {
                let i = self.live(i);
                let root = self.events.root(i);
                self.stories[root as usize].id
            }
            None => story,
        }
    }

    /// Stories whose event changed since the last call: (story, event).
    pub fn event_changes(&mut self) -> Vec<(u64, u64)> {
        let mut changed = std::mem::take(&mut self.events.changed);
        changed.sort_unstable();
        changed.dedup();
        changed
            .into_iter()
            .filter(|&i| self.stories[i as usize].merged_into.is_none())
            .map(|i| {
                let id = self.stories[i as usize].id;
                (id, self.event_of(id))
            })
            .collect()
    }
}
