//! courant: the binary. Parses the command line and config, builds the
//! runtime (store, fetcher, jobs, web) and runs one command.
//!
//! The product's commands are here; the laboratory's (the demo with its
//! bundled corpus, and the evaluation commands with the embedding model) are
//! in `lab`, built with the `lab` feature (on by default).
//!
//! Errors are `anyhow` here and only here; libraries use typed errors.

#[cfg(feature = "lab")]
mod apy;
mod config;
#[cfg(feature = "lab")]
mod demo;
mod discover;
mod extract;
mod feed;
#[cfg(feature = "lab")]
mod lab;
mod migrate;
mod progress;
mod runtime;
mod sources;
#[cfg(feature = "lab")]
mod stories;
mod translate;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Config;
use crate::runtime::{context, lexicons, open_store, serve, Role};
use crate::sources::{sources, sync_config_sources};

#[derive(Debug, Parser)]
#[command(
    name = "courant",
    version,
    about = "A self-hosted engine for syndicated news"
)]
struct Cli {
    /// Config file; `courant.toml` in the current folder is used when present.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// The store, over the config's: a SQLite file, or `postgres://user@host/db`.
    #[arg(long, global = true, env = "COURANT_DB")]
    db: Option<String>,
    /// Log format on stderr: json, text, or auto (text on a terminal, else json).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Auto)]
    log_format: LogFormat,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Auto,
    Json,
    Text,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Poll sources, process articles and serve the site, until stopped.
    Serve {
        /// This process's share of the work: all (one machine), worker,
        /// stories or web (many processes on one PostgreSQL store).
        #[arg(long, value_enum, default_value_t = Role::All)]
        role: Role,
    },
    /// Copy a single-machine installation (its SQLite file) into PostgreSQL:
    /// sources, health, articles, stories, links, translations. Resumable;
    /// rows already there are kept; verified by counts.
    Migrate {
        /// The SQLite file.
        #[arg(long)]
        from: PathBuf,
        /// The PostgreSQL URL.
        #[arg(long)]
        to: String,
    },
    /// Poll every source once and process every article, then exit.
    Ingest,
    /// Find defects in a text (glued words, missing spaces, captions ...) and print them as JSON.
    Check {
        /// Language of the text (ISO 639-1); detected when absent.
        #[arg(long)]
        lang: Option<String>,
        /// Text file, or `-` for standard input.
        file: PathBuf,
    },
    /// Print the text with the safe repairs applied.
    Clean {
        /// Language of the text (ISO 639-1); detected when absent.
        #[arg(long)]
        lang: Option<String>,
        /// Print JSON with the cleaned text, the original and the findings.
        #[arg(long)]
        json: bool,
        /// Text file, or `-` for standard input.
        file: PathBuf,
    },
    /// Check a translation against its source: numbers, names, length, repetition, untranslated spans.
    CheckTranslation {
        /// Source text file.
        source: PathBuf,
        /// Translated text file.
        target: PathBuf,
        /// Source language.
        #[arg(long)]
        from: String,
        /// Target language.
        #[arg(long)]
        to: String,
    },
    /// Translate a text or an HTML fragment through a provider, check the
    /// result with the gate, and print one JSON object: from, to, provider,
    /// text, html (for HTML input), findings, held_back.
    Translate {
        /// Target language (ISO 639-1).
        #[arg(long)]
        to: String,
        /// Source language; detected when absent.
        #[arg(long)]
        from: Option<String>,
        /// A provider named in the config, or a kind (apertium, libretranslate, deepl, openai).
        #[arg(long)]
        provider: Option<String>,
        /// The provider's URL (default for apertium: http://127.0.0.1:2737).
        #[arg(long)]
        url: Option<String>,
        /// Text or HTML file, or `-` for standard input.
        file: PathBuf,
    },
    /// Extract the article from an HTML page and print it as JSON: title, text, html, authors,
    /// dates, language, canonical URL, lead image and caption, description, site name, tags.
    Extract {
        /// URL of the page, to resolve relative links.
        #[arg(long)]
        url: Option<String>,
        /// Extract every .html and .html.gz file of this folder (recursively) instead.
        #[arg(long, requires = "out", conflicts_with = "file")]
        batch: Option<PathBuf>,
        /// JSONL output of --batch, one line per file.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Threads for --batch (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// HTML file (.gz is unpacked), or `-` for standard input.
        #[arg(required_unless_present = "batch")]
        file: Option<PathBuf>,
    },
    /// Parse a feed (RSS, Atom, JSON Feed, sitemap) as courant reads it and print it as JSON:
    /// kind, title, site URL, language, warnings, polling hints and entries.
    Feed {
        /// URL the document came from, to resolve relative links (for a file).
        #[arg(long)]
        base: Option<String>,
        /// One compact JSON line per document, each entry with the HTML courant
        /// would show (`shown`); a document that fails gives an `error` line.
        #[arg(long)]
        jsonl: bool,
        /// Feed files, `-` for standard input, or http(s) URLs to fetch.
        #[arg(required = true)]
        what: Vec<String>,
    },
    /// Manage sources.
    Sources {
        #[command(subcommand)]
        cmd: sources::SourcesCmd,
    },
    #[cfg(feature = "lab")]
    #[command(flatten)]
    Lab(lab::LabCmd),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,html5ever=error,selectors=error"));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn load_config(path: Option<&Path>, db: Option<&str>) -> anyhow::Result<Config> {
    let mut cfg = match path {
        Some(p) => Config::load(p)?,
        None if Path::new("courant.toml").exists() => Config::load(Path::new("courant.toml"))?,
        None => Config::default(),
    };
    if let Some(db) = db.filter(|d| !d.trim().is_empty()) {
        cfg.set_store(db);
    }
    Ok(cfg)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.cmd {
        Cmd::Serve { role } => {
            let cfg = load_config(cli.config.as_deref(), cli.db.as_deref())?;
            let store = open_store(&cfg)?;
            if matches!(role, Role::All | Role::Web) {
                sync_config_sources(&cfg, store.as_ref())?;
            }
            serve(&cfg, store, role).await
        }
        Cmd::Migrate { from, to } => migrate::run(&from, &to).await,
        Cmd::Ingest => {
            let cfg = load_config(cli.config.as_deref(), cli.db.as_deref())?;
            let store = open_store(&cfg)?;
            sync_config_sources(&cfg, store.as_ref())?;
            let ctx = context(&cfg, store)?;
            let report = progress::ingest_with_progress(&ctx).await?;
            progress::print_report(&report);
            Ok(())
        }
        Cmd::Check { lang, file } => {
            let cfg = load_config(cli.config.as_deref(), None)?;
            let text = read_input(&file)?;
            let lang = lang.or_else(|| courant_lang::detect(&text).map(|d| d.lang));
            let findings = courant_clean::check(&text, lang.as_deref(), &lexicons(&cfg));
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({ "lang": lang, "findings": findings })
                )?
            );
            Ok(())
        }
        Cmd::Clean { lang, json, file } => {
            let cfg = load_config(cli.config.as_deref(), None)?;
            let text = read_input(&file)?;
            let lang = lang.or_else(|| courant_lang::detect(&text).map(|d| d.lang));
            let (cleaned, findings) = courant_clean::clean(&text, lang.as_deref(), &lexicons(&cfg));
            if json {
                let out = serde_json::json!({ "lang": lang, "text": cleaned, "original": text, "findings": findings });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!("{cleaned}");
            }
            Ok(())
        }
        Cmd::CheckTranslation {
            source,
            target,
            from,
            to,
        } => {
            let cfg = load_config(cli.config.as_deref(), None)?;
            let (src, tgt) = (read_input(&source)?, read_input(&target)?);
            let flags = courant_clean::check_translation(&src, &from, &tgt, &to, &lexicons(&cfg));
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "flags": flags }))?
            );
            Ok(())
        }
        Cmd::Translate {
            to,
            from,
            provider,
            url,
            file,
        } => {
            let cfg = load_config(cli.config.as_deref(), None)?;
            let input = read_input(&file)?;
            let req = translate::Args {
                to,
                from,
                provider,
                url,
            };
            let out = translate::run(&cfg, req, &input).await?;
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
        Cmd::Extract {
            url,
            batch,
            out,
            threads,
            file,
        } => match (batch, out, file) {
            (Some(dir), Some(out), _) => extract::batch(&dir, &out, threads),
            (_, _, Some(file)) => extract::single(&file, url.as_deref()),
            _ => anyhow::bail!("give a FILE, or --batch DIR with --out FILE"),
        },
        Cmd::Feed { base, jsonl, what } => {
            let cfg = load_config(cli.config.as_deref(), None)?;
            feed::print(&what, base.as_deref(), jsonl, &cfg).await
        }
        Cmd::Sources { cmd } => {
            let cfg = load_config(cli.config.as_deref(), cli.db.as_deref())?;
            let store = open_store(&cfg)?;
            sources(cmd, &cfg, store.as_ref()).await
        }
        #[cfg(feature = "lab")]
        Cmd::Lab(cmd) => lab::run(cmd, cli.db.as_deref()).await,
    }
}

/// Reads a text file or standard input (`-`), at most 16 MiB.
fn read_input(path: &Path) -> anyhow::Result<String> {
    Ok(courant_fetch::decode(&read_bytes(path)?, None).text)
}

/// Reads a file or standard input (`-`), at most 16 MiB.
pub(crate) fn read_bytes(path: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    const MAX: u64 = 16 * 1024 * 1024;
    let mut buf = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .take(MAX + 1)
            .read_to_end(&mut buf)
            .context("reading standard input")?;
    } else {
        std::fs::File::open(path)
            .with_context(|| format!("opening {}", path.display()))?
            .take(MAX + 1)
            .read_to_end(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
    }
    anyhow::ensure!(
        buf.len() as u64 <= MAX,
        "{}: input larger than 16 MiB",
        path.display()
    );
    Ok(buf)
}
