//! DeepL API v2: `POST /v2/translate`, `Authorization: DeepL-Auth-Key KEY`, a
//! JSON body with a `text` array, `source_lang`, `target_lang` and
//! `tag_handling: "html"`. A request body stays under 128 KiB and 50 texts.
//! 429 is a rate limit, 456 the quota, 413 a body too large.

use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;

use crate::backend::libre::strings;
use crate::http::Http;
use crate::{json_body, Error, Limits, Request, Translator};

/// The DeepL API (free or pro endpoint).
#[derive(Debug, Clone)]
pub struct DeepL {
    /// Base URL: `https://api-free.deepl.com` or `https://api.deepl.com`.
    pub url: String,
    /// The authentication key.
    pub api_key: String,
}

/// DeepL's target codes: English and Portuguese need a variant.
fn target(lang: &str) -> String {
    match lang {
        "en" => "EN-US".into(),
        "pt" => "PT-PT".into(),
        l => l.to_ascii_uppercase(),
    }
}

impl Translator for DeepL {
    fn kind(&self) -> &'static str {
        "deepl"
    }

    fn limits(&self) -> Limits {
        // 128 KiB of JSON; escapes and the other fields need room.
        Limits {
            max_chars: 60_000,
            max_items: 50,
        }
    }

    fn send<'a>(
        &'a self,
        http: &'a Http,
        req: &'a Request<'a>,
    ) -> BoxFuture<'a, Result<Vec<String>, Error>> {
        async move {
            let body = serde_json::json!({
                "text": req.texts,
                "source_lang": req.from.to_ascii_uppercase(),
                "target_lang": target(req.to),
                "tag_handling": "html",
            });
            let url = format!("{}/v2/translate", self.url.trim_end_matches('/'));
            let rb = http
                .client
                .post(url)
                .header("Authorization", format!("DeepL-Auth-Key {}", self.api_key));
            let v = http.json(json_body(rb, &body)).await?;
            let list = v
                .get("translations")
                .and_then(|t| t.as_array())
                .ok_or_else(|| http.garbage("no translations array"))?;
            let texts: Vec<serde_json::Value> = list
                .iter()
                .map(|t| t.get("text").cloned().unwrap_or_default())
                .collect();
            strings(http, &texts, req.texts.len())
        }
        .boxed()
    }
}
