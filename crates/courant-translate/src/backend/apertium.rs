//! Apertium APy: `POST /translate` with `langpair=en|es`, `q`, `format=html`
//! and `markUnknown=no`; `GET /listPairs`. APy takes one `q` per request, so
//! a batch travels as one HTML document with a numbered `<hr>` between
//! segments (a block tag: no sentence runs across it) and is cut apart again.

use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;

use crate::http::Http;
use crate::{Error, Limits, Request, Translator};

/// An APy server.
#[derive(Debug, Clone)]
pub struct Apertium {
    /// Base URL, such as `http://127.0.0.1:2737`.
    pub url: String,
}

fn sep(n: usize) -> String {
    format!("<hr data-courant-seg=\"{n}\">")
}

impl Translator for Apertium {
    fn kind(&self) -> &'static str {
        "apertium"
    }

    fn limits(&self) -> Limits {
        Limits {
            max_chars: 20_000,
            max_items: 100,
        }
    }

    fn send<'a>(
        &'a self,
        http: &'a Http,
        req: &'a Request<'a>,
    ) -> BoxFuture<'a, Result<Vec<String>, Error>> {
        async move {
            let mut doc = String::new();
            for (n, t) in req.texts.iter().enumerate() {
                doc.push_str(&sep(n));
                doc.push_str(t);
            }
            let pair = format!("{}|{}", req.from, req.to);
            let form = [
                ("langpair", pair.as_str()),
                ("q", doc.as_str()),
                ("format", "html"),
                ("markUnknown", "no"),
            ];
            let url = format!("{}/translate", self.url.trim_end_matches('/'));
            let v = http.json(http.client.post(url).form(&form)).await?;
            let text = v
                .pointer("/responseData/translatedText")
                .and_then(|t| t.as_str())
                .ok_or_else(|| http.garbage("no responseData.translatedText"))?;
            split(text, req.texts.len()).ok_or_else(|| Error::Partial {
                provider: http.provider.clone(),
                sent: req.texts.len(),
                got: text.matches("<hr data-courant-seg=").count(),
            })
        }
        .boxed()
    }
}

/// The segments of an answer, in order, when every separator came back.
fn split(text: &str, n: usize) -> Option<Vec<String>> {
    let mut out = Vec::with_capacity(n);
    let mut rest = text;
    // Anything before the first separator is whitespace the engine moved.
    let first = sep(0);
    rest = &rest[rest.find(&first)? + first.len()..];
    for k in 1..=n {
        if k == n {
            out.push(rest.trim().to_string());
            break;
        }
        let s = sep(k);
        let at = rest.find(&s)?;
        out.push(rest[..at].trim().to_string());
        rest = &rest[at + s.len()..];
    }
    (out.len() == n && !rest.contains("<hr data-courant-seg=")).then_some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn split_needs_every_separator_in_order() {
        let ok = "<hr data-courant-seg=\"0\">uno <hr data-courant-seg=\"1\"> dos";
        assert_eq!(super::split(ok, 2), Some(vec!["uno".into(), "dos".into()]));
        assert_eq!(super::split("<hr data-courant-seg=\"0\">uno", 2), None);
        assert_eq!(super::split("uno dos", 1), None);
    }
}
