//! The HTTP exchange every backend shares: a bounded read of the answer, and
//! one mapping of statuses to errors (429 with its Retry-After, 456 quota,
//! 4xx refused, 5xx engine error).

use std::time::Duration;

use futures_util::StreamExt as _;

use crate::Error;

/// Answers larger than this are refused: a translation is about as long as its source.
pub const MAX_ANSWER: usize = 8 << 20;

/// A client bound to one provider's name, for its errors.
#[derive(Debug, Clone)]
pub struct Http {
    /// The client (timeouts are set by the engine layer).
    pub client: reqwest::Client,
    /// Provider name, for errors.
    pub provider: String,
}

impl Http {
    /// Sends a request and returns the answer's JSON, or the error its status means.
    pub async fn json(&self, req: reqwest::RequestBuilder) -> Result<serde_json::Value, Error> {
        let resp = req.send().await.map_err(|e| self.unreachable(e))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = self.read(resp).await?;
        let value: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
        if (200..300).contains(&status) {
            return value.ok_or_else(|| Error::Garbage {
                provider: self.provider.clone(),
                detail: format!("not JSON: {:?}", preview(&body)),
            });
        }
        let message = value
            .as_ref()
            .and_then(error_message)
            .unwrap_or_else(|| preview(&body));
        let provider = self.provider.clone();
        Err(match status {
            429 => Error::RateLimited {
                provider,
                retry_after,
            },
            456 => Error::Quota { provider, message },
            500..=599 => Error::Server {
                provider,
                status,
                message,
            },
            _ => Error::Rejected {
                provider,
                status,
                message,
            },
        })
    }

    async fn read(&self, resp: reqwest::Response) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.unreachable(e))?;
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err(Error::Garbage {
                    provider: self.provider.clone(),
                    detail: format!("answer larger than {MAX_ANSWER} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn unreachable(&self, e: reqwest::Error) -> Error {
        Error::Unreachable {
            provider: self.provider.clone(),
            source: e,
        }
    }

    /// An answer that does not have the shape the provider documents.
    pub fn garbage(&self, detail: impl Into<String>) -> Error {
        Error::Garbage {
            provider: self.provider.clone(),
            detail: detail.into(),
        }
    }
}

/// The message of an error answer, in any of the shapes the providers use:
/// `{"error": "..."}`, `{"error": {"message": "..."}}`, `{"message": "..."}`,
/// APy's `{"explanation": "..."}`.
fn error_message(v: &serde_json::Value) -> Option<String> {
    let s = v
        .get("error")
        .and_then(|e| {
            e.as_str()
                .or_else(|| e.get("message").and_then(|m| m.as_str()))
        })
        .or_else(|| v.get("message").and_then(|m| m.as_str()))
        .or_else(|| v.get("explanation").and_then(|m| m.as_str()))?;
    Some(s.chars().take(300).collect())
}

fn preview(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned()
}

/// `Retry-After` as seconds or as an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    if let Ok(secs) = v.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v.trim()).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}
