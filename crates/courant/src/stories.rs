//! `courant cluster` and `courant similarity`: the story library over JSONL,
//! also the evaluation harness of the benchmark.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Article {
    id: serde_json::Value,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    lang: Option<String>,
    published: Option<serde_json::Value>,
    /// Its address: the slug's words count as words.
    url: Option<String>,
    /// The caller's embedding of the article, if any.
    vector: Option<Vec<f32>>,
}

/// Publication time as Unix seconds: a number (seconds or milliseconds) or an RFC 3339 string.
fn unix(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => {
            n.as_i64()
                .map(|x| if x > 100_000_000_000 { x / 1000 } else { x })
        }
        serde_json::Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|d| d.timestamp()),
        _ => None,
    }
}

fn id_string(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads story model weights from a JSON file (at most 64 KiB).
pub fn load_model(path: &Path) -> anyhow::Result<courant_cluster::Model> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .with_context(|| format!("opening {}", path.display()))?
        .take(64 * 1024)
        .read_to_string(&mut text)
        .with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not a story model", path.display()))
}

/// The optional embedding model: one more signal for the story model.
#[derive(Debug, clap::Args)]
pub struct EmbedArgs {
    /// A sentence embedding model folder: `models/usem3` (multilingual,
    /// `scripts/fetch-model.sh`) or a BERT folder such as
    /// `models/all-MiniLM-L6-v2` (English, `scripts/fetch-model.sh
    /// --minilm`). Articles without a `vector` of their own are embedded
    /// where the story model weighs embeddings.
    #[arg(long, value_name = "DIR")]
    embed: Option<std::path::PathBuf>,
    /// Languages the embedding model reads (comma-separated); articles in
    /// others are left to their words. An article without a language
    /// counts as English. Default: the model's own languages.
    #[arg(long, value_delimiter = ',')]
    embed_langs: Vec<String>,
}

/// The two kinds of model a folder may hold.
enum Model {
    Usem(Box<courant_embed::Usem>),
    Bert(Box<courant_embed::Embedder>),
}

/// A loaded embedding model and the languages it reads.
pub struct Embed {
    model: Model,
    langs: Vec<String>,
}

impl EmbedArgs {
    pub fn load(&self) -> anyhow::Result<Option<Embed>> {
        let Some(dir) = &self.embed else {
            return Ok(None);
        };
        let context = || format!("loading the embedding model in {}", dir.display());
        let (model, langs) = if dir.join("sp.model").exists() {
            let model = courant_embed::Usem::load(dir).with_context(context)?;
            let langs = courant_embed::Usem::LANGS.iter().map(|l| l.to_string());
            (Model::Usem(Box::new(model)), langs.collect())
        } else {
            let model = courant_embed::Embedder::load(dir).with_context(context)?;
            (Model::Bert(Box::new(model)), vec!["en".to_string()])
        };
        let langs = if self.embed_langs.is_empty() {
            langs
        } else {
            self.embed_langs.clone()
        };
        Ok(Some(Embed { model, langs }))
    }
}

/// Title and text as one input; the title alone when there is no text.
fn title_and_text(title: &str, text: &str) -> String {
    if text.trim().is_empty() {
        title.to_string()
    } else {
        format!("{title}\n{text}")
    }
}

impl Embed {
    /// Whether the model reads this language (none counts as English).
    fn reads(&self, lang: Option<&str>) -> bool {
        let lang = lang.unwrap_or("en");
        self.langs.iter().any(|l| l == lang)
    }

    /// The embedding of title and text, if the model reads the language.
    fn vector(
        &self,
        title: &str,
        text: &str,
        lang: Option<&str>,
    ) -> anyhow::Result<Option<Vec<f32>>> {
        if !self.reads(lang) {
            return Ok(None);
        }
        Ok(Some(match &self.model {
            Model::Usem(m) => m.embed(&courant_embed::Usem::article(title, text)),
            Model::Bert(m) => m.embed(&title_and_text(title, text))?,
        }))
    }

    /// [`Embed::vector`] of many articles (title, text, language), batched
    /// where the model allows.
    fn vectors(
        &self,
        items: &[(String, String, Option<String>)],
    ) -> anyhow::Result<Vec<Option<Vec<f32>>>> {
        let Model::Usem(m) = &self.model else {
            return items
                .iter()
                .map(|(t, x, l)| self.vector(t, x, l.as_deref()))
                .collect();
        };
        let wanted: Vec<Option<(&str, &str)>> = items
            .iter()
            .map(|(t, x, l)| self.reads(l.as_deref()).then_some((t.as_str(), x.as_str())))
            .collect();
        Ok(m.embed_articles(&wanted))
    }

    /// Embeddings of title and text, and of title and lead, for
    /// `similarity` (the multilingual model only).
    fn text_and_lead(
        &self,
        title: &str,
        text: &str,
        lang: Option<&str>,
    ) -> Option<(Vec<f32>, Vec<f32>)> {
        let Model::Usem(m) = &self.model else {
            return None;
        };
        if !self.reads(lang) {
            return None;
        }
        let full = title_and_text(title, text);
        let mut v = m.embed_all(&[&full, &courant_embed::Usem::article(title, text)]);
        let lead = v.pop()?;
        Some((v.pop()?, lead))
    }

    /// [`Embed::vector`], for an article of a kind the story model weighs
    /// embeddings for; every article with the multilingual model, whose
    /// vectors also link stories across languages (as in the pipeline).
    fn weighed(
        &self,
        model: &courant_cluster::Model,
        title: &str,
        text: &str,
        lang: Option<&str>,
    ) -> anyhow::Result<Option<Vec<f32>>> {
        let weighed = if matches!(self.model, Model::Usem(_)) {
            true
        } else if text.trim().is_empty() {
            model.headline_vector.is_some()
        } else {
            model.article_vector.is_some()
        };
        if weighed {
            self.vector(title, text, lang)
        } else {
            Ok(None)
        }
    }
}

/// Longest JSONL line accepted (one article).
const MAX_LINE: u64 = 8 * 1024 * 1024;

/// Streams the lines of a file or standard input, each bounded in size.
fn for_each_line(
    file: &Path,
    mut f: impl FnMut(usize, &str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    use std::io::{BufRead, Read};
    let reader: Box<dyn BufRead> = if file == Path::new("-") {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let fh =
            std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        Box::new(std::io::BufReader::new(fh))
    };
    let mut reader = reader;
    let mut buf = Vec::new();
    for n in 1.. {
        buf.clear();
        let read = (&mut reader)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut buf)?;
        if read == 0 {
            break;
        }
        anyhow::ensure!(
            buf.len() as u64 <= MAX_LINE,
            "line {n}: longer than {MAX_LINE} bytes"
        );
        let line = std::str::from_utf8(&buf).with_context(|| format!("line {n}: not UTF-8"))?;
        if !line.trim().is_empty() {
            f(n, line)?;
        }
    }
    Ok(())
}

pub fn cluster(
    file: &Path,
    cfg: courant_cluster::Config,
    embed: Option<&Embed>,
) -> anyhow::Result<()> {
    let model = cfg.model;
    let mut c = courant_cluster::Clusterer::new(cfg);
    // Lines are written at the end so that articles whose story merged or
    // split later in the stream show under their story now, as on the site.
    let mut placed = Vec::new();
    for_each_line(file, |n, line| {
        let a: Article =
            serde_json::from_str(line).with_context(|| format!("line {n}: not an article"))?;
        let id = id_string(&a.id);
        let vector = vector_of(
            embed,
            &model,
            a.vector.clone(),
            &a.title,
            &a.text,
            a.lang.as_deref(),
        )
        .with_context(|| format!("line {n}: embedding"))?;
        let asg = c.add(&courant_cluster::Doc {
            id: &id,
            title: &a.title,
            text: &a.text,
            lang: a.lang.as_deref(),
            published: a.published.as_ref().and_then(unix),
            url: a.url.as_deref(),
            vector: vector.as_deref(),
        });
        placed.push((a.id, id, asg.story, asg.duplicate_of));
        Ok(())
    })?;
    // The last placements get their second look too.
    c.settle();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (id, key, story, duplicate_of) in placed {
        let story = c.story_of(&key).unwrap_or(story);
        let event = c.event_of(story);
        serde_json::to_writer(
            &mut out,
            &serde_json::json!({ "id": id, "story": story, "event": event, "duplicate_of": duplicate_of }),
        )?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// The article's own vector, else its embedding where the story model weighs one.
fn vector_of(
    embed: Option<&Embed>,
    model: &courant_cluster::Model,
    own: Option<Vec<f32>>,
    title: &str,
    text: &str,
    lang: Option<&str>,
) -> anyhow::Result<Option<Vec<f32>>> {
    match (own, embed) {
        (None, Some(e)) => e.weighed(model, title, text, lang),
        (own, _) => Ok(own),
    }
}

/// Writes each article line with its embedding added, for every article in a
/// language the model reads (`courant embed`).
pub fn embed(file: &Path, embed: &Embed) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // Lines are embedded in batches: the model's matrix kernels then read
    // each weight once per batch instead of once per line.
    let mut batch: Vec<(serde_json::Value, Article)> = Vec::new();
    let mut flush = |batch: &mut Vec<(serde_json::Value, Article)>| -> anyhow::Result<()> {
        let wanted: Vec<(String, String, Option<String>)> = batch
            .iter()
            .filter(|(_, a)| a.vector.is_none())
            .map(|(_, a)| (a.title.clone(), a.text.clone(), a.lang.clone()))
            .collect();
        let mut vectors = embed.vectors(&wanted)?.into_iter();
        for (mut v, a) in batch.drain(..) {
            if a.vector.is_none() {
                if let Some(vector) = vectors.next().flatten() {
                    v["vector"] = serde_json::json!(vector);
                }
            }
            serde_json::to_writer(&mut out, &v)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    };
    for_each_line(file, |n, line| {
        let v: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("line {n}: not an article"))?;
        let a = Article::deserialize(&v).with_context(|| format!("line {n}: not an article"))?;
        batch.push((v, a));
        if batch.len() >= EMBED_BATCH {
            flush(&mut batch).with_context(|| format!("line {n}: embedding"))?;
        }
        Ok(())
    })?;
    flush(&mut batch).context("embedding")?;
    out.flush()?;
    Ok(())
}

/// Lines embedded at once by `courant embed`.
const EMBED_BATCH: usize = 64;

#[derive(Debug, Deserialize)]
struct Side {
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    lang: Option<String>,
    url: Option<String>,
    vector: Option<Vec<f32>>,
}

#[derive(Debug, Deserialize)]
struct Pair {
    id: serde_json::Value,
    a: Side,
    b: Side,
}

pub fn similarity(
    file: &Path,
    model: courant_cluster::Model,
    embed: Option<&Embed>,
) -> anyhow::Result<()> {
    let mut pairs = Vec::new();
    for_each_line(file, |n, line| {
        let p: Pair =
            serde_json::from_str(line).with_context(|| format!("line {n}: not a pair"))?;
        let features = |s: &Side| {
            courant_cluster::article_features(
                &s.title,
                &s.text,
                s.url.as_deref(),
                s.lang.as_deref().unwrap_or("en"),
            )
        };
        let (fa, fb) = (features(&p.a), features(&p.b));
        let two =
            |s: &Side| embed.and_then(|e| e.text_and_lead(&s.title, &s.text, s.lang.as_deref()));
        let (two_a, two_b) = (two(&p.a), two(&p.b));
        // The lead's embedding is the article's vector: computed once.
        let side = |s: &Side, two: &Option<(Vec<f32>, Vec<f32>)>| match (&s.vector, two) {
            (None, Some((_, lead))) => Ok(Some(lead.clone())),
            _ => vector_of(
                embed,
                &model,
                s.vector.clone(),
                &s.title,
                &s.text,
                s.lang.as_deref(),
            ),
        };
        let vectors = side(&p.a, &two_a)?.zip(side(&p.b, &two_b)?);
        let cosines = two_a.zip(two_b).map(|((fa, la), (fb, lb))| {
            (
                courant_embed::cosine(&fa, &fb),
                courant_embed::cosine(&la, &lb),
            )
        });
        let same_lang = p.a.lang.as_deref().unwrap_or("en") == p.b.lang.as_deref().unwrap_or("en");
        pairs.push((p.id, fa, fb, vectors, cosines, same_lang));
        Ok(())
    })?;
    // Document frequencies over every text in the file.
    let mut df: HashMap<String, u32> = HashMap::new();
    for (_, a, b, ..) in &pairs {
        for f in [a, b] {
            for t in f.terms.keys() {
                *df.entry(t.clone()).or_insert(0) += 1;
            }
        }
    }
    let n = (pairs.len() * 2) as u32;
    let cal = courant_cluster::Calibration::shipped();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (id, a, b, vectors, cosines, same_lang) in &pairs {
        let vectors = vectors.as_ref().map(|(va, vb)| (&va[..], &vb[..]));
        let story = courant_cluster::similarity(a, b, &df, n, &model, vectors);
        let inputs = courant_cluster::PairInputs {
            full: cosines.map(|c| c.0),
            lead: cosines.map(|c| c.1),
            words: courant_cluster::words_cosine(a, b, &df, n),
            same_lang: *same_lang,
        };
        let g = courant_cluster::graded(&inputs, cal);
        serde_json::to_writer(
            &mut out,
            &serde_json::json!({
                "id": id, "score": g.score, "overall": g.overall, "verdict": g.verdict,
                "story_probability": story, "inputs": inputs,
            }),
        )?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
