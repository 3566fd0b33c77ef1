//! The search index on a disk that fills up (issue 24, item 1): a tantivy
//! directory whose file writes fail on demand, as a full disk does, while
//! small atomic writes (the commit record) still succeed.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use courant_search::{IndexState, SearchIndex, SCHEMA_VERSION};
use tantivy::directory::error::{DeleteError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    AntiCallToken, Directory, FileHandle, RamDirectory, TerminatingWrite, WatchCallback,
    WatchHandle, WritePtr,
};

use super::*;

#[derive(Debug, Clone)]
struct FullDisk {
    inner: RamDirectory,
    full: Arc<AtomicBool>,
}

impl Directory for FullDisk {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.inner.get_file_handle(path)
    }
    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }
    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }
    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        let inner = self.inner.open_write(path)?;
        Ok(std::io::BufWriter::new(Box::new(FillingFile {
            inner,
            full: self.full.clone(),
        })))
    }
    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }
    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.inner.atomic_write(path, data)
    }
    fn sync_directory(&self) -> std::io::Result<()> {
        self.inner.sync_directory()
    }
    fn watch(&self, cb: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(cb)
    }
}

/// A file whose writes fail with ENOSPC while the disk is full.
struct FillingFile {
    inner: WritePtr,
    full: Arc<AtomicBool>,
}

impl FillingFile {
    fn check(&self) -> std::io::Result<()> {
        if self.full.load(Ordering::SeqCst) {
            return Err(std::io::Error::from_raw_os_error(28));
        }
        Ok(())
    }
}

impl std::io::Write for FillingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.check()?;
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.check()?;
        self.inner.flush()
    }
}

impl TerminatingWrite for FillingFile {
    fn terminate_ref(&mut self, token: AntiCallToken) -> std::io::Result<()> {
        self.check()?;
        self.inner.terminate_ref(token)
    }
}

async fn ingested(dir: &tempfile::TempDir) -> Context {
    let origin = courant_origin::spawn(|_| courant_origin::faults())
        .await
        .unwrap();
    let mut ctx = context(dir, true);
    ctx.search = None;
    add(&ctx, origin.url("/feed/ok"));
    let report = ingest_all(&ctx, |_| {}).await.unwrap();
    assert_eq!((report.ready, report.clustered), (5, 5));
    ctx
}

/// Segments that cannot be written never count as indexed: progress stays
/// where it was, and once space returns every article becomes searchable.
#[tokio::test]
async fn full_disk_loses_no_search_documents() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ingested(&dir).await;
    let full = Arc::new(AtomicBool::new(false));
    let disk = FullDisk {
        inner: RamDirectory::create(),
        full: full.clone(),
    };
    let index = SearchIndex::in_directory(Box::new(disk)).unwrap();
    full.store(true, Ordering::SeqCst);
    let err = crate::search::sync(ctx.store.as_ref(), &index);
    assert!(err.is_err(), "{err:?}");
    assert_eq!(index.state().map_or(0, |s| s.seq), 0);
    full.store(false, Ordering::SeqCst);
    assert_eq!(crate::search::sync(ctx.store.as_ref(), &index).unwrap(), 5);
    assert_eq!(index.len(), 5);
}

/// An index whose commit record claims more than it holds (what a full disk
/// left before this fix: seq 237, no segments) is found out when a process
/// opens it, and rebuilt from the store.
#[tokio::test]
async fn index_behind_its_record_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ingested(&dir).await;
    let path = dir.path().join("search");
    {
        let index = SearchIndex::open(&path).unwrap();
        let last = ctx.store.placed_since(0, 100).unwrap().last().unwrap().seq;
        index
            .commit(&IndexState {
                version: SCHEMA_VERSION,
                store: ctx.store.instance_id().unwrap(),
                seq: last,
            })
            .unwrap();
        assert_eq!(index.len(), 0);
    }
    let index = SearchIndex::open(&path).unwrap();
    assert_eq!(crate::search::sync(ctx.store.as_ref(), &index).unwrap(), 5);
    assert_eq!(index.len(), 5);
    // Checked once per process: the next round reads nothing again.
    assert_eq!(crate::search::sync(ctx.store.as_ref(), &index).unwrap(), 0);
}
