//! Sources from the config, an OPML file or the command line.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use courant_model::NewSource;
use courant_store::Store;

use crate::config::{self, Config};
use crate::progress;

#[derive(Debug, Subcommand)]
pub(crate) enum SourcesCmd {
    /// Add every feed of an OPML file.
    Import {
        /// OPML file.
        file: PathBuf,
    },
    /// Add a feed: its URL, or a site's page, whose feeds are found
    /// (`<link rel=alternate>`, then the usual paths) and listed.
    Add {
        /// A feed's URL, or a page of the site.
        url: String,
        /// Of several feeds found, add this one (as numbered in the list).
        #[arg(long)]
        pick: Option<usize>,
        /// Add the URL as it is, without fetching it.
        #[arg(long)]
        no_check: bool,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Language hint.
        #[arg(long)]
        lang: Option<String>,
    },
    /// Remove a source and its articles.
    Remove {
        /// Source id, as `sources list` shows it.
        id: i64,
    },
    /// Show every source with its health.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn sync_config_sources(cfg: &Config, store: &dyn Store) -> anyhow::Result<()> {
    for s in &cfg.sources {
        store.add_source(&NewSource {
            feed_url: s.url.trim().to_string(),
            name: s.name.clone().unwrap_or_default(),
            lang: s.lang.clone(),
            attribution: s.attribution.clone(),
        })?;
    }
    if let Some(opml) = &cfg.opml {
        import_opml(opml, store)?;
    }
    Ok(())
}

pub(crate) fn import_opml(path: &Path, store: &dyn Store) -> anyhow::Result<usize> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    anyhow::ensure!(
        meta.len() <= 16 * 1024 * 1024,
        "{}: OPML file larger than 16 MiB",
        path.display()
    );
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let outlines =
        courant_feed::parse_opml(&text).with_context(|| format!("parsing {}", path.display()))?;
    let mut added = 0;
    for o in outlines {
        if let Err(e) = config::check_feed_url(&o.feed_url) {
            tracing::warn!(error = format!("{e:#}"), "OPML entry skipped");
            continue;
        }
        store.add_source(&NewSource {
            feed_url: o.feed_url,
            name: o.title.unwrap_or_default(),
            lang: o.lang,
            attribution: None,
        })?;
        added += 1;
    }
    Ok(added)
}

pub(crate) async fn sources(
    cmd: SourcesCmd,
    cfg: &Config,
    store: &dyn Store,
) -> anyhow::Result<()> {
    match cmd {
        SourcesCmd::Import { file } => {
            let n = import_opml(&file, store)?;
            println!("imported {n} feeds from {}", file.display());
        }
        SourcesCmd::Add {
            url,
            pick,
            no_check,
            name,
            lang,
        } => {
            config::check_feed_url(&url)?;
            let url = url.trim().to_string();
            let feed_url = if no_check {
                url
            } else {
                let fetcher = courant_fetch::Fetcher::new(cfg.fetch_config())?;
                let found = crate::discover::discover(&fetcher, &url).await?;
                match (found.len(), pick) {
                    (0, _) => anyhow::bail!(
                        "no feed found at {url} (read its <link rel=alternate> and the usual feed paths); --no-check adds it as it is"
                    ),
                    (1, None) => found[0].url.clone(),
                    (n, Some(k)) if (1..=n).contains(&k) => found[k - 1].url.clone(),
                    (n, Some(k)) => anyhow::bail!("--pick {k}: there are {n} feeds"),
                    (_, None) => {
                        println!("{} feeds found at {url}; add one with --pick N:", found.len());
                        for (i, f) in found.iter().enumerate() {
                            println!(
                                "{:>3}. {}  ({}, {} entries{})",
                                i + 1,
                                f.url,
                                f.kind,
                                f.entries,
                                f.title.as_deref().map(|t| format!(", {t:?}")).unwrap_or_default()
                            );
                        }
                        return Ok(());
                    }
                }
            };
            let s = store.add_source(&NewSource {
                feed_url,
                name: name.unwrap_or_default(),
                lang,
                attribution: None,
            })?;
            println!("source {} added: {}", s.id, s.feed_url);
        }
        SourcesCmd::Remove { id } => {
            anyhow::ensure!(store.remove_source(id)?, "no source with id {id}");
            println!("source {id} removed");
        }
        SourcesCmd::List { json } => {
            let list = store.sources()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print!("{}", progress::sources_table(&list));
            }
        }
    }
    Ok(())
}
