//! Full-text search over ready articles, on tantivy.
//!
//! The index is a cache of the store, never a source of truth: it follows the
//! store's placement log (`cluster_seq`) and records in each commit which
//! store it follows and how far ([`IndexState`]). A process that finds the
//! index behind catches up; one that finds it belonging to another store
//! (a recreated database) or to an older schema starts it again. Hits carry
//! only ids: the caller reads the articles from the store, so a hidden or
//! removed article never shows, and the highlighter marks the stored text.
//!
//! Language-aware: every language with a Snowball stemmer in tantivy gets its
//! own analyzer and its own title and body fields; other languages share a
//! plain one. Words are split by [`courant_lang::words`], the clusterer's
//! rule (combining marks stay in their word, unspaced scripts become
//! character bigrams), so Hindi, Thai and Chinese are searchable too.
//!
//! # Bounds and fields
//!
//! `SearchIndex` over tantivy: `add(&[Doc])`, `commit(&IndexState)`,
//! `search(&SearchQuery) -> Found` (ids with scores, copies of one text folded
//! into one hit under its original, a `Highlighter` that marks the words in
//! text the caller reads from the store). Every analyzer joins soft-hyphenated
//! pieces, lowercases, stems and folds accents; a query without a language
//! filter is analyzed by every analyzer. Filters:
//! language, source, date range; order: relevance (titles weigh double) or
//! newest. Broken query syntax searches the words alone. Bounds: 200 KB of text
//! and 1 KB of title per article, 500 bytes of query, 5,000 candidates per
//! query. The commit payload records the schema version, the store's instance
//! id and the last placement indexed. I/O (the index folder), like the store.
//!
//! # Why tantivy
//!
//! The issue names it, and it is the maintained Rust search library: BM25,
//! phrase and boolean queries, range filters on fast fields, Snowball stemmers
//! for 18 languages, snippets. Its default tokenizer splits Hindi words at the
//! virama and keeps a Chinese or Thai run as one token, so courant plugs in its
//! own word splitter (the clusterer's) and keeps tantivy's filters. Bodies are
//! not stored in the index (the store has them, and the highlighter works on
//! the text the page reads anyway), which keeps it small: 1.4 MB for the 3,570
//! demo articles. Not chosen: SQLite FTS5 (no per-language stemming, and it
//! ties search to one backend), Meilisearch or Elasticsearch (separate servers,
//! against the one-machine default).
#![warn(missing_docs)]

mod tokenize;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use courant_model::{Article, ArticleId, SourceId};
use courant_text::escape_html;
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument,
    Term,
};

pub use tokenize::analyzer_for;

/// Bumped whenever fields or analyzers change; an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 1;
/// Longest body indexed, in bytes: a bound on what one article costs.
const MAX_BODY: usize = 200_000;
/// Longest title indexed, in bytes.
const MAX_TITLE: usize = 1_000;
/// Longest query, in bytes.
pub const MAX_QUERY: usize = 500;
/// Most hits one query looks at before collapsing copies.
const MAX_CANDIDATES: usize = 5_000;
/// Indexing memory: tantivy's floor for one thread is 15 MB.
const WRITER_HEAP: usize = 32 * 1024 * 1024;

/// Search failures.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// tantivy reported an error.
    #[error("search: index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index folder could not be prepared.
    #[error("search: cannot open {path}: {reason}")]
    Open {
        /// Index folder.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A lock was poisoned by a panicking thread.
    #[error("search: writer lock poisoned")]
    Poisoned,
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// How far the index follows which store; saved with every commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexState {
    /// Schema version the index was built with.
    pub version: u32,
    /// The store's instance id.
    pub store: String,
    /// The last placement (`cluster_seq`) indexed.
    pub seq: i64,
}

/// One article as the index sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    /// Article id.
    pub id: ArticleId,
    /// Its source.
    pub source: SourceId,
    /// Language code, "und" when unknown.
    pub lang: String,
    /// Publication time (discovery time when the article has none).
    pub published: DateTime<Utc>,
    /// The article it copies, or itself: results show one hit per text.
    pub original: ArticleId,
    /// Title.
    pub title: String,
    /// Cleaned text.
    pub text: String,
}

impl Doc {
    /// The index's view of a stored article.
    pub fn from_article(a: &Article) -> Doc {
        let text = a
            .processed
            .as_ref()
            .map(|p| p.text.as_str())
            .filter(|t| !t.is_empty())
            .or(a.entry.summary.as_deref())
            .unwrap_or_default();
        Doc {
            id: a.id,
            source: a.source_id,
            lang: a.lang().unwrap_or("und").to_string(),
            published: a.published().unwrap_or(a.discovered_at),
            original: a.duplicate_of.unwrap_or(a.id),
            title: a.title().to_string(),
            text: text.to_string(),
        }
    }
}

/// Result order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first (BM25, titles weigh double).
    #[default]
    Relevance,
    /// Newest first (feeds).
    Newest,
}

/// A search with its filters and page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    /// The words, in tantivy's query syntax (`"a phrase"`, `-word`, `a OR b`);
    /// syntax errors are forgiven, never reported.
    pub text: String,
    /// Only this language; the query is then analyzed in that language only.
    pub lang: Option<String>,
    /// Only this source.
    pub source: Option<SourceId>,
    /// Published at or after.
    pub from: Option<DateTime<Utc>>,
    /// Published before.
    pub to: Option<DateTime<Utc>>,
    /// Order.
    pub sort: Sort,
    /// Page size.
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
}

/// One hit: an article standing for its text and every copy of it that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The best-ranked matching article of its text.
    pub id: ArticleId,
    /// Relevance (0 when sorted by date).
    pub score: f32,
    /// Other matching articles with the same text (syndicated copies).
    pub copies: Vec<ArticleId>,
}

/// A page of results.
pub struct Found {
    /// Matching articles, copies counted.
    pub total: usize,
    /// This page, one hit per text.
    pub hits: Vec<Hit>,
    /// Whether another page follows.
    pub more: bool,
    /// Marks the query's words in the stored title and text of a hit.
    pub highlighter: Highlighter,
}

impl std::fmt::Debug for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Found")
            .field("total", &self.total)
            .field("hits", &self.hits)
            .field("more", &self.more)
            .finish()
    }
}

#[derive(Clone, Copy)]
struct LangFields {
    title: Field,
    body: Field,
}

#[derive(Clone)]
struct Fields {
    id: Field,
    source: Field,
    lang: Field,
    published: Field,
    original: Field,
    by_analyzer: HashMap<&'static str, LangFields>,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let num = || NumericOptions::default().set_indexed().set_fast();
    let id = b.add_i64_field("id", num().set_stored());
    let source = b.add_i64_field("source", num());
    let lang = b.add_text_field("lang", STRING);
    let published = b.add_i64_field("published", num());
    let original = b.add_i64_field("original", num());
    let mut by_analyzer = HashMap::new();
    for &name in tokenize::ANALYZERS {
        let text = |n: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(n)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
        };
        let title = b.add_text_field(&format!("title_{name}"), text(name));
        let body = b.add_text_field(&format!("body_{name}"), text(name));
        by_analyzer.insert(name, LangFields { title, body });
    }
    (
        b.build(),
        Fields {
            id,
            source,
            lang,
            published,
            original,
            by_analyzer,
        },
    )
}

/// Cuts at a char boundary at or below `max` bytes.
fn bounded(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The search index: one writer, many concurrent searches.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    /// `None` after a failed write: the writer and what it held are dropped,
    /// and the next write opens a fresh one.
    writer: Mutex<Option<IndexWriter>>,
    fields: Fields,
    /// Whether this process has checked the index against its store since
    /// it opened it or since the last failed write.
    checked: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when missing. An index of
    /// another schema version is removed and created anew (it is only a cache).
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        let open_err = |reason: String| Error::Open {
            path: dir.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        let (schema, fields) = schema();
        let index = match Index::open_in_dir(dir) {
            Ok(index) if index.schema() == schema && state_of(&index).is_none_or(current) => index,
            Ok(_) => {
                tracing::info!(dir = %dir.display(), "search index of another version; rebuilding");
                std::fs::remove_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
                std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
                Index::create_in_dir(dir, schema)?
            }
            Err(tantivy::TantivyError::OpenDirectoryError(_))
            | Err(tantivy::TantivyError::OpenReadError(_)) => Index::create_in_dir(dir, schema)?,
            Err(e) => return Err(open_err(e.to_string())),
        };
        Self::with_index(index, fields)
    }

    /// An index in memory (tests, one-off runs).
    pub fn in_memory() -> Result<SearchIndex> {
        let (schema, fields) = schema();
        Self::with_index(Index::create_in_ram(schema), fields)
    }

    fn with_index(index: Index, fields: Fields) -> Result<SearchIndex> {
        tokenize::register(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        // The writer is taken now: a second process on the same folder fails
        // here, at start, with tantivy's lock error, not later in a job.
        let writer = index.writer_with_num_threads(1, WRITER_HEAP)?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(Some(writer)),
            fields,
            checked: Default::default(),
        })
    }

    /// How far the index is, from its last commit; `None` for a new index.
    pub fn state(&self) -> Option<IndexState> {
        state_of(&self.index)
    }

    /// Runs `f` on the writer. After an error (a full disk, say) the writer
    /// may be dead and its uncommitted documents lost, so it is dropped; the
    /// caller starts again from what the last commit recorded.
    fn with_writer<T>(&self, f: impl FnOnce(&mut IndexWriter) -> Result<T>) -> Result<T> {
        let mut slot = self.writer.lock().map_err(|_| Error::Poisoned)?;
        let writer = match slot.as_mut() {
            Some(w) => w,
            None => slot.insert(self.index.writer_with_num_threads(1, WRITER_HEAP)?),
        };
        let out = f(writer);
        if out.is_err() {
            *slot = None;
        }
        out
    }

    /// An index in any tantivy directory (a test's failing disk, a custom
    /// storage), created when empty.
    pub fn in_directory(dir: Box<dyn tantivy::Directory>) -> Result<SearchIndex> {
        let (schema, fields) = schema();
        Self::with_index(Index::open_or_create(dir, schema)?, fields)
    }

    /// Whether the index was checked against its store since it was opened
    /// or last failed to write (see `courant_jobs::search::sync`).
    pub fn checked(&self) -> bool {
        self.checked.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Records whether the index agrees with its store.
    pub fn set_checked(&self, ok: bool) {
        self.checked.store(ok, std::sync::atomic::Ordering::Relaxed);
    }

    /// Which of `ids` the last commit does not hold.
    pub fn missing(&self, ids: &[ArticleId]) -> Result<Vec<ArticleId>> {
        let searcher = self.reader.searcher();
        let mut out = Vec::new();
        for &id in ids {
            let q = TermQuery::new(
                Term::from_field_i64(self.fields.id, id),
                tantivy::schema::IndexRecordOption::Basic,
            );
            if searcher.search(&q, &Count)? == 0 {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Adds documents, replacing any with the same id. Nothing is visible
    /// until [`commit`](Self::commit).
    pub fn add(&self, docs: &[Doc]) -> Result<()> {
        self.with_writer(|w| {
            for d in docs {
                w.delete_term(Term::from_field_i64(self.fields.id, d.id));
                w.add_document(self.document(d))?;
            }
            Ok(())
        })
    }

    fn document(&self, d: &Doc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_i64(f.id, d.id);
        doc.add_i64(f.source, d.source);
        doc.add_text(f.lang, &d.lang);
        doc.add_i64(f.published, d.published.timestamp());
        doc.add_i64(f.original, d.original);
        let lf = f.by_analyzer[analyzer_for(&d.lang)];
        doc.add_text(lf.title, bounded(&d.title, MAX_TITLE));
        doc.add_text(lf.body, bounded(&d.text, MAX_BODY));
        doc
    }

    /// Makes everything added visible and records `state` with it.
    pub fn commit(&self, state: &IndexState) -> Result<()> {
        let payload = serde_json::to_string(state).unwrap_or_default();
        self.with_writer(|w| {
            let mut prepared = w.prepare_commit()?;
            prepared.set_payload(&payload);
            prepared.commit()?;
            Ok(())
        })?;
        self.reader.reload()?;
        Ok(())
    }

    /// Drops every document; the next commit records the new state.
    pub fn clear(&self) -> Result<()> {
        self.with_writer(|w| {
            w.delete_all_documents()?;
            Ok(())
        })
    }

    /// Documents in the last commit.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether the last commit holds no documents.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs a search. An empty query matches nothing; a query with broken
    /// syntax is read as well as it can be.
    pub fn search(&self, q: &SearchQuery) -> Result<Found> {
        let searcher = self.reader.searcher();
        let analyzers: Vec<&'static str> = match q.lang.as_deref() {
            Some(l) => vec![analyzer_for(l)],
            None => tokenize::ANALYZERS.to_vec(),
        };
        let mut text_fields = Vec::new();
        for a in &analyzers {
            let lf = self.fields.by_analyzer[a];
            text_fields.push(lf.title);
            text_fields.push(lf.body);
        }
        let mut parser = QueryParser::new(
            self.index.schema(),
            text_fields.clone(),
            self.index.tokenizers().clone(),
        );
        parser.set_conjunction_by_default();
        for a in &analyzers {
            parser.set_field_boost(self.fields.by_analyzer[a].title, 2.0);
        }
        let words = bounded(q.text.trim(), MAX_QUERY);
        let (mut text_query, errors) = parser.parse_query_lenient(words);
        if !errors.is_empty() {
            // Broken syntax (a stray quote or bracket): search the words alone.
            text_query = parser.parse_query_lenient(&plain_words(words)).0;
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query.box_clone())];
        if let Some(l) = &q.lang {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.lang, l),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if let Some(s) = q.source {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_i64(self.fields.source, s),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if q.from.is_some() || q.to.is_some() {
            let term =
                |d: DateTime<Utc>| Term::from_field_i64(self.fields.published, d.timestamp());
            let lower = q
                .from
                .map_or(Bound::Unbounded, |d| Bound::Included(term(d)));
            let upper = q.to.map_or(Bound::Unbounded, |d| Bound::Excluded(term(d)));
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
        }
        let query = BooleanQuery::new(clauses);
        let highlighter = Highlighter {
            searcher: searcher.clone(),
            query: text_query,
            fields: self.fields.clone(),
            generators: HashMap::new(),
        };
        if words.is_empty() {
            return Ok(Found {
                total: 0,
                hits: Vec::new(),
                more: false,
                highlighter,
            });
        }
        let limit = q.limit.clamp(1, 500);
        let want = q.offset.saturating_add(limit).saturating_add(1);
        // Copies of one text collapse into one hit, so look further than the page.
        let candidates = want.saturating_mul(4).clamp(64, MAX_CANDIDATES);
        let (total, ranked): (usize, Vec<(f32, DocAddress)>) = match q.sort {
            Sort::Relevance => searcher.search(
                &query,
                &(Count, TopDocs::with_limit(candidates).order_by_score()),
            )?,
            Sort::Newest => {
                let (n, docs) = searcher.search(
                    &query,
                    &(
                        Count,
                        TopDocs::with_limit(candidates)
                            .order_by_fast_field::<i64>("published", Order::Desc),
                    ),
                )?;
                (n, docs.into_iter().map(|(_, a)| (0.0, a)).collect())
            }
        };
        let mut hits: Vec<Hit> = Vec::new();
        let mut at: HashMap<i64, usize> = HashMap::new();
        let mut seen: HashSet<i64> = HashSet::new();
        let mut original_of: HashMap<i64, i64> = HashMap::new();
        for (score, addr) in ranked {
            let seg = searcher.segment_reader(addr.segment_ord);
            let ff = seg.fast_fields();
            let (Some(id), Some(original)) = (
                ff.i64("id")?.first(addr.doc_id),
                ff.i64("original")?.first(addr.doc_id),
            ) else {
                continue;
            };
            if !seen.insert(id) {
                continue;
            }
            match at.get(&original) {
                Some(&i) => hits[i].copies.push(id),
                None => {
                    at.insert(original, hits.len());
                    original_of.insert(id, original);
                    hits.push(Hit {
                        id,
                        score,
                        copies: Vec::new(),
                    });
                }
            }
        }
        // A group stands for its original when the original matched.
        for h in &mut hits {
            if let Some(&original) = original_of.get(&h.id) {
                if let Some(k) = h.copies.iter().position(|&c| c == original) {
                    h.copies[k] = h.id;
                    h.id = original;
                    h.copies.sort_unstable();
                }
            }
        }
        let more = hits.len() > q.offset + limit;
        let hits: Vec<Hit> = hits.into_iter().skip(q.offset).take(limit).collect();
        Ok(Found {
            total,
            hits,
            more,
            highlighter,
        })
    }
}

/// The query's words without query syntax.
fn plain_words(q: &str) -> String {
    let cleaned: String = q
        .chars()
        .map(|c| {
            if "\"()[]{}:^~*!+\\/<>=".contains(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    cleaned
        .split_whitespace()
        .filter(|w| !matches!(*w, "AND" | "OR" | "NOT" | "IN" | "-"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn state_of(index: &Index) -> Option<IndexState> {
    let payload = index.load_metas().ok()?.payload?;
    serde_json::from_str(&payload).ok()
}

fn current(s: IndexState) -> bool {
    s.version == SCHEMA_VERSION
}

/// Marks a query's words in text the store holds: titles and snippets as
/// HTML, with every piece of the text escaped and matches in `<mark>`.
pub struct Highlighter {
    searcher: Searcher,
    query: Box<dyn Query>,
    fields: Fields,
    generators: HashMap<Field, Option<SnippetGenerator>>,
}

/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 240;

impl Highlighter {
    fn generator(&mut self, field: Field, chars: usize) -> Option<&SnippetGenerator> {
        let (searcher, query) = (&self.searcher, &self.query);
        self.generators
            .entry(field)
            .or_insert_with(|| {
                let mut g = SnippetGenerator::create(searcher, query.as_ref(), field).ok()?;
                g.set_max_num_chars(chars);
                Some(g)
            })
            .as_ref()
    }

    fn mark(&mut self, field: Field, text: &str, chars: usize) -> Option<String> {
        let mut snippet = self.generator(field, chars)?.snippet(text);
        if snippet.is_empty() {
            return None;
        }
        snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
        Some(snippet.to_html())
    }

    /// The whole title with the query's words marked (escaped HTML).
    pub fn title(&mut self, lang: &str, title: &str) -> String {
        let field = self.fields.by_analyzer[analyzer_for(lang)].title;
        let Some(g) = self.generator(field, title.len() + 1) else {
            return escape_html(title);
        };
        // The snippet may leave out the title's ends; its ranges place the
        // marks in the whole title instead.
        let snippet = g.snippet(title);
        let at = snippet.fragment_range().start;
        let mut html = String::new();
        let mut done = 0;
        for r in tantivy::snippet::collapse_overlapped_ranges(snippet.highlighted()) {
            let (from, to) = (at + r.start, at + r.end);
            if from < done
                || to > title.len()
                || !title.is_char_boundary(from)
                || !title.is_char_boundary(to)
            {
                continue;
            }
            html.push_str(&escape_html(&title[done..from]));
            html.push_str("<mark>");
            html.push_str(&escape_html(&title[from..to]));
            html.push_str("</mark>");
            done = to;
        }
        html.push_str(&escape_html(&title[done..]));
        html
    }

    /// The passage of the text that best matches, words marked (escaped HTML);
    /// the opening of the text when no word matches there.
    pub fn snippet(&mut self, lang: &str, text: &str) -> String {
        let field = self.fields.by_analyzer[analyzer_for(lang)].body;
        self.mark(field, text, SNIPPET_CHARS).unwrap_or_else(|| {
            let cut: String = text.chars().take(SNIPPET_CHARS).collect();
            let ellipsis = if cut.len() < text.len() { "…" } else { "" };
            format!("{}{ellipsis}", escape_html(cut.trim_end()))
        })
    }
}
