//! `courant feed FILE|URL...`: feed documents as courant reads them, as JSON.
//! What the feed parser gives the pipeline, for operators who wonder why a
//! source looks as it does, and for conformance runs against other parsers
//! (`--jsonl`, which `bench/feed-conformance.sh` reads).

use std::path::Path;

use anyhow::Context as _;
use courant_feed::ParsedFeed;

use crate::config::Config;

/// Parses each document in `what` (files, `-`, or http(s) URLs) and prints it:
/// pretty JSON, or one line per document with `jsonl`, where a failed
/// document is an `error` line and the others still print.
pub(crate) async fn print(
    what: &[String],
    base: Option<&str>,
    jsonl: bool,
    cfg: &Config,
) -> anyhow::Result<()> {
    let mut failed = None;
    for one in what {
        let parsed = read(one, base, cfg).await;
        match (parsed, jsonl) {
            (Ok(feed), false) => println!("{}", serde_json::to_string_pretty(&to_json(&feed))?),
            (Ok(feed), true) => {
                let mut out = to_json(&feed);
                out["file"] = one.as_str().into();
                out["entries"] = shown(&feed);
                println!("{}", serde_json::to_string(&out)?);
            }
            (Err(e), true) => println!(
                "{}",
                serde_json::json!({ "file": one, "error": format!("{e:#}") })
            ),
            (Err(e), false) => {
                eprintln!("{e:#}");
                failed = Some(e);
            }
        }
    }
    match failed {
        Some(e) if what.len() == 1 => Err(e),
        Some(_) => anyhow::bail!("some documents could not be read"),
        None => Ok(()),
    }
}

async fn read(what: &str, base: Option<&str>, cfg: &Config) -> anyhow::Result<ParsedFeed> {
    let (bytes, base) = if what.starts_with("http://") || what.starts_with("https://") {
        let fetcher = courant_fetch::Fetcher::new(cfg.fetch_config())?;
        match fetcher
            .get(what, &courant_fetch::Validators::default())
            .await
            .with_context(|| format!("fetching {what}"))?
        {
            courant_fetch::Outcome::Fetched(r) => (r.body.to_vec(), Some(r.final_url)),
            courant_fetch::Outcome::NotModified => anyhow::bail!("{what}: 304 without validators"),
        }
    } else {
        (
            crate::read_bytes(Path::new(what))?,
            base.map(str::to_string),
        )
    };
    courant_feed::parse(&bytes, base.as_deref()).with_context(|| format!("parsing {what}"))
}

fn to_json(feed: &ParsedFeed) -> serde_json::Value {
    let hints = &feed.hints;
    serde_json::json!({
        "kind": format!("{:?}", feed.kind).to_lowercase(),
        "title": feed.title,
        "site_url": feed.site_url,
        "lang": feed.lang,
        "hub": feed.hub,
        "self_url": feed.self_url,
        "warnings": feed.warnings,
        "hints": {
            "ttl_secs": hints.ttl.map(|d| d.as_secs()),
            "update_period_secs": hints.update_period.map(|d| d.as_secs()),
            "skip_hours": hints.skip_hours,
            "skip_days": hints.skip_days.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        },
        "entries": feed.entries,
    })
}

/// Entries with their summary and content as the site would show them:
/// through the one sanitizer, relative links resolved against the entry's link.
fn shown(feed: &ParsedFeed) -> serde_json::Value {
    use courant_extract::sanitize;
    feed.entries
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            let show =
                |h: &Option<String>| h.as_deref().map(|h| sanitize::html(h, e.url.as_deref()));
            v["shown"] = serde_json::json!({
                "summary": show(&e.summary),
                "content": show(&e.content),
            });
            v
        })
        .collect()
}
