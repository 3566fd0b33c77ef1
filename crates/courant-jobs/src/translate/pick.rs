//! Which articles a pass translates: the top stories an edition's readers
//! would miss, each from its original, and every article of chosen sources.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use courant_model::{Article, TranslationStatus};
use courant_store::{ArticleQuery, StoryQuery};

use super::{Target, Translate};
use crate::{blocking, Context};

/// Articles to translate into `target` now, each with its provider.
pub(super) async fn candidates(
    ctx: &Context,
    tr: &Translate,
    target: &Target,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<(Article, usize, i64)>> {
    let (t, top) = (target.clone(), target.top_stories);
    let picked: Vec<(Article, i64)> = blocking(&ctx.store, move |s| {
        let mut out: Vec<Article> = Vec::new();
        let mut stories = s.stories(&StoryQuery {
            limit: (top * 5).clamp(50, 500),
            ..StoryQuery::default()
        })?;
        courant_store::policy::rank_stories(&mut stories, now);
        // The top stories the edition's readers would miss: the first `top`
        // of the ranking that have no article in the edition's language and
        // an original in a language to translate from.
        let mut taken = 0;
        for story in stories {
            if taken >= top {
                break;
            }
            let members = s.story_members(story.id, 100)?;
            // Readers of the edition already have this story.
            if members.iter().any(|a| a.lang() == Some(t.lang.as_str())) {
                continue;
            }
            // The original: the story's lead if it is one, else its oldest original.
            let original = members
                .iter()
                .filter(|a| a.duplicate_of.is_none() && from_ok(&t, a))
                .min_by_key(|a| (Some(a.id) != story.lead_article, a.published()));
            if let Some(a) = original.and_then(|a| s.article(a.id).transpose()) {
                out.push(a?);
                taken += 1;
            }
        }
        let sources = s.sources()?;
        for name in &t.sources {
            let Some(src) = sources
                .iter()
                .find(|x| &x.feed_url == name || &x.name == name)
            else {
                continue;
            };
            let q = ArticleQuery {
                source: Some(src.id),
                limit: 500,
                ..ArticleQuery::default()
            };
            out.extend(
                s.articles(&q)?
                    .into_iter()
                    .filter(|a| from_ok(&t, a) && a.duplicate_of.is_none()),
            );
        }
        let mut seen = HashSet::new();
        out.retain(|a| seen.insert(a.id));
        // What was done, or failed and waits for its retry, is left alone.
        let mut todo = Vec::new();
        for a in out {
            match s.translation(a.id, &t.lang)? {
                None => todo.push((a, 0)),
                Some(x)
                    if x.status == TranslationStatus::Failed
                        && x.next_attempt.is_none_or(|n| n <= now) =>
                {
                    todo.push((a, x.attempts))
                }
                Some(_) => {}
            }
        }
        Ok(todo)
    })
    .await?;
    Ok(picked
        .into_iter()
        .filter_map(|(a, attempts)| {
            let from = a.lang()?.to_string();
            let p = tr.providers.iter().position(|p| {
                target.provider.as_ref().is_none_or(|n| n == &p.config.name)
                    && p.config.offers(&from, &target.lang)
            })?;
            Some((a, p, attempts))
        })
        .collect())
}

fn from_ok(t: &Target, a: &Article) -> bool {
    a.processed.is_some()
        && a.lang().is_some_and(|l| {
            l != t.lang && l != "und" && (t.from.is_empty() || t.from.iter().any(|f| f == l))
        })
}
