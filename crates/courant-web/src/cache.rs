//! Rendered pages kept for a moment: the front pages and story pages are
//! read far more often than they change, and on a news site a page two
//! seconds old is as good as new. While one request renders a stale page
//! again, the others are answered with the last copy.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;

use crate::WebError;

/// How long a rendered page is served again.
pub(crate) const PAGE_TTL: Duration = Duration::from_secs(2);
/// Most pages kept; past it, the expired ones go, then all.
const MAX_PAGES: usize = 2_048;

struct Entry {
    at: Instant,
    /// Shared, so answering from the cache copies nothing.
    html: Bytes,
    refreshing: bool,
}

#[derive(Default)]
pub(crate) struct PageCache {
    pages: Mutex<HashMap<String, Entry>>,
}

impl PageCache {
    /// Forgets every page: after an operator's write (hide an article, add or
    /// remove a source) the next request shows it.
    pub(crate) fn clear(&self) {
        if let Ok(mut pages) = self.pages.lock() {
            pages.clear();
        }
    }

    /// The page under `key`, rendered by `render` when missing or stale.
    pub(crate) async fn get<F>(&self, key: String, render: F) -> Result<Bytes, WebError>
    where
        F: Future<Output = Result<String, WebError>>,
    {
        if let Ok(mut pages) = self.pages.lock() {
            if let Some(e) = pages.get_mut(&key) {
                if e.at.elapsed() < PAGE_TTL || e.refreshing {
                    return Ok(e.html.clone());
                }
                e.refreshing = true;
            }
        }
        let rendered = render.await;
        let mut pages = self.pages.lock().ok();
        match rendered {
            Ok(html) => {
                let html = Bytes::from(html);
                if let Some(pages) = pages.as_mut() {
                    if pages.len() >= MAX_PAGES {
                        pages.retain(|_, e| e.at.elapsed() < PAGE_TTL);
                        if pages.len() >= MAX_PAGES {
                            pages.clear();
                        }
                    }
                    pages.insert(
                        key,
                        Entry {
                            at: Instant::now(),
                            html: html.clone(),
                            refreshing: false,
                        },
                    );
                }
                Ok(html)
            }
            Err(e) => {
                if let Some(entry) = pages.as_mut().and_then(|p| p.get_mut(&key)) {
                    entry.refreshing = false;
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn text(page: Result<Bytes, WebError>) -> String {
        String::from_utf8(page.expect("page").to_vec()).expect("utf-8")
    }

    #[tokio::test]
    async fn renders_once_per_key_until_stale_and_keeps_errors_out() {
        let cache = PageCache::default();
        let renders = AtomicUsize::new(0);
        // Counts renders, not calls: a cached answer never awaits its render.
        let render = |v: &'static str| {
            let renders = &renders;
            async move {
                renders.fetch_add(1, Ordering::SeqCst);
                Ok::<_, WebError>(v.to_string())
            }
        };
        assert_eq!(text(cache.get("a".into(), render("one")).await), "one");
        assert_eq!(text(cache.get("a".into(), render("two")).await), "one");
        assert_eq!(text(cache.get("b".into(), render("three")).await), "three");
        let failed = cache
            .get("c".into(), async { Err(WebError::NotFound("x".into())) })
            .await;
        assert!(failed.is_err());
        assert_eq!(text(cache.get("c".into(), render("four")).await), "four");
        // Stale: rendered again.
        if let Ok(mut pages) = cache.pages.lock() {
            pages.get_mut("a").unwrap().at -= PAGE_TTL;
        }
        assert_eq!(text(cache.get("a".into(), render("five")).await), "five");
        assert_eq!(renders.load(Ordering::SeqCst), 4, "one, three, four, five");
    }
}
