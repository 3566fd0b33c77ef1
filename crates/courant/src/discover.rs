//! `courant sources add URL`: a feed's URL is checked and added; a site's
//! page leads to the feeds it announces (`<link rel=alternate>`), else to
//! those at the usual paths, each fetched and parsed before it is offered;
//! a site with no feed at all can be followed through the page itself, whose
//! article links become its entries.

use courant_fetch::{Fetcher, Outcome, Validators};

/// Candidates checked at most.
const MAX_CANDIDATES: usize = 12;

/// A feed found and parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub url: String,
    pub title: Option<String>,
    pub kind: String,
    pub entries: usize,
}

async fn fetch(fetcher: &Fetcher, url: &str) -> anyhow::Result<courant_fetch::Response> {
    match fetcher.get(url, &Validators::default()).await? {
        Outcome::Fetched(r) => Ok(r),
        Outcome::NotModified => anyhow::bail!("{url}: 304 without validators"),
    }
}

fn as_feed(url: &str, resp: &courant_fetch::Response) -> Option<Found> {
    let feed = courant_feed::parse(&resp.body, Some(&resp.final_url)).ok()?;
    (!feed.entries.is_empty() || feed.title.is_some()).then(|| Found {
        url: url.to_string(),
        title: feed.title,
        kind: format!("{:?}", feed.kind).to_lowercase(),
        entries: feed.entries.len(),
    })
}

/// The feeds at `url`: itself when it is one, else what its page announces,
/// else what lives at the usual paths of its site.
pub(crate) async fn discover(fetcher: &Fetcher, url: &str) -> anyhow::Result<Vec<Found>> {
    let page = fetch(fetcher, url).await?;
    if let Some(found) = as_feed(url, &page) {
        return Ok(vec![found]);
    }
    let html = courant_fetch::decode(&page.body, page.content_type.as_deref()).text;
    let announced: Vec<String> = courant_extract::feed_links(&html, &page.final_url)
        .into_iter()
        .map(|l| l.url)
        .collect();
    let from_page = !announced.is_empty();
    let candidates = if from_page {
        announced
    } else {
        courant_extract::usual_feed_urls(&page.final_url)
    };
    let mut found = Vec::new();
    for c in candidates.into_iter().take(MAX_CANDIDATES) {
        match fetch(fetcher, &c).await {
            Ok(resp) => found.extend(as_feed(&c, &resp)),
            // A feed the page announces that fails is worth a word; a usual
            // path that is not there is the normal case.
            Err(e) if from_page => {
                tracing::warn!(url = %c, error = format!("{e:#}"), "announced feed unreadable")
            }
            Err(_) => {}
        }
    }
    if found.is_empty() {
        // No feed anywhere: the page itself can be followed, its article
        // links read as entries at each poll.
        let links = courant_extract::article_links(&html, &page.final_url);
        if links.len() >= 3 {
            found.push(Found {
                url: url.to_string(),
                title: Some("the page's article links (no feed found)".into()),
                kind: "page".into(),
                entries: links.len(),
            });
        }
    }
    Ok(found)
}
