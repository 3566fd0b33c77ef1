//! `courant feed FILE|URL`: a feed document as courant reads it, as JSON.
//! What the feed parser gives the pipeline, for operators who wonder why a
//! source looks as it does, and for conformance runs against other parsers.

use std::path::Path;

use anyhow::Context as _;

use crate::config::Config;

/// Parses the feed at `what` (a file, `-`, or an http(s) URL) and prints it.
pub(crate) async fn print(what: &str, base: Option<&str>, cfg: &Config) -> anyhow::Result<()> {
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
    let feed =
        courant_feed::parse(&bytes, base.as_deref()).with_context(|| format!("parsing {what}"))?;
    let hints = &feed.hints;
    let out = serde_json::json!({
        "kind": format!("{:?}", feed.kind).to_lowercase(),
        "title": feed.title,
        "site_url": feed.site_url,
        "lang": feed.lang,
        "warnings": feed.warnings,
        "hints": {
            "ttl_secs": hints.ttl.map(|d| d.as_secs()),
            "update_period_secs": hints.update_period.map(|d| d.as_secs()),
            "skip_hours": hints.skip_hours,
            "skip_days": hints.skip_days.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        },
        "entries": feed.entries,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
