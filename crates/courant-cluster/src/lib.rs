//! Stories from a stream of articles: near-duplicate detection (MinHash with
//! LSH banding) and online story clustering. An article joins the story a
//! logistic model ([`Model`]) finds it most likely to belong to, from TF-IDF
//! cosines of four feature groups (words, names, numbers, lead); stories are
//! found through an inverted index, and every placement is looked at again
//! once later articles have arrived.
//!
//! Pure and deterministic: the same articles in the same order give the same
//! stories. State lives in [`Clusterer`]; callers persist what they need.
//! Story ids are assigned once and never change, so links keep working.
//!
//! Modules: [`analyze`](crate::features) turns text into weighted terms,
//! `clusterer` places articles (its `rank` module judges candidate stories,
//! `reshape` moves, merges and splits them), `story` is one story's state,
//! `vocab` the term ids and document frequencies, `sparse` and `emb` the
//! vector arithmetic, `similarity` scores a pair of articles with the same
//! model, and `train` places articles by gold labels to fit that model.
//!
//! # How an article is placed
//!
//! `Clusterer::add(&Doc) -> Assignment` places articles as a stream:
//! near-duplicates by MinHash signatures over word 3-shingles with LSH banding
//! (16 bands of 4); stories by a logistic model (`model`) of how surely an
//! article belongs to a candidate story. Features (`analyze.rs`), in four
//! groups with a TF-IDF vector each (every group's part of unit length):
//! stemmed content words (`rust-stemmers` where a stemmer exists, stopwords-iso
//! lists from `stop-words`; Thai, Lao, Myanmar, Khmer, kana and Han as
//! character bigrams), names (capitalized runs inside sentences; in German,
//! which capitalizes every noun, only runs of two or more and acronyms),
//! numbers, and the lead (the words of the body's first 500 bytes); the words
//! of the URL's slug (a path segment of three or more words, `slug_words`)
//! count as words of weight one, since a feed item without its page has little
//! else; every term is tagged with its language so stories stay within one
//! language. The model's inputs are, per group, the cosine to the story's
//! centroid and the best cosine to one of its 16 recent members (kept as their
//! top terms), and the same two for the caller's embedding (`Doc::vector`, any
//! length, zero without one): the mean of the story's members' embeddings and
//! the best recent member. An article with an embedding is judged by the
//! `_vector` weights where the model has them (the shipped model has
//! `headline_vector` only: on ECB+ bodies an embedding gained nothing).
//! Embeddings judge candidates; they do not find them. Candidates come from an
//! inverted index over top words and names; they are ranked by words first and
//! the model judges the best 8. The article joins the most probable story when
//! its probability reaches `join_threshold` (0.5); a second story it belongs to
//! as surely (`merge_threshold`, 0.95) is merged. Time is a prior on the odds:
//! a story whose last article is long past (scale 10 days) is up to 4 times
//! less likely (`time_odds`), so a follow-up months later joins only with much
//! in common, else it is related news. An article without body text (a feed
//! item without its page) is a headline, judged by its own weights (words and
//! numbers only). Weights are fitted by `bench/train_cluster.py` from
//! `examples/train_rows` (features of every judged candidate while articles are
//! placed in their gold stories) and written to `model.json` (`--write`).
//! Second look: every placement the model was not sure of (under 0.9)
//! waits, and when 64 wait they are judged again (and by `settle()`, which `courant cluster` calls at the
//! end and the story worker calls whenever its queue is drained): when another
//! story now claims it more surely than its own story without it, it moves
//! there with its copies, or, when it was a story alone, its story merges into
//! that one. Every 8 joins a story's recent members are divided by 2-means over
//! their words; when the halves' centroids fall below `split_threshold` (0.25),
//! the half without the oldest member becomes a new story and takes its
//! members' copies along. Moves and splits are reported in `Assignment::moved`,
//! merges in `Assignment::merged`. The assignment also lists related stories
//! (similar by words, below joining) and the article's centrality. `restore`
//! replays a stored decision. Story ids never change; a merged id `resolve`s to
//! the survivor. `similarity()` scores a pair with the same model. Pure.
//!
//! # Why own code
//!
//! No crate does online story clustering with stable ids, merges and replay;
//! MinHash/LSH and TF-IDF are a few hundred lines, kept pure so
//! `bench/cluster.sh` judges exactly what the pipeline runs. Word lists and
//! stemmers are not ours: `stop-words` (stopwords-iso, about 50 languages) and
//! `rust-stemmers` (Snowball). The language tag on every term keeps stories
//! within one language; moving to stopwords-iso lifted ECB+ B³ F1 from 0.828 to
//! 0.842 at the old thresholds. A fitted model over feature groups instead of
//! one cosine and hand-set thresholds, as Miranda et al. (EMNLP 2018) do:
//! same-kind events ("the champion's fight against A" and "against B") share
//! most words, and what tells them apart is the names, numbers and lead the
//! group weights bring out. On ECB+ it lifted B³ F1 from 0.835 to 0.907
//! cross-validated (0.916 with the shipped weights); the fit is a 60-line
//! Newton's method in the training script (standard library only), and the
//! weights are constants, so nothing is learned at run time and decisions stay
//! reproducible. One clusterer at a time (a store lease) instead of a shared
//! index: story decisions are sequential by nature, and one core places about
//! 60,000 headlines/s or 3,000 full texts/s (BENCHMARKS.md), far above what the
//! fetchers deliver.
#![warn(missing_docs)]

mod analyze;
mod clusterer;
mod emb;
mod events;
mod graded;
mod minhash;
mod model;
mod similarity;
mod sparse;
mod story;
mod train;
mod vocab;

#[cfg(test)]
mod tests;

use serde::Serialize;

pub use analyze::{
    article_features, features, group_of, slug_words, Features, Group, GROUPS, LEAD_BYTES,
};
pub use clusterer::Clusterer;
pub use graded::{graded, named_inputs, words_cosine, Calibration, Graded, PairInputs, Verdict};
pub use model::{Model, Weights, FEATURES, VECTOR};
pub use similarity::similarity;
pub use train::Trainer;

/// Tunables. The model's weights are fitted (see [`Model`]); the thresholds
/// are probabilities of the model, and the rest are round values chosen on
/// principle.
#[derive(Debug, Clone)]
pub struct Config {
    /// Probability of belonging to a story needed to join it.
    pub join_threshold: f32,
    /// Estimated Jaccard similarity of word 3-shingles that makes a copy.
    pub duplicate_jaccard: f32,
    /// Terms kept per article vector, per group.
    pub doc_terms: [usize; GROUPS],
    /// Terms kept per story centroid, per group.
    pub story_terms: [usize; GROUPS],
    /// Days over which time apart takes effect (1 - e^(-days/scale)).
    pub time_scale_days: f64,
    /// How many times less likely an article belongs to a story whose last
    /// article is long past than its content alone says: a follow-up months
    /// later needs more in common to join (else it is related news).
    pub time_odds: f32,
    /// Probability at which another story that an article belongs to as
    /// well as to the one it joins is merged with that one.
    pub merge_threshold: f32,
    /// Word similarity at which another story counts as related.
    pub related_threshold: f32,
    /// Related stories reported per article.
    pub related_max: usize,
    /// Cosine of the two halves of a story (2-means over its recent members)
    /// below which the newer half splits off as a story of its own.
    pub split_threshold: f32,
    /// The model that judges whether an article belongs to a story.
    pub model: Model,
    /// Cosine of two stories' mean embeddings, in different languages, at
    /// or above which they are one event (`events`).
    pub event_threshold: f32,
    /// Most seconds between two stories' last articles for an event link.
    pub event_window: i64,
    /// With embeddings on both sides: the cosine to a story's mean and to
    /// its best recent member under which an article never joins it.
    pub vector_floor: f32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            join_threshold: 0.5,
            duplicate_jaccard: 0.6,
            doc_terms: [100, 40, 40, 40],
            story_terms: [160, 48, 32, 48],
            time_scale_days: 10.0,
            time_odds: 4.0,
            merge_threshold: 0.95,
            related_threshold: 0.08,
            related_max: 5,
            split_threshold: 0.25,
            model: Model::default(),
            event_threshold: 0.5,
            event_window: 7 * 86_400,
            vector_floor: 0.3,
        }
    }
}

/// One article to place.
#[derive(Debug, Clone, Copy, Default)]
pub struct Doc<'a> {
    /// Caller's id.
    pub id: &'a str,
    /// Title.
    pub title: &'a str,
    /// Body text.
    pub text: &'a str,
    /// ISO 639-1 language; English analysis when unknown.
    pub lang: Option<&'a str>,
    /// Publication time, Unix seconds.
    pub published: Option<i64>,
    /// The article's URL: its slug's words count as words.
    pub url: Option<&'a str>,
    /// The caller's embedding of the article (any length, the same for every
    /// article of a stream), one more signal beside the words; `None` leaves
    /// the article to the words alone.
    pub vector: Option<&'a [f32]>,
}

/// Where an article went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assignment {
    /// Story id, stable: a story keeps its id for good, and a story merged
    /// into another keeps resolving to the survivor ([`Clusterer::resolve`]).
    pub story: u64,
    /// The earlier article this one copies, if any.
    pub duplicate_of: Option<String>,
    /// Probability that it belongs to the story it joined (1.0 for a copy,
    /// 0.0 for a new story).
    pub similarity: f32,
    /// Cosine of the article's words to its story's centroid after joining:
    /// the most central member makes the story's title.
    pub central: f32,
    /// Stories merged while placing it: (merged story, story it went into).
    pub merged: Merges,
    /// Earlier articles that moved to another story (article id, new story):
    /// a second look found them more likely in another story, or their
    /// story split.
    pub moved: Moves,
    /// Other stories it resembles, below joining, best first.
    pub related: Vec<(u64, f32)>,
}

/// Articles that moved: (article id, story it is in now).
pub type Moves = Vec<(String, u64)>;

/// Stories merged: (merged story, story it went into).
pub type Merges = Vec<(u64, u64)>;

#[cfg(test)]
mod events_tests;
