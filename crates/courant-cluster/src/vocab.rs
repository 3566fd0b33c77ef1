//! The vocabulary of a stream: each term's id, group and document
//! frequency, and the document count, from which articles get their TF-IDF
//! weights.

use ahash::AHashMap;

use crate::sparse::tfidf;
use crate::{group_of, Features};

#[derive(Default)]
pub(crate) struct Vocabulary {
    ids: AHashMap<String, u32>,
    df: Vec<u32>,
    /// Per term id: its group.
    pub(crate) group: Vec<u8>,
    /// Documents counted so far, copies included.
    pub(crate) n_docs: u32,
}

impl Vocabulary {
    /// Counts one more document with `f`'s terms and returns their TF-IDF
    /// weights, by term id, in term order.
    pub(crate) fn weigh(&mut self, f: &Features) -> Vec<(u32, f32)> {
        self.n_docs += 1;
        let mut ids = Vec::with_capacity(f.terms.len());
        // In term order, so ids (and float sums) do not depend on hash order.
        let mut terms: Vec<(&String, &f32)> = f.terms.iter().collect();
        terms.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (term, &w) in terms {
            let id = self.id(term);
            self.df[id as usize] += 1;
            ids.push((id, w));
        }
        let n = f64::from(self.n_docs);
        ids.into_iter()
            .map(|(id, w)| (id, tfidf(w, f64::from(self.df[id as usize]), n)))
            .collect()
    }

    /// The id of a term, added on first sight.
    fn id(&mut self, term: &str) -> u32 {
        // Looked up before inserting: most terms are known, and a key for the
        // map costs an allocation.
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(term.to_string(), id);
        self.df.push(0);
        self.group.push(group_of(term) as u8);
        id
    }

    /// Terms known.
    pub(crate) fn len(&self) -> usize {
        self.group.len()
    }
}
