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
pub fn sync(store: &dyn Store, index: &SearchIndex) -> anyhow::Result<usize> {
    let instance = store.instance_id()?;
    let mut seq = match index.state() {
        Some(s) if s.store == instance => s.seq,
        Some(_) => {
            tracing::info!("search index follows another database; rebuilding");
            index.clear()?;
            index.commit(&IndexState {
                version: SCHEMA_VERSION,
                store: instance.clone(),
                seq: 0,
            })?;
            0
        }
        None => 0,
    };
    let mut indexed = 0;
    loop {
        let batch = store.placed_since(seq, BATCH)?;
        let Some(last) = batch.last() else {
            break;
        };
        seq = last.seq;
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
        index.commit(&IndexState {
            version: SCHEMA_VERSION,
            store: instance.clone(),
            seq,
        })?;
        indexed += docs.len();
        metrics::counter!("courant_articles_indexed_total").increment(docs.len() as u64);
    }
    Ok(indexed)
}
