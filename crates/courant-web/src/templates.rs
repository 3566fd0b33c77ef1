//! The templates: built in, each overridable by a file of the same name in
//! the operator's folder, and rendered with the site's words.

use axum::response::Html;
use minijinja::Environment;

use crate::{i18n, AppState, WebConfig, WebError};

const BUILTIN: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("list.html", include_str!("../templates/list.html")),
    ("article.html", include_str!("../templates/article.html")),
    (
        "translation.html",
        include_str!("../templates/translation.html"),
    ),
    ("story.html", include_str!("../templates/story.html")),
    ("sources.html", include_str!("../templates/sources.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("original.html", include_str!("../templates/original.html")),
    ("search.html", include_str!("../templates/search.html")),
    ("theme.css", include_str!("../templates/theme.css")),
];

pub(crate) fn environment(cfg: &WebConfig) -> Environment<'static> {
    let mut env = Environment::new();
    env.add_filter("fill", i18n::fill);
    // minijinja's HTML escaping also writes '/' as "&#x2f;", which no context
    // needs; escape what HTML needs and leave links readable.
    env.set_formatter(|out, state, value| {
        if state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() {
            if let Some(s) = value.as_str() {
                return out.write_str(&courant_text::escape_html(s)).map_err(|_| {
                    minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "write failed")
                });
            }
        }
        minijinja::escape_formatter(out, state, value)
    });
    let dir = cfg.templates_dir.clone();
    env.set_loader(move |name| {
        if let Some(dir) = &dir {
            // Only plain file names: an override folder is not a path to walk out of.
            if !name.contains(['/', '\\']) && !name.starts_with('.') {
                match std::fs::read_to_string(dir.join(name)) {
                    Ok(s) => return Ok(Some(s)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("template {name}: {e}"),
                        ))
                    }
                }
            }
        }
        Ok(BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s.to_string()))
    });
    env
}

pub(crate) fn render(
    state: &AppState,
    name: &str,
    ctx: minijinja::Value,
) -> Result<Html<String>, WebError> {
    render_in(state, None, name, ctx)
}

/// Renders a page of an edition (`Some("de")`: the German pages, in German
/// where a catalog has the words) or of the whole site (`None`: in the
/// site's own language).
pub(crate) fn render_in(
    state: &AppState,
    edition: Option<&str>,
    name: &str,
    ctx: minijinja::Value,
) -> Result<Html<String>, WebError> {
    let ui = edition.unwrap_or(&state.cfg.site_lang);
    let t = state.catalogs.get(ui);
    let lang = if state.catalogs.has(ui) {
        ui
    } else {
        state.cfg.site_lang.as_str()
    };
    let site = minijinja::context! {
        title => state.cfg.site_title,
        lang,
        search => state.cfg.search.is_some(),
    };
    // Links within an edition stay in it: `{{ prefix }}/latest`.
    let prefix = edition.map(|code| format!("/{code}")).unwrap_or_default();
    let edition = edition.map(|code| minijinja::context! { code });
    let tmpl = state.env.get_template(name)?;
    Ok(Html(tmpl.render(
        minijinja::context! { site, t, edition, prefix, ..ctx },
    )?))
}
