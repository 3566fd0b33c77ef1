//! HTML pages.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::response::{IntoResponse, Redirect, Response};
use courant_store::{ArticleQuery, StoryQuery};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::views::{self, ArticleSummary};
use crate::{read, render, AppState, WebError};

const PER_GROUP: usize = 6;
const PAGE: usize = 50;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListParams {
    lang: Option<String>,
    page: Option<usize>,
    source: Option<i64>,
}

/// Stories on the home page.
const TOP_STORIES: usize = 40;
/// Source-language groups on the home page, newest first.
const GROUPS: usize = 12;
/// Newest members a story page shows on its timeline.
const STORY_MEMBERS: usize = 300;
/// Newest members of a story an article page picks related news from.
const RELATED_POOL: usize = 100;
/// Copies of a text read to name the outlets that carried it.
const COPIES: usize = 200;
/// Recent stories the ranking chooses from.
const RANK_POOL: usize = 500;

pub(crate) fn clean_lang(l: Option<String>) -> Result<Option<String>, WebError> {
    match l.filter(|l| !l.is_empty()) {
        Some(l) if l.len() <= 12 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            Ok(Some(l))
        }
        Some(_) => Err(WebError::BadRequest("invalid language code".into())),
        None => Ok(None),
    }
}

#[derive(Serialize)]
struct GroupView {
    source_id: i64,
    source_name: String,
    lang: Option<String>,
    total: i64,
    articles: Vec<ArticleSummary>,
}

/// Top stories now, ranked by breadth of coverage and recency, with
/// language and source filters; then the newest articles by source.
pub(crate) async fn home(
    State(st): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Html<Bytes>, WebError> {
    let lang = clean_lang(p.lang)?;
    cached_home(st, None, lang, p.source).await
}

/// Front pages are rendered at most once per [`crate::cache::PAGE_TTL`] for
/// each edition and filter.
async fn cached_home(
    st: AppState,
    edition: Option<String>,
    lang: Option<String>,
    source: Option<i64>,
) -> Result<Html<Bytes>, WebError> {
    let key = format!("home:{edition:?}:{lang:?}:{source:?}");
    let pages = st.pages.clone();
    let html = pages
        .get(key, async move {
            Ok(home_page(st, edition, lang, source).await?.0)
        })
        .await?;
    Ok(Html(html))
}

/// A language edition's code from the path: `de`, `pt-BR`. Anything else
/// (`/sources/` reaches here too) is not an edition.
pub(crate) fn edition_code(code: &str) -> Result<String, WebError> {
    let mut parts = code.split('-');
    let base = parts.next().unwrap_or_default();
    let region = parts.next();
    let ok = (2..=3).contains(&base.len())
        && base.chars().all(|c| c.is_ascii_lowercase())
        && region.is_none_or(|r| {
            (2..=8).contains(&r.len()) && r.chars().all(|c| c.is_ascii_alphanumeric())
        })
        && parts.next().is_none();
    if ok {
        Ok(code.to_string())
    } else {
        Err(WebError::NotFound("no such page".into()))
    }
}

/// `/{lang}/`: the edition's front page, in its language.
pub(crate) async fn edition_home(
    State(st): State<AppState>,
    Path(code): Path<String>,
    Query(p): Query<ListParams>,
) -> Result<Html<Bytes>, WebError> {
    let code = edition_code(&code)?;
    cached_home(st, Some(code.clone()), Some(code), p.source).await
}

/// `/{lang}` without the slash: to the edition.
pub(crate) async fn edition_redirect(Path(code): Path<String>) -> Result<Response, WebError> {
    let code = edition_code(&code)?;
    Ok(Redirect::permanent(&format!("/{code}/")).into_response())
}

/// `/{lang}/latest`
pub(crate) async fn edition_latest(
    State(st): State<AppState>,
    Path(code): Path<String>,
    Query(p): Query<ListParams>,
) -> Result<Html<String>, WebError> {
    let code = edition_code(&code)?;
    list_page(
        st,
        Some(code.clone()),
        None,
        Some(code.clone()),
        p.page.unwrap_or(1),
        String::new(),
        format!("/{code}/latest"),
    )
    .await
}

async fn home_page(
    st: AppState,
    edition: Option<String>,
    lang: Option<String>,
    source: Option<i64>,
) -> Result<Html<String>, WebError> {
    let overview = crate::overview(&st).await?;
    let (sources, counts) = (overview.sources.clone(), overview.counts.clone());
    let want = lang.clone();
    let names = overview.names.clone();
    let all_groups = overview.groups.clone();
    let edition_lang = edition.clone();
    let (stories, languages, groups, translated, translated_editions) = read(&st, move |s| {
        let mut stories = s.stories(&StoryQuery {
            lang: want.clone(),
            source,
            limit: RANK_POOL,
        })?;
        // Breadth across languages: one entry per event on the front page
        // (its broadest story), and each event's languages count.
        let ids: Vec<i64> = stories.iter().map(|x| x.id).collect();
        let breadth = s.event_breadth(&ids)?;
        let langs = |x: &courant_model::Story| breadth.get(&x.id).map_or(1, |b| b.1);
        courant_store::policy::rank_by_breadth(&mut stories, chrono::Utc::now(), langs);
        let mut seen = std::collections::HashSet::new();
        stories.retain(|x| seen.insert(breadth.get(&x.id).map_or(x.id, |b| b.0)));
        stories.truncate(TOP_STORIES);
        let languages: Vec<i64> = stories.iter().map(langs).collect();
        let translated = match &edition_lang {
            Some(l) => crate::translations::for_edition(s, l, TOP_STORIES)?,
            None => Vec::new(),
        };
        let mut out = Vec::new();
        for g in all_groups
            .iter()
            .filter(|g| {
                want.as_deref().is_none_or(|l| l == g.lang)
                    && source.is_none_or(|id| id == g.source)
            })
            .take(GROUPS)
            .cloned()
        {
            let articles = s.articles(&ArticleQuery {
                source: Some(g.source),
                lang: Some(g.lang.clone()),
                limit: PER_GROUP,
                brief: true,
                ..ArticleQuery::default()
            })?;
            out.push(GroupView {
                source_id: g.source,
                source_name: names.get(&g.source).cloned().unwrap_or_default(),
                lang: (g.lang != "und").then_some(g.lang),
                total: g.count,
                articles: articles.iter().map(|a| views::summary(a, &names)).collect(),
            });
        }
        // Editions that exist only through translations, for the editions bar.
        let translated_editions: Vec<(String, i64)> = s
            .translation_counts()?
            .into_iter()
            .filter(|(_, status, _)| status == "published")
            .map(|(lang, _, n)| (lang, n))
            .collect();
        Ok((stories, languages, out, translated, translated_editions))
    })
    .await?;
    let stories: Vec<_> = stories
        .iter()
        .zip(languages)
        .map(|(s, languages)| views::StoryView {
            languages,
            ..views::story(s)
        })
        .collect();
    let source_list = views::source_choices(&sources);
    crate::render_in(
        &st,
        edition.as_deref(),
        "home.html",
        context! {
            counts => counts.as_ref(),
            source_count => sources.len(),
            sources => source_list,
            stories,
            groups,
            translated,
            translated_editions,
            lang,
            source,
        },
    )
}

/// One story: its articles on a timeline with the outlets that carried each
/// copy, and related stories. A merged story's old id redirects for good.
pub(crate) async fn story(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    match read(&st, move |s| s.story(id)).await? {
        None => Err(WebError::NotFound(format!("no story {id}"))),
        Some(story) => match story.merged_into {
            Some(to) => Ok(Redirect::permanent(&format!("/stories/{to}")).into_response()),
            None => {
                let pages = st.pages.clone();
                let html = pages.get(format!("story:{id}"), story_page(st, id)).await?;
                Ok(Html(html).into_response())
            }
        },
    }
}

async fn story_page(st: AppState, id: i64) -> Result<String, WebError> {
    let overview = crate::overview(&st).await?;
    let found = read(&st, move |s| {
        let Some(story) = s.story(id)? else {
            return Ok(None);
        };
        Ok(Some((
            story,
            s.story_members(id, STORY_MEMBERS)?,
            s.related_stories(id, 8)?,
            s.event_stories(id)?,
        )))
    })
    .await?;
    let Some((story, members, related, event)) = found.filter(|(_, m, ..)| !m.is_empty()) else {
        return Err(WebError::NotFound(format!("no story {id}")));
    };
    let names = overview.names.as_ref();
    let timeline = views::timeline(&members, names);
    let shown = members.len() as i64;
    let outlets: std::collections::BTreeSet<String> = members
        .iter()
        .filter_map(|a| names.get(&a.source_id).cloned())
        .collect();
    let in_event: std::collections::BTreeSet<i64> = event.iter().map(|s| s.id).collect();
    let related: Vec<_> = related
        .iter()
        .filter(|(s, _)| !in_event.contains(&s.id))
        .map(|(s, _)| views::story(s))
        .collect();
    // The event's coverage: this story and its links in other languages.
    let languages = views::coverage(&event);
    let elsewhere: Vec<_> = event
        .iter()
        .filter(|s| s.id != id)
        .map(views::story)
        .collect();
    Ok(render(
        &st,
        "story.html",
        context! { story => views::story(&story), timeline, outlets, related, shown, languages, elsewhere },
    )?
    .0)
}

/// Every article, newest first, paged.
pub(crate) async fn latest(
    State(st): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Html<String>, WebError> {
    let lang = clean_lang(p.lang)?;
    list_page(
        st,
        None,
        None,
        lang,
        p.page.unwrap_or(1),
        String::new(),
        "/latest".into(),
    )
    .await
}

/// One source: health and its articles.
pub(crate) async fn source(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Query(p): Query<ListParams>,
) -> Result<Html<String>, WebError> {
    let lang = clean_lang(p.lang)?;
    list_page(
        st,
        None,
        Some(id),
        lang,
        p.page.unwrap_or(1),
        String::new(),
        format!("/sources/{id}"),
    )
    .await
}

async fn list_page(
    st: AppState,
    edition: Option<String>,
    source_id: Option<i64>,
    lang: Option<String>,
    page: usize,
    heading: String,
    path: String,
) -> Result<Html<String>, WebError> {
    let page = page.clamp(1, 100_000);
    let offset = (page - 1) * PAGE;
    let q = ArticleQuery {
        source: source_id,
        lang: lang.clone(),
        limit: PAGE + 1,
        offset,
        brief: true,
        ..ArticleQuery::default()
    };
    let overview = crate::overview(&st).await?;
    let sources = overview.sources.clone();
    let mut articles = read(&st, move |s| s.articles(&q)).await?;
    let source = match source_id {
        Some(id) => Some(
            sources
                .iter()
                .find(|s| s.id == id)
                .map(views::source)
                .ok_or_else(|| WebError::NotFound(format!("no source {id}")))?,
        ),
        None => None,
    };
    let more = articles.len() > PAGE;
    articles.truncate(PAGE);
    let articles: Vec<_> = articles
        .iter()
        .map(|a| views::summary(a, &overview.names))
        .collect();
    let lang_q = lang
        .as_deref()
        .filter(|_| edition.is_none())
        .map(|l| format!("lang={l}&"))
        .unwrap_or_default();
    let prev_url = (page > 1).then(|| format!("{path}?{lang_q}page={}", page - 1));
    let next_url = more.then(|| format!("{path}?{lang_q}page={}", page + 1));
    // A source's page is headed by its name; the latest list by the
    // catalog's word for it (the template's default).
    let heading = match &source {
        Some(s) => s.name.clone(),
        None => heading,
    };
    crate::render_in(
        &st,
        edition.as_deref(),
        "list.html",
        context! { heading, source, articles, offset, prev_url, next_url, lang },
    )
}

/// A processed article and its source; anything else is not found.
async fn shown_article(
    st: &AppState,
    id: i64,
) -> Result<(courant_model::Article, Option<courant_model::Source>), WebError> {
    let (a, src) = crate::article_with_source(st, id).await?;
    let a = a
        .filter(|a| a.processed.is_some() && a.status != courant_model::ArticleStatus::Hidden)
        .ok_or_else(|| WebError::NotFound(format!("no article {id}")))?;
    Ok((a, src))
}

/// One article.
pub(crate) async fn article(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let (a, src) = shown_article(&st, id).await?;
    let (story, carried, related) = match a.story {
        Some(story_id) => {
            let (me, own_source) = (a.id, a.source_id);
            let original = a.duplicate_of.unwrap_or(a.id);
            let names = crate::overview(&st).await?.names;
            read(&st, move |s| {
                let names = names.as_ref();
                let story = s.story(story_id)?;
                let members = s.story_members(story_id, RELATED_POOL)?;
                let related_stories = s.related_stories(story_id, 6)?;
                // Copies of the same text: the other outlets that carried it,
                // each once (a feed may repeat an item under a new id).
                let mut outlets = std::collections::HashSet::from([own_source]);
                let carried: Vec<_> = s
                    .copies_of(original, COPIES)?
                    .iter()
                    .filter(|m| m.id != me)
                    .filter(|m| outlets.insert(m.source_id))
                    .map(|m| views::summary(m, names))
                    .collect();
                // Related: the rest of the story, newest first, then the
                // leads of related stories.
                let mut related: Vec<_> = members
                    .iter()
                    .rev()
                    .filter(|m| m.id != me && m.id != original && m.duplicate_of.is_none())
                    .filter(|m| m.duplicate_of != Some(original))
                    .take(8)
                    .map(|m| views::summary(m, names))
                    .collect();
                for (other, _) in related_stories {
                    if related.len() >= 10 {
                        break;
                    }
                    if let Some(lead) = other.lead_article.map(|l| s.article(l)).transpose()? {
                        if let Some(lead) = lead.filter(|l| l.processed.is_some()) {
                            related.push(views::summary(&lead, names));
                        }
                    }
                }
                Ok((story.map(|x| views::story(&x)), carried, related))
            })
            .await?
        }
        None => (None, Vec::new(), Vec::new()),
    };
    let translations = crate::translations::published_of(&st, a.id).await?;
    render(
        &st,
        "article.html",
        context! { a => views::article(&a, src.as_ref()), story, carried, related, translations },
    )
}

/// All sources with their health.
pub(crate) async fn sources(State(st): State<AppState>) -> Result<Html<String>, WebError> {
    let sources = read(&st, |s| s.sources()).await?;
    let sources: Vec<_> = sources.iter().map(views::source).collect();
    render(&st, "sources.html", context! { sources })
}

/// The original text of an article with the checker's findings marked.
pub(crate) async fn original(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let (a, src) = shown_article(&st, id).await?;
    let p = a.processed.clone().unwrap_or_default();
    let original = if p.original_text.is_empty() {
        p.text.clone()
    } else {
        p.original_text.clone()
    };
    let marked = views::marked_original(&original, &p.findings);
    render(
        &st,
        "original.html",
        context! { a => views::article(&a, src.as_ref()), marked },
    )
}
