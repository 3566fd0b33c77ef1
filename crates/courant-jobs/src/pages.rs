//! Pages that change while their feed item does not: a shown article's page
//! is looked at again (a conditional GET, then its extracted text's hash)
//! every `page_recheck` during `page_recheck_window` after first sight. A
//! page whose text changed makes the article a revision, processed anew as
//! a corrected feed item is.

use chrono::{DateTime, Utc};
use courant_fetch::{Outcome, Validators};
use courant_model::Article;
use courant_store::PageState;
use futures_util::StreamExt as _;

use crate::{blocking, Context};

/// What a recheck round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Pages looked at.
    pub checked: usize,
    /// Of those, pages whose text changed: their articles are processed again.
    pub changed: usize,
}

/// Hash of a page's extracted text, spaces squashed: the page's own chrome
/// (dates, ads, counters) does not count as a change.
pub fn text_hash(text: &str) -> String {
    use sha2::Digest as _;
    let squashed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let d = sha2::Sha256::digest(squashed.as_bytes());
    d[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// When to look at an article's page next: `page_recheck` from `now`,
/// while that is within `page_recheck_window` of its first sight.
pub fn next_check(ctx: &Context, article: &Article, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let every = chrono::Duration::from_std(ctx.settings.page_recheck).ok()?;
    let window = chrono::Duration::from_std(ctx.settings.page_recheck_window).ok()?;
    let next = now + every;
    (next <= article.discovered_at + window).then_some(next)
}

/// The page as a processing attempt saw it.
pub(crate) fn seen(ctx: &Context, article: &Article, v: &Validators, text: &str) -> PageState {
    PageState {
        etag: v.etag.clone(),
        last_modified: v.last_modified.clone(),
        text_hash: text_hash(text),
        next_check: next_check(ctx, article, Utc::now()),
    }
}

/// One round: claims the due pages and looks at each, a few at a time (the
/// fetcher keeps each host's limits).
pub async fn recheck(ctx: &Context, now: DateTime<Utc>) -> anyhow::Result<Report> {
    let lease = ctx.settings.lease.as_secs() as i64;
    let limit = ctx.settings.article_concurrency.max(1) * 4;
    let due = blocking(&ctx.store, move |s| s.claim_page_checks(now, lease, limit)).await?;
    let results: Vec<anyhow::Result<bool>> = futures_util::stream::iter(due)
        .map(|(a, page)| look(ctx, a, page, now))
        .buffer_unordered(ctx.settings.article_concurrency.max(1))
        .collect()
        .await;
    let mut report = Report::default();
    for r in results {
        report.checked += 1;
        report.changed += usize::from(r?);
    }
    Ok(report)
}

/// Looks at one page; true when its text changed.
async fn look(
    ctx: &Context,
    a: Article,
    page: PageState,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let next = next_check(ctx, &a, now);
    let keep = |page: PageState| PageState {
        next_check: next,
        ..page
    };
    // No link, or robots.txt now says no: never looked at again.
    let allowed = match a.url.clone() {
        Some(url) => matches!(
            ctx.fetcher.robots(&url).await,
            Ok(courant_fetch::Verdict::Allowed)
        )
        .then_some(url),
        None => None,
    };
    let Some(url) = allowed else {
        let last = PageState {
            next_check: None,
            ..page
        };
        return record(ctx, a.id, last).await;
    };
    let validators = Validators {
        etag: page.etag.clone(),
        last_modified: page.last_modified.clone(),
    };
    let resp = match ctx.fetcher.get(&url, &validators).await {
        Ok(Outcome::Fetched(r)) => r,
        // Unchanged, or not reachable now: look again later.
        Ok(Outcome::NotModified) | Err(_) => return record(ctx, a.id, keep(page)).await,
    };
    let (body, ct, final_url) = (
        resp.body.clone(),
        resp.content_type.clone(),
        resp.final_url.clone(),
    );
    let text = tokio::task::spawn_blocking(move || {
        let decoded = courant_fetch::decode(&body, ct.as_deref());
        courant_extract::article(&decoded.text, Some(&final_url)).map(|p| p.text)
    })
    .await?;
    let Ok(text) = text else {
        return record(ctx, a.id, keep(page)).await;
    };
    let hash = text_hash(&text);
    if hash == page.text_hash {
        let fresh = PageState {
            etag: resp.validators.etag,
            last_modified: resp.validators.last_modified,
            ..keep(page)
        };
        return record(ctx, a.id, fresh).await;
    }
    // The old state goes: processing records the new page, and a page that
    // then fails leaves no state to be found "changed" again and again.
    record(
        ctx,
        a.id,
        PageState {
            next_check: None,
            ..page
        },
    )
    .await?;
    let id = a.id;
    blocking(&ctx.store, move |s| s.page_changed(id, now)).await?;
    tracing::info!(article = id, url = %url, "page changed; processing it again");
    Ok(true)
}

async fn record(ctx: &Context, id: i64, page: PageState) -> anyhow::Result<bool> {
    blocking(&ctx.store, move |s| s.record_page(id, &page)).await?;
    Ok(false)
}
