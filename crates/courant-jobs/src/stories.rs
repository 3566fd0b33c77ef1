//! The story job: places ready articles into stories with `courant-cluster`.
//!
//! One worker at a time clusters. It holds the store lease [`LEASE`] and every
//! batch it writes is fenced by that lease in the same transaction, so two
//! workers never open two stories for one event: a worker that lost the lease
//! cannot write, and a worker that takes it over first replays every decision
//! made so far ([`courant_store::Store::placed_since`]) so that its in-memory
//! index matches the stored stories before it places anything.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use courant_cluster::{Clusterer, Config, Doc, Merges, Moves};
use courant_model::Article;
use courant_store::{Placement, Store, StoryBatch};

/// Name of the store lease that makes one worker the clusterer.
pub const LEASE: &str = "stories";

/// How long a worker holds the story lease per round. It renews every round
/// (about once a second), and a round's writes take well under a second, so
/// this bounds how long a worker killed with -9 holds up the others.
pub const STORY_LEASE: Duration = Duration::from_secs(15);

/// Articles placed per transaction.
const BATCH: usize = 500;

/// The clustering worker: an in-memory index kept in step with the store.
pub struct StoryWorker {
    holder: String,
    lease: Duration,
    clusterer: Clusterer,
    /// The last placement this index has seen (its own or replayed).
    seen: i64,
    /// The multilingual embedding model, when present.
    embedder: Option<Arc<courant_embed::Usem>>,
}

/// The name stored beside each vector.
pub const EMBED_MODEL: &str = "usem3";

impl StoryWorker {
    /// A worker with its own holder name, holding the lease for `lease` per round.
    pub fn new(lease: Duration) -> Self {
        let holder = format!(
            "{}-{}",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        );
        StoryWorker {
            holder,
            lease,
            clusterer: Clusterer::new(Config::default()),
            seen: 0,
            embedder: None,
        }
    }

    /// The same worker, embedding every article it places with `model`
    /// (title and lead), so stories link across languages.
    pub fn with_embedder(mut self, model: Option<Arc<courant_embed::Usem>>) -> Self {
        self.embedder = model;
        self
    }

    /// Number of articles in the index.
    pub fn indexed(&self) -> usize {
        self.clusterer.len()
    }

    /// One round: take or renew the lease, catch up with stored decisions,
    /// place up to one batch of unclustered articles and write them. Returns
    /// how many were placed; 0 when there was nothing to do or another worker
    /// holds the lease.
    pub fn step(&mut self, store: &dyn Store) -> courant_store::Result<usize> {
        // Catching up only reads, so it runs before the lease is taken: a
        // long replay (a fresh worker on a large store) cannot outlast it.
        if let Err(e) = self.catch_up(store) {
            self.reset();
            return Err(e);
        }
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(self.lease).unwrap_or_default();
        if !store.acquire_lease(LEASE, &self.holder, now, until)? {
            return Ok(0);
        }
        let result = self.place(store);
        if result.is_err() {
            // Decisions that were not stored must not stay in the index:
            // start over from what the store holds.
            self.reset();
        }
        result
    }

    /// Placements in the index still waiting for their second look.
    pub fn unsettled(&self) -> usize {
        self.clusterer.unsettled()
    }

    /// This worker's name in the lease table.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    fn reset(&mut self) {
        self.clusterer = Clusterer::new(Config::default());
        self.seen = 0;
    }

    /// Replays every stored decision this index has not seen. Moves and
    /// merges come back as placements of articles the index already holds;
    /// one that disagrees with the index means another worker changed
    /// what this one replayed, so the index is rebuilt from the store.
    fn catch_up(&mut self, store: &dyn Store) -> courant_store::Result<()> {
        loop {
            let placed = store.placed_since(self.seen, 5_000)?;
            let Some(last) = placed.last().map(|p| p.seq) else {
                break;
            };
            let vectors = if self.embedder.is_some() {
                let ids: Vec<_> = placed.iter().map(|p| p.article.id).collect();
                store.vectors(&ids)?
            } else {
                Default::default()
            };
            let mut stale = false;
            for p in &placed {
                if let Some(story) = p.article.story {
                    let id = p.article.id.to_string();
                    let vector = vectors.get(&p.article.id).map(Vec::as_slice);
                    match self.clusterer.story_of(&id) {
                        Some(known) if known != story as u64 => {
                            stale = true;
                            break;
                        }
                        Some(_) => {}
                        None => self.clusterer.restore(
                            &doc(&p.article, &id, vector),
                            story as u64,
                            p.article.duplicate_of.is_some(),
                        ),
                    }
                }
            }
            if stale {
                self.reset();
                continue;
            }
            self.seen = last;
        }
        Ok(())
    }

    fn place(&mut self, store: &dyn Store) -> courant_store::Result<usize> {
        let start = std::time::Instant::now();
        // Under the lease now: decisions made since the last catch-up first.
        self.catch_up(store)?;
        let articles = store.unclustered(BATCH)?;
        if articles.is_empty() {
            return Ok(0);
        }
        let max = store.max_story_id()?;
        self.clusterer.reserve_ids_through(max.max(0) as u64);
        let mut batch = StoryBatch::default();
        let vectors = self.embed(&articles);
        for (a, vector) in articles.iter().zip(&vectors) {
            let id = a.id.to_string();
            let asg = self.clusterer.add(&doc(a, &id, vector.as_deref()));
            let story = asg.story as i64;
            batch.placements.push(Placement {
                article: a.id,
                story,
                duplicate_of: asg.duplicate_of.and_then(|d| d.parse().ok()),
                central: asg.central,
            });
            batch.links.extend(
                asg.related
                    .iter()
                    .map(|&(other, score)| (story, other as i64, score)),
            );
            changes(&mut batch, &asg.moved, &asg.merged);
        }
        if articles.len() < BATCH {
            // The queue is drained: unsure placements get their second look
            // now rather than after the next ones arrive, which on a quiet
            // source can be hours away.
            let (moves, merges) = self.clusterer.settle();
            changes(&mut batch, &moves, &merges);
        }
        batch.events = self
            .clusterer
            .event_changes()
            .into_iter()
            .map(|(story, event)| (story as i64, event as i64))
            .collect();
        batch.vectors = articles
            .iter()
            .zip(vectors)
            .filter_map(|(a, v)| Some((a.id, EMBED_MODEL.to_string(), v?)))
            .collect();
        self.seen = store.record_stories(LEASE, &self.holder, &batch, Utc::now())?;
        metrics::counter!("courant_articles_clustered_total").increment(articles.len() as u64);
        metrics::counter!("courant_story_merges_total").increment(batch.merges.len() as u64);
        metrics::counter!("courant_articles_moved_total").increment(batch.moves.len() as u64);
        metrics::histogram!("courant_cluster_batch_seconds").record(start.elapsed().as_secs_f64());
        Ok(articles.len())
    }
}

impl StoryWorker {
    /// Embeddings of title and lead for the articles with a language (all
    /// none without a model).
    fn embed(&self, articles: &[Article]) -> Vec<Option<Vec<f32>>> {
        let Some(model) = &self.embedder else {
            return vec![None; articles.len()];
        };
        // Every language: the model was trained on 16, but its pieces
        // cover most scripts, and on the ITN blurbs (55 languages) vectors
        // for all of them linked more events at the same precision.
        let items: Vec<Option<(&str, &str)>> = articles
            .iter()
            .map(|a| {
                let text = a.processed.as_ref().map(|p| p.text.as_str()).unwrap_or("");
                a.lang().map(|_| (a.title(), text))
            })
            .collect();
        let start = std::time::Instant::now();
        // The model is the stage's main cost: one share of the batch per core.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let share = items.len().div_ceil(cores).max(16);
        let vectors = std::thread::scope(|scope| {
            let parts: Vec<_> = items
                .chunks(share)
                .map(|part| scope.spawn(|| model.embed_articles(part)))
                .collect();
            parts
                .into_iter()
                .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect::<Vec<_>>()
        });
        metrics::histogram!("courant_embed_batch_seconds").record(start.elapsed().as_secs_f64());
        vectors
    }
}

/// Adds the clusterer's moves and merges to a batch in the store's ids.
fn changes(batch: &mut StoryBatch, moves: &Moves, merges: &Merges) {
    batch.merges.extend(
        merges
            .iter()
            .map(|&(gone, into)| (gone as i64, into as i64)),
    );
    batch.moves.extend(
        moves
            .iter()
            .filter_map(|(id, to)| Some((id.parse().ok()?, *to as i64))),
    );
}

fn doc<'a>(a: &'a Article, id: &'a str, vector: Option<&'a [f32]>) -> Doc<'a> {
    let text = a.processed.as_ref().map(|p| p.text.as_str()).unwrap_or("");
    Doc {
        id,
        title: a.title(),
        text,
        lang: a.lang(),
        published: a.published().map(|d| d.timestamp()),
        url: a.url.as_deref(),
        vector,
    }
}

/// Runs [`StoryWorker::step`] until nothing is left to place (off the async threads).
pub async fn cluster_pending(
    worker: &Arc<Mutex<StoryWorker>>,
    store: &Arc<dyn Store>,
) -> anyhow::Result<usize> {
    let (worker, store) = (worker.clone(), store.clone());
    let placed = tokio::task::spawn_blocking(move || -> courant_store::Result<usize> {
        let mut w = worker.lock().unwrap_or_else(|p| p.into_inner());
        let mut total = 0;
        loop {
            let n = w.step(store.as_ref())?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    })
    .await??;
    Ok(placed)
}
