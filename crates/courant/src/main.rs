//! courant: the binary. Parses the command line and config, builds the
//! runtime (store, fetcher, jobs, web) and runs one command.
//!
//! The product's commands are here; the laboratory's (the demo with its
//! bundled corpus, and the evaluation commands with the embedding model) are
//! in `lab`, built with the `lab` feature (on by default).
//!
//! Errors are `anyhow` here and only here; libraries use typed errors.

mod config;
#[cfg(feature = "lab")]
mod demo;
mod extract;
#[cfg(feature = "lab")]
mod lab;
mod progress;
#[cfg(feature = "lab")]
mod stories;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use courant_model::NewSource;
use courant_store::{SqliteStore, Store};

use crate::config::Config;

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
    Serve,
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
    /// Manage sources.
    Sources {
        #[command(subcommand)]
        cmd: SourcesCmd,
    },
    #[cfg(feature = "lab")]
    #[command(flatten)]
    Lab(lab::LabCmd),
}

#[derive(Debug, Subcommand)]
enum SourcesCmd {
    /// Add every feed of an OPML file.
    Import {
        /// OPML file.
        file: PathBuf,
    },
    /// Add one feed.
    Add {
        /// Feed URL.
        url: String,
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

fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    match path {
        Some(p) => Config::load(p),
        None if Path::new("courant.toml").exists() => Config::load(Path::new("courant.toml")),
        None => Ok(Config::default()),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.cmd {
        Cmd::Serve => {
            let cfg = load_config(cli.config.as_deref())?;
            let store = open_store(&cfg)?;
            sync_config_sources(&cfg, store.as_ref())?;
            serve(&cfg, store).await
        }
        Cmd::Ingest => {
            let cfg = load_config(cli.config.as_deref())?;
            let store = open_store(&cfg)?;
            sync_config_sources(&cfg, store.as_ref())?;
            let ctx = context(&cfg, store)?;
            let report = progress::ingest_with_progress(&ctx).await?;
            progress::print_report(&report);
            Ok(())
        }
        Cmd::Check { lang, file } => {
            let cfg = load_config(cli.config.as_deref())?;
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
            let cfg = load_config(cli.config.as_deref())?;
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
            let cfg = load_config(cli.config.as_deref())?;
            let (src, tgt) = (read_input(&source)?, read_input(&target)?);
            let flags = courant_clean::check_translation(&src, &from, &tgt, &to, &lexicons(&cfg));
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "flags": flags }))?
            );
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
        Cmd::Sources { cmd } => {
            let cfg = load_config(cli.config.as_deref())?;
            let store = open_store(&cfg)?;
            sources(cmd, store.as_ref())
        }
        #[cfg(feature = "lab")]
        Cmd::Lab(cmd) => lab::run(cmd).await,
    }
}

/// Reads a text file or standard input (`-`), at most 16 MiB.
fn read_input(path: &Path) -> anyhow::Result<String> {
    Ok(courant_fetch::decode(&read_bytes(path)?, None).text)
}

/// Reads a file or standard input (`-`), at most 16 MiB.
fn read_bytes(path: &Path) -> anyhow::Result<Vec<u8>> {
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

fn open_store(cfg: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(Arc::new(SqliteStore::open(&cfg.database)?))
}

fn context(cfg: &Config, store: Arc<dyn Store>) -> anyhow::Result<courant_jobs::Context> {
    let search = if cfg.search.enabled {
        let dir = cfg.search.dir_for(&cfg.database);
        let index = courant_search::SearchIndex::open(&dir)
            .with_context(|| format!("opening the search index in {}", dir.display()))?;
        Some(Arc::new(index))
    } else {
        None
    };
    Ok(courant_jobs::Context {
        store,
        fetcher: courant_fetch::Fetcher::new(cfg.fetch_config())?,
        settings: cfg.job_settings(),
        lexicons: Arc::new(lexicons(cfg)),
        search,
    })
}

/// Word knowledge for the checker; a missing list only weakens two detectors.
fn lexicons(cfg: &Config) -> courant_clean::Lexicons {
    let (lex, missing) =
        courant_clean::Lexicons::load(&cfg.clean.dictionaries, &cfg.clean.hunspell);
    for m in missing {
        tracing::warn!(missing = %m, "word list not loaded; glued-word and untranslated checks are weaker for this language");
    }
    lex
}

/// Adds the config's `[[sources]]` and OPML feeds; existing ones are updated in place.
fn sync_config_sources(cfg: &Config, store: &dyn Store) -> anyhow::Result<()> {
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

fn import_opml(path: &Path, store: &dyn Store) -> anyhow::Result<usize> {
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

fn sources(cmd: SourcesCmd, store: &dyn Store) -> anyhow::Result<()> {
    match cmd {
        SourcesCmd::Import { file } => {
            let n = import_opml(&file, store)?;
            println!("imported {n} feeds from {}", file.display());
        }
        SourcesCmd::Add { url, name, lang } => {
            config::check_feed_url(&url)?;
            let s = store.add_source(&NewSource {
                feed_url: url.trim().to_string(),
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

/// Runs the scheduler and the web server until Ctrl-C or SIGTERM.
async fn serve(cfg: &Config, store: Arc<dyn Store>) -> anyhow::Result<()> {
    let ctx = context(cfg, store.clone())?;
    let addr = cfg.listen_addr()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let web = web_config(cfg, &ctx);
    serve_on(listener, ctx, web).await
}

fn web_config(cfg: &Config, ctx: &courant_jobs::Context) -> courant_web::WebConfig {
    courant_web::WebConfig {
        search: ctx.search.clone(),
        site_title: cfg.site.title.clone(),
        site_lang: cfg.site.lang.clone(),
        templates_dir: cfg.site.templates.clone(),
        base_url: cfg.site.base_url.clone(),
        api_token: std::env::var("COURANT_API_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .or_else(|| cfg.api.token.clone()),
        metrics: courant_web::install_recorder(),
    }
}

async fn serve_on(
    listener: tokio::net::TcpListener,
    ctx: courant_jobs::Context,
    web: courant_web::WebConfig,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(courant_jobs::Scheduler::new(ctx.clone()).run(stop_rx));
    let app = courant_web::router(ctx.store.clone(), web);
    println!("courant is serving http://{addr}/  (Ctrl-C to stop)");
    tracing::info!(%addr, "serving");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("web server failed")?;
    let _ = stop_tx.send(true);
    scheduler.await.context("scheduler task failed")?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
