//! The laboratory's commands: the demo on its bundled corpus, and the
//! evaluation commands that the benchmarks and the training script run
//! (`cluster`, `embed`, `similarity`, with the optional embedding model).
//! Built with the `lab` feature; `courant serve` needs none of it.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;

use crate::{demo, stories};

#[derive(Debug, Subcommand)]
pub enum LabCmd {
    /// Serve the bundled demo corpus: publishers on loopback, ingested and shown as a site.
    Demo {
        /// Address of the site.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Ingest, print the summary and exit without serving.
        #[arg(long)]
        no_serve: bool,
        /// Grow the corpus to about this many articles with more publishers
        /// carrying copies and rewrites of it (load tests; `bench/load.sh`).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=2_000_000))]
        grow: Option<u32>,
        /// After the ingest, translate every English original into Spanish
        /// with Apertium and print the figures (`bench/translate.sh`); implies --no-serve.
        #[arg(long)]
        translate_bench: bool,
        /// Only serve the publishers, and write their feeds to this OPML
        /// file, until stopped: workers started apart ingest them
        /// (`bench/scale.sh`).
        #[arg(long, conflicts_with_all = ["no_serve", "translate_bench"])]
        origin_only: Option<PathBuf>,
    },
    /// Cluster articles into stories as a stream: reads JSONL `{id,title,text,lang?,published?}`,
    /// writes `{id,story,duplicate_of}` per line in input order.
    Cluster {
        /// JSONL file, or `-` for standard input.
        file: PathBuf,
        /// Probability of belonging to a story needed to join it (default: the library's).
        #[arg(long)]
        join_threshold: Option<f32>,
        /// Probability at which a second story an article belongs to merges with the first.
        #[arg(long)]
        merge_threshold: Option<f32>,
        /// Cosine of a story's two halves below which it splits.
        #[arg(long)]
        split_threshold: Option<f32>,
        /// Cosine of two stories' mean embeddings (different languages) at
        /// or above which they are one event.
        #[arg(long)]
        event_threshold: Option<f32>,
        /// Most days between two stories' last articles for an event link.
        #[arg(long)]
        event_window_days: Option<f64>,
        /// Cosine of embeddings under which an article never joins a story.
        #[arg(long)]
        vector_floor: Option<f32>,
        /// The story model's weights as JSON (`{"article":{"bias","w"},"headline":{..}}`)
        /// instead of the built-in ones: how `bench/train_cluster.py` scores weights it fits.
        #[arg(long)]
        model: Option<PathBuf>,
        #[command(flatten)]
        embed: stories::EmbedArgs,
    },
    /// Add embeddings to articles: reads the JSONL of `cluster`, writes each line with a
    /// `vector` when it is in a language the model reads (`--embed-langs`), else unchanged.
    Embed {
        /// JSONL file, or `-` for standard input.
        file: PathBuf,
        #[command(flatten)]
        embed: stories::EmbedArgs,
    },
    /// Score pairs: reads JSONL `{id,a:{title,text,lang},b:{...}}`, writes `{id,score}` (1 = same story).
    Similarity {
        /// JSONL file, or `-` for standard input.
        file: PathBuf,
        /// The story model's weights as JSON, as for `cluster`.
        #[arg(long)]
        model: Option<PathBuf>,
        #[command(flatten)]
        embed: stories::EmbedArgs,
    },
}

pub async fn run(cmd: LabCmd, db: Option<&str>) -> anyhow::Result<()> {
    match cmd {
        LabCmd::Demo {
            listen,
            no_serve,
            grow,
            translate_bench,
            origin_only,
        } => {
            if let Some(opml) = origin_only {
                return demo::origin_only(grow, &opml).await;
            }
            // `--db`: the demo's store, recreated on every run (PostgreSQL:
            // the schema `courant_demo` in that database).
            let db = db.unwrap_or("courant-demo.db");
            demo::run(&listen, db, no_serve, grow, translate_bench).await
        }
        LabCmd::Cluster {
            file,
            join_threshold,
            merge_threshold,
            split_threshold,
            event_threshold,
            event_window_days,
            vector_floor,
            model,
            embed,
        } => {
            let mut cfg = courant_cluster::Config::default();
            if let Some(path) = model {
                cfg.model = stories::load_model(&path)?;
            }
            if let Some(t) = join_threshold {
                cfg.join_threshold = t;
            }
            if let Some(t) = merge_threshold {
                cfg.merge_threshold = t;
            }
            if let Some(t) = split_threshold {
                cfg.split_threshold = t;
            }
            if let Some(t) = event_threshold {
                cfg.event_threshold = t;
            }
            if let Some(f) = vector_floor {
                cfg.vector_floor = f;
            }
            if let Some(d) = event_window_days {
                cfg.event_window = (d * 86_400.0) as i64;
            }
            let embedder = embed.load()?;
            stories::cluster(&file, cfg, embedder.as_ref())
        }
        LabCmd::Embed { file, embed } => {
            let embedder = embed.load()?.context("give the model with --embed DIR")?;
            stories::embed(&file, &embedder)
        }
        LabCmd::Similarity { file, model, embed } => {
            let model = match model {
                Some(path) => stories::load_model(&path)?,
                None => courant_cluster::Model::default(),
            };
            let embedder = embed.load()?;
            stories::similarity(&file, model, embedder.as_ref())
        }
    }
}
