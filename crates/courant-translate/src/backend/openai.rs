//! OpenAI-compatible chat completions (llama.cpp's server, Ollama, vLLM,
//! hosted APIs): `POST {url}/v1/chat/completions`, one segment per request,
//! a fixed instruction, temperature 0. Errors are `{"error": {"message"}}`.

use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;

use crate::http::Http;
use crate::{json_body, Error, Limits, Request, Translator};

/// A chat-completions endpoint.
#[derive(Debug, Clone)]
pub struct OpenAi {
    /// Base URL, without `/v1`.
    pub url: String,
    /// Bearer key, when the server wants one.
    pub api_key: Option<String>,
    /// Model name.
    pub model: String,
}

/// The instruction: translate, keep the markup and the placeholders, say nothing else.
pub fn instruction(from: &str, to: &str) -> String {
    format!(
        "You translate news. Translate the user's message from the language with ISO code \
         '{from}' into the language with ISO code '{to}'. The message is an HTML fragment: \
         keep every tag and attribute exactly as it is, keep every placeholder such as ⟦0⟧ \
         unchanged, and never change numbers or names. Answer with the translation only."
    )
}

impl Translator for OpenAi {
    fn kind(&self) -> &'static str {
        "openai"
    }

    fn limits(&self) -> Limits {
        Limits {
            max_chars: 4_000,
            max_items: 1,
        }
    }

    fn send<'a>(
        &'a self,
        http: &'a Http,
        req: &'a Request<'a>,
    ) -> BoxFuture<'a, Result<Vec<String>, Error>> {
        async move {
            let mut out = Vec::with_capacity(req.texts.len());
            for text in req.texts {
                let body = serde_json::json!({
                    "model": self.model,
                    "temperature": 0,
                    "messages": [
                        {"role": "system", "content": instruction(req.from, req.to)},
                        {"role": "user", "content": text},
                    ],
                });
                let url = format!("{}/v1/chat/completions", self.url.trim_end_matches('/'));
                let mut rb = http.client.post(url);
                if let Some(k) = &self.api_key {
                    rb = rb.bearer_auth(k);
                }
                let v = http.json(json_body(rb, &body)).await?;
                let content = v
                    .pointer("/choices/0/message/content")
                    .and_then(|c| c.as_str())
                    .ok_or_else(|| http.garbage("no choices[0].message.content"))?;
                out.push(unfence(content));
            }
            Ok(out)
        }
        .boxed()
    }
}

/// Chat models sometimes wrap an answer in a code fence.
fn unfence(s: &str) -> String {
    let t = s.trim();
    match t.strip_prefix("```") {
        Some(rest) => {
            let body = rest.split_once('\n').map_or("", |(_, b)| b);
            body.trim_end().trim_end_matches("```").trim().to_string()
        }
        None => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fences_are_removed() {
        assert_eq!(super::unfence("```html\n<p>Hola</p>\n```"), "<p>Hola</p>");
        assert_eq!(super::unfence(" Hola "), "Hola");
    }
}
