//! The demo's translation engine: Debian's `apertium-apy`, started on a free
//! loopback port with the installed language pairs, stopped with the demo.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::config::TranslateSection;

const MODES: &str = "/usr/share/apertium/modes";

/// A running APy; killed when dropped.
pub struct Apy {
    child: Child,
    /// Its base URL.
    pub url: String,
    /// Installed pairs, as `en-es`.
    pub pairs: Vec<String>,
}

impl Drop for Apy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// ISO 639-3 codes APy lists, as the two-letter codes courant uses.
fn two(code: &str) -> Option<&'static str> {
    Some(match code {
        "eng" => "en",
        "spa" => "es",
        "cat" => "ca",
        "fra" => "fr",
        "por" => "pt",
        "ita" => "it",
        "deu" => "de",
        "glg" => "gl",
        "oci" => "oc",
        "eus" => "eu",
        _ => return None,
    })
}

impl Apy {
    /// Starts APy, or says why it cannot.
    pub async fn start() -> Result<Apy, String> {
        if !std::path::Path::new(MODES).is_dir() {
            return Err(format!("no Apertium language pairs in {MODES} (apt-get install apertium-apy apertium-eng-spa apertium-eng-cat)"));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let child = Command::new("apertium-apy")
            .args(["-p", &port.to_string(), MODES])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("apertium-apy cannot start ({e}); apt-get install apertium-apy apertium-eng-spa apertium-eng-cat"))?;
        let url = format!("http://127.0.0.1:{port}");
        let mut apy = Apy {
            child,
            url,
            pairs: Vec::new(),
        };
        let client = reqwest::Client::new();
        for _ in 0..60 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if let Ok(Some(status)) = apy.child.try_wait() {
                return Err(format!("apertium-apy exited at start ({status})"));
            }
            let Ok(resp) = client.get(format!("{}/listPairs", apy.url)).send().await else {
                continue;
            };
            let Ok(body) = resp.bytes().await else {
                continue;
            };
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
                continue;
            };
            let list = v["responseData"].as_array().cloned().unwrap_or_default();
            for p in list {
                let (Some(f), Some(t)) = (
                    p["sourceLanguage"].as_str().and_then(two),
                    p["targetLanguage"].as_str().and_then(two),
                ) else {
                    continue;
                };
                let pair = format!("{f}-{t}");
                if !apy.pairs.contains(&pair) {
                    apy.pairs.push(pair);
                }
            }
            return Ok(apy);
        }
        Err("apertium-apy did not answer within 30 s".into())
    }

    /// The demo's translation config: the top English stories into each
    /// target APy offers.
    pub fn demo_section(&self, targets: &[&str]) -> TranslateSection {
        let mut p = courant_translate::ProviderConfig::new(
            "apertium",
            courant_translate::Kind::Apertium,
            &self.url,
        );
        p.pairs = self.pairs.clone();
        p.requests_per_second = 0.0;
        let targets = targets
            .iter()
            .filter(|t| self.pairs.contains(&format!("en-{t}")))
            .map(|t| courant_jobs::translate::Target {
                lang: t.to_string(),
                from: vec!["en".into()],
                top_stories: 24,
                sources: Vec::new(),
                provider: None,
                glossary: Default::default(),
            })
            .collect();
        TranslateSection {
            providers: vec![p],
            targets,
            keep: Vec::new(),
            concurrency: None,
        }
    }

    /// The process id of the APy server (its pipelines are its children).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The benchmark's config: every English original of `sources` into Spanish.
    pub fn bench_section(&self, sources: Vec<String>) -> TranslateSection {
        let mut s = self.demo_section(&["es"]);
        for t in &mut s.targets {
            t.top_stories = 0;
            t.sources = sources.clone();
        }
        s
    }
}
