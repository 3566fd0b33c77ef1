//! Keeps the search index in step with the store.
//!
//! The index follows the store's placement log (`cluster_seq`): every placed
//! article is indexed in placement order (again when it moves to another
//! story, which renumbers it; the index replaces it by id), and each commit records the
//! last placement indexed and the store's instance id. So a restart, a kill -9
//! or a new web node catches up from where its index stands, and an index
//! that belongs to another (recreated) database is emptied first. Hidden
//! articles stay indexed; the web front reads every hit from the store and
//! shows only ready ones, so hiding and showing again need no index write.

use courant_model::ArticleStatus;
use courant_search::{Doc, IndexState, SearchIndex, SCHEMA_VERSION};
use courant_store::Store;

/// Placements read and committed at a time.
pub const BATCH: usize = 2_000;

/// Indexes every placement the index has not seen; returns how many articles.
///
/// **Progress only moves past what the index durably holds**: after each
/// commit the batch is looked up, and a batch the index lost (a full disk
/// can lose a segment while the small commit record is still written) puts
/// the recorded progress back. Once per process, and after any failed write,
/// the index is counted against the store, and one that holds fewer
/// documents than the store says it must is rebuilt.
pub fn sync(store: &dyn Store, index: &SearchIndex) -> anyhow::Result<usize> {
    let result = catch_up(store, index);
    if result.is_err() {
        index.set_checked(false);
    }
    result
}

fn catch_up(store: &dyn Store, index: &SearchIndex) -> anyhow::Result<usize> {
    let instance = store.instance_id()?;
    let state = |seq| IndexState {
        version: SCHEMA_VERSION,
        store: instance.clone(),
        seq,
    };
    let mut seq = match index.state() {
        Some(s) if s.store == instance => s.seq,
        Some(_) => {
            tracing::info!("search index follows another database; rebuilding");
            index.clear()?;
            index.commit(&state(0))?;
            0
        }
        None => 0,
    };
    if !index.checked() {
        let want = store.searchable_count(seq)?;
        if index.len() < want {
            tracing::warn!(
                held = index.len(),
                want,
                "search index holds fewer articles than the store; rebuilding"
            );
            index.clear()?;
            index.commit(&state(0))?;
            seq = 0;
        }
        index.set_checked(true);
    }
    let mut indexed = 0;
    loop {
        let batch = store.placed_since(seq, BATCH)?;
        let Some(last) = batch.last() else {
            break;
        };
        let docs: Vec<Doc> = batch
            .iter()
            .filter(|p| {
                matches!(
                    p.article.status,
                    ArticleStatus::Ready | ArticleStatus::Hidden
                )
            })
            .map(|p| Doc::from_article(&p.article))
            .collect();
        index.add(&docs)?;
        index.commit(&state(last.seq))?;
        let ids: Vec<_> = docs.iter().map(|d| d.id).collect();
        let lost = index.missing(&ids)?;
        if !lost.is_empty() {
            // Put progress back to before the batch, so it is indexed again.
            let back = index.commit(&state(seq));
            anyhow::bail!(
                "search index lost {} of {} documents in a commit (disk full?); {}",
                lost.len(),
                ids.len(),
                match back {
                    Ok(()) => format!("progress put back to {seq}"),
                    Err(e) => format!("progress not put back ({e}); the index is rebuilt next"),
                }
            );
        }
        seq = last.seq;
        indexed += docs.len();
        metrics::counter!("courant_articles_indexed_total").increment(docs.len() as u64);
    }
    Ok(indexed)
}
