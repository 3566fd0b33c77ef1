//! LibreTranslate: `POST /translate` with a JSON body (`q` as an array,
//! `source`, `target`, `format: "html"`, `api_key`); the answer's
//! `translatedText` is an array in the same order. Errors are
//! `{"error": "..."}` with 400, 403, 429 or 500.

use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;

use crate::http::Http;
use crate::{json_body, Error, Limits, Request, Translator};

/// A LibreTranslate server.
#[derive(Debug, Clone)]
pub struct Libre {
    /// Base URL, such as `http://127.0.0.1:5000`.
    pub url: String,
    /// API key, when the server wants one.
    pub api_key: Option<String>,
}

impl Translator for Libre {
    fn kind(&self) -> &'static str {
        "libretranslate"
    }

    fn limits(&self) -> Limits {
        Limits {
            max_chars: 5_000,
            max_items: 50,
        }
    }

    fn send<'a>(
        &'a self,
        http: &'a Http,
        req: &'a Request<'a>,
    ) -> BoxFuture<'a, Result<Vec<String>, Error>> {
        async move {
            let mut body = serde_json::json!({
                "q": req.texts,
                "source": req.from,
                "target": req.to,
                "format": "html",
            });
            if let Some(k) = &self.api_key {
                body["api_key"] = k.clone().into();
            }
            let url = format!("{}/translate", self.url.trim_end_matches('/'));
            let v = http.json(json_body(http.client.post(url), &body)).await?;
            let list = v
                .get("translatedText")
                .and_then(|t| t.as_array())
                .ok_or_else(|| http.garbage("no translatedText array"))?;
            strings(http, list, req.texts.len())
        }
        .boxed()
    }
}

/// An array of strings, exactly `n` long.
pub(crate) fn strings(
    http: &Http,
    list: &[serde_json::Value],
    n: usize,
) -> Result<Vec<String>, Error> {
    if list.len() != n {
        return Err(Error::Partial {
            provider: http.provider.clone(),
            sent: n,
            got: list.len(),
        });
    }
    list.iter()
        .map(|t| {
            t.as_str()
                .map(str::to_string)
                .ok_or_else(|| http.garbage("a translation is not a string"))
        })
        .collect()
}
