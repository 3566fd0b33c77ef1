//! `courant.toml`: parsed and validated without I/O (phase one); the
//! runtime objects are built from it in `main` (phase two).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context as _};
use serde::Deserialize;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// SQLite database file (when `[store] url` names no server).
    pub database: PathBuf,
    /// The store beyond one machine.
    pub store: StoreSection,
    /// Address the web server listens on.
    pub listen: String,
    /// OPML file whose feeds are added as sources at start.
    pub opml: Option<PathBuf>,
    /// The site's own settings.
    pub site: SiteConfig,
    /// HTTP fetching.
    pub fetch: FetchSection,
    /// Polling and processing.
    pub poll: PollSection,
    /// Text checking.
    pub clean: CleanSection,
    /// The JSON API's write operations.
    pub api: ApiSection,
    /// Full-text search.
    pub search: SearchSection,
    /// Feeds to follow.
    pub sources: Vec<SourceEntry>,
    /// Machine translation into editions.
    pub translate: TranslateSection,
    /// The multilingual embedding model.
    pub embed: EmbedSection,
    /// The web server's limits.
    pub server: ServerSection,
    /// WebSub subscriptions (opt-in).
    pub websub: WebSubSection,
}

/// `[websub]`: subscribe to the hubs feeds name, for an instance the hubs
/// can reach at `[site] base_url` (its `/websub/{source}` callback).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSubSection {
    /// Off by default: a hub must be able to reach this instance.
    pub enabled: bool,
}

/// `[server]`: how many clients the web server holds and how long it waits
/// on them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Open connections at most; 0 (the default) takes three quarters of
    /// the process's file descriptors, leaving the rest to the jobs.
    pub max_connections: usize,
    /// Seconds a client has to send a request's head, and that an idle
    /// keep-alive connection stays open; 0 means the default, 10.
    pub header_timeout_secs: u64,
}

impl ServerSection {
    /// The limits for a process allowed `nofile` descriptors.
    pub fn limits(&self, nofile: u64) -> courant_web::ServerLimits {
        let mut l = courant_web::ServerLimits::for_descriptors(nofile);
        if self.max_connections > 0 {
            l.max_connections = self.max_connections;
        }
        if self.header_timeout_secs > 0 {
            l.header_timeout = Duration::from_secs(self.header_timeout_secs);
        }
        l
    }
}

/// `[embed]`: the sentence embedding model that links stories across
/// languages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbedSection {
    /// The model folder `scripts/fetch-model.sh` writes; empty turns
    /// embeddings off. Default `models/usem3`.
    pub model: PathBuf,
}

impl Default for EmbedSection {
    fn default() -> Self {
        EmbedSection {
            model: PathBuf::from("models/usem3"),
        }
    }
}

/// `[translate]`: providers (`[[translate.providers]]`, in order of
/// preference) and editions (`[[translate.targets]]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TranslateSection {
    /// Engines to translate with.
    pub providers: Vec<courant_translate::ProviderConfig>,
    /// Editions to translate into.
    pub targets: Vec<courant_jobs::translate::Target>,
    /// Names never translated, besides those found in each text.
    pub keep: Vec<String>,
    /// Articles translated at once (default 2).
    pub concurrency: Option<usize>,
}

impl TranslateSection {
    /// Names are unique, URLs are http(s), targets name known providers and real language codes.
    fn validate(&self) -> anyhow::Result<()> {
        let mut names = std::collections::HashSet::new();
        for p in &self.providers {
            if p.name.trim().is_empty() || !names.insert(p.name.as_str()) {
                bail!(
                    "translate.providers: each provider needs a name of its own ({:?})",
                    p.name
                );
            }
            check_feed_url(&p.url).with_context(|| format!("translate provider {:?}", p.name))?;
            if !(p.requests_per_second >= 0.0 && p.requests_per_second.is_finite()) {
                bail!(
                    "translate provider {:?}: requests_per_second must be 0 (no limit) or more",
                    p.name
                );
            }
        }
        for t in &self.targets {
            let code =
                |c: &str| (2..=3).contains(&c.len()) && c.chars().all(|x| x.is_ascii_lowercase());
            if !code(&t.lang) || !t.from.iter().all(|f| code(f)) {
                bail!(
                    "translate.targets: {:?} is not a language code like \"es\"",
                    t.lang
                );
            }
            if let Some(p) = &t.provider {
                if !names.contains(p.as_str()) {
                    bail!("translate target {:?}: no provider named {p:?}", t.lang);
                }
            }
        }
        if !self.targets.is_empty() && self.providers.is_empty() {
            bail!("translate.targets need at least one [[translate.providers]]");
        }
        Ok(())
    }
}

/// `[api]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiSection {
    /// Bearer token for add/remove source and hide article; the environment
    /// variable `COURANT_API_TOKEN` overrides it. No token: writes are off.
    pub token: Option<String>,
    /// Bearer token `/metrics` asks for (`COURANT_METRICS_TOKEN` overrides
    /// it); without one `/metrics` is public.
    pub metrics_token: Option<String>,
    /// Wrong tokens one address may send in a minute before its writes are
    /// refused (429) for the rest of it; 0 turns this off. Default 5.
    pub max_wrong_tokens: u32,
}

impl Default for ApiSection {
    fn default() -> Self {
        ApiSection {
            token: None,
            metrics_token: None,
            max_wrong_tokens: 5,
        }
    }
}

/// `[store]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// `postgres://user@host:port/db`: PostgreSQL, shared by every process
    /// of an installation; a path: a SQLite file (as `database`).
    pub url: Option<String>,
}

/// `[search]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchSection {
    /// Serve search (and keep its index in step with the database).
    pub enabled: bool,
    /// The index folder; default: the database path with `.search` added.
    /// Only a cache: deleting it makes `serve` rebuild it from the database.
    pub dir: Option<PathBuf>,
}

impl Default for SearchSection {
    fn default() -> Self {
        SearchSection {
            enabled: true,
            dir: None,
        }
    }
}

impl SearchSection {
    /// Where the index of `database` lives.
    pub fn dir_for(&self, database: &Path) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| {
            let mut p = database.as_os_str().to_owned();
            p.push(".search");
            PathBuf::from(p)
        })
    }
}

/// `[clean]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CleanSection {
    /// Folder of plain word lists (Debian: wngerman, wamerican, wbritish, wfrench).
    pub dictionaries: PathBuf,
    /// Folder of hunspell dictionaries (Debian: hunspell-de-de, hunspell-en-us, hunspell-fr).
    pub hunspell: PathBuf,
}

impl Default for CleanSection {
    fn default() -> Self {
        CleanSection {
            dictionaries: PathBuf::from("/usr/share/dict"),
            hunspell: PathBuf::from("/usr/share/hunspell"),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: PathBuf::from("courant.db"),
            store: StoreSection::default(),
            listen: "127.0.0.1:8080".into(),
            opml: None,
            site: SiteConfig::default(),
            fetch: FetchSection::default(),
            poll: PollSection::default(),
            clean: CleanSection::default(),
            api: ApiSection::default(),
            search: SearchSection::default(),
            sources: Vec::new(),
            translate: TranslateSection::default(),
            embed: EmbedSection::default(),
            server: ServerSection::default(),
            websub: WebSubSection::default(),
        }
    }
}

/// `[site]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteConfig {
    /// Name shown in the header.
    pub title: String,
    /// Language of the site's own words.
    pub lang: String,
    /// Folder of templates that override the built-in ones.
    pub templates: Option<PathBuf>,
    /// Public address of the site, for absolute links in feeds and sitemaps.
    /// Without it they are served only to a loopback Host.
    pub base_url: Option<String>,
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            title: "courant".into(),
            lang: "en".into(),
            templates: None,
            base_url: None,
        }
    }
}

/// `[fetch]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchSection {
    /// Whole-request deadline in seconds.
    pub timeout_secs: u64,
    /// Connect deadline in seconds.
    pub connect_timeout_secs: u64,
    /// Largest body accepted, after decompression.
    pub max_body_bytes: usize,
    /// Redirect hops followed.
    pub max_redirects: usize,
    /// Fetch from private, loopback and link-local addresses. Off in production.
    pub allow_private: bool,
    /// User-Agent header; the default names courant.
    pub user_agent: Option<String>,
    /// A URL or address where publishers can reach the operator; it goes
    /// into the default User-Agent: `courant/VERSION (+CONTACT)`.
    pub contact: Option<String>,
    /// Requests in flight to one host at most, feeds and pages together.
    pub per_host: usize,
    /// Least time between the starts of two requests to one host, in ms.
    pub host_interval_ms: u64,
    /// Longest Retry-After obeyed, in seconds; longer ones are cut to it.
    pub max_retry_after_secs: u64,
    /// Hosts treated otherwise: `[[fetch.hosts]] host = "...", per_host = 1,
    /// interval_ms = 5000`.
    pub hosts: Vec<HostSection>,
}

/// `[[fetch.hosts]]`: one host's politeness, instead of the defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSection {
    /// Host name, as in the URLs.
    pub host: String,
    /// Requests in flight at most.
    pub per_host: usize,
    /// Least time between two requests' starts, in ms.
    pub interval_ms: u64,
}

impl Default for FetchSection {
    fn default() -> Self {
        let d = courant_fetch::FetchConfig::default();
        FetchSection {
            timeout_secs: d.timeout.as_secs(),
            connect_timeout_secs: d.connect_timeout.as_secs(),
            max_body_bytes: d.max_body_bytes,
            max_redirects: d.max_redirects,
            allow_private: false,
            user_agent: None,
            contact: None,
            per_host: d.host.per_host,
            host_interval_ms: d.host.interval.as_millis() as u64,
            max_retry_after_secs: d.max_retry_after.as_secs(),
            hosts: Vec::new(),
        }
    }
}

/// `[poll]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PollSection {
    /// Seconds between polls of a healthy source whose entries show no
    /// rhythm; otherwise the median gap between its entries decides.
    pub interval_secs: u64,
    /// Shortest time between two polls of a source, in seconds.
    pub min_interval_secs: u64,
    /// Longest time between two polls a feed's rhythm gives, in seconds
    /// (its ttl, Cache-Control or sy:updatePeriod may ask for more, up to a day).
    pub max_interval_secs: u64,
    /// Longest backoff in seconds after repeated failures.
    pub max_backoff_secs: u64,
    /// Sources polled at once.
    pub concurrency: usize,
    /// Article pages fetched at once.
    pub article_concurrency: usize,
    /// Attempts for an article page before settling for the feed text.
    pub max_attempts: i64,
    /// Seconds a claimed article stays reserved for its worker; after a crash,
    /// its articles are taken up again once this passes.
    pub lease_secs: u64,
    /// Seconds between looks at a shown article's page for changes its feed
    /// item does not announce.
    pub page_recheck_secs: u64,
    /// Seconds after first sight during which pages are looked at again.
    pub page_recheck_window_secs: u64,
}

impl Default for PollSection {
    fn default() -> Self {
        let d = courant_jobs::JobSettings::default();
        PollSection {
            interval_secs: d.poll_interval.as_secs(),
            min_interval_secs: d.min_poll_interval.as_secs(),
            max_interval_secs: d.max_poll_interval.as_secs(),
            max_backoff_secs: d.max_backoff.as_secs(),
            concurrency: d.poll_concurrency,
            article_concurrency: d.article_concurrency,
            max_attempts: d.max_attempts,
            lease_secs: d.lease.as_secs(),
            page_recheck_secs: d.page_recheck.as_secs(),
            page_recheck_window_secs: d.page_recheck_window.as_secs(),
        }
    }
}

/// One `[[sources]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceEntry {
    /// Feed URL.
    pub url: String,
    /// Display name; the feed title when absent.
    pub name: Option<String>,
    /// Language hint.
    pub lang: Option<String>,
    /// Attribution line required by the source's license.
    pub attribution: Option<String>,
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut cfg: Config =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        // Relative paths in the file are relative to the file.
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            Some(&mut cfg.database),
            cfg.opml.as_mut(),
            cfg.site.templates.as_mut(),
            cfg.search.dir.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// The store to open: `[store] url`, else the `database` file.
    pub fn store_target(&self) -> String {
        self.store
            .url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| self.database.display().to_string())
    }

    /// Points the config at another store (`--db`): a PostgreSQL URL or a
    /// SQLite file.
    pub fn set_store(&mut self, target: &str) {
        if courant_store::is_postgres(target) {
            self.store.url = Some(target.to_string());
        } else {
            self.store.url = None;
            self.database = PathBuf::from(target);
        }
    }

    /// This process's search index: `[search] dir`, else beside the SQLite
    /// file, else (PostgreSQL) `courant.search` in the working folder. Each
    /// web node keeps its own.
    pub fn search_dir(&self) -> PathBuf {
        if courant_store::is_postgres(&self.store_target()) {
            self.search
                .dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("courant.search"))
        } else {
            self.search.dir_for(&self.database)
        }
    }

    /// Checks values that parse but make no sense.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.listen_addr()?;
        if self.poll.interval_secs < 10 {
            bail!("poll.interval_secs must be at least 10");
        }
        if self.poll.min_interval_secs < 10
            || self.poll.max_interval_secs < self.poll.min_interval_secs
        {
            bail!("poll.min_interval_secs must be at least 10, and poll.max_interval_secs at least that");
        }
        if self.websub.enabled && self.site.base_url.is_none() {
            bail!("websub.enabled needs site.base_url: the address hubs deliver to");
        }
        if self.poll.max_backoff_secs < self.poll.interval_secs {
            bail!("poll.max_backoff_secs must be at least poll.interval_secs");
        }
        if self.fetch.max_body_bytes < 1024 || self.fetch.max_body_bytes > 256 * 1024 * 1024 {
            bail!("fetch.max_body_bytes must be between 1 KiB and 256 MiB");
        }
        if let Some(c) = &self.fetch.contact {
            if c.trim().is_empty() || c.len() > 200 || c.chars().any(|ch| ch.is_control()) {
                bail!("fetch.contact must be a short URL or address");
            }
        }
        if self.fetch.per_host == 0 || self.fetch.hosts.iter().any(|h| h.per_host == 0) {
            bail!("fetch.per_host must be at least 1");
        }
        if self.fetch.timeout_secs == 0 || self.fetch.connect_timeout_secs == 0 {
            bail!("fetch timeouts must be positive");
        }
        if self.poll.lease_secs < self.fetch.timeout_secs + 1 {
            bail!("poll.lease_secs must exceed fetch.timeout_secs, or a slow page could be processed twice");
        }
        if self.poll.concurrency == 0 || self.poll.article_concurrency == 0 {
            bail!("poll concurrency must be positive");
        }
        for s in &self.sources {
            check_feed_url(&s.url)?;
        }
        self.translate.validate()
    }

    /// `listen` as a socket address.
    pub fn listen_addr(&self) -> anyhow::Result<SocketAddr> {
        self.listen.parse().with_context(|| {
            format!(
                "listen = {:?} is not an address like 127.0.0.1:8080",
                self.listen
            )
        })
    }

    /// The fetcher's settings.
    pub fn fetch_config(&self) -> courant_fetch::FetchConfig {
        let mut f = courant_fetch::FetchConfig {
            timeout: Duration::from_secs(self.fetch.timeout_secs),
            connect_timeout: Duration::from_secs(self.fetch.connect_timeout_secs),
            max_body_bytes: self.fetch.max_body_bytes,
            max_redirects: self.fetch.max_redirects,
            allow_private: self.fetch.allow_private,
            host: courant_fetch::HostPolicy {
                per_host: self.fetch.per_host,
                interval: Duration::from_millis(self.fetch.host_interval_ms),
            },
            hosts: self
                .fetch
                .hosts
                .iter()
                .map(|h| {
                    let policy = courant_fetch::HostPolicy {
                        per_host: h.per_host,
                        interval: Duration::from_millis(h.interval_ms),
                    };
                    (h.host.to_ascii_lowercase(), policy)
                })
                .collect(),
            max_retry_after: Duration::from_secs(self.fetch.max_retry_after_secs),
            ..courant_fetch::FetchConfig::default()
        };
        if let Some(ua) = &self.fetch.user_agent {
            f.user_agent = ua.clone();
        } else if let Some(contact) = self.fetch.contact.as_deref().map(str::trim) {
            f.user_agent = format!("courant/{} (+{contact})", env!("CARGO_PKG_VERSION"));
        }
        f
    }

    /// The jobs' settings.
    pub fn job_settings(&self) -> courant_jobs::JobSettings {
        courant_jobs::JobSettings {
            poll_interval: Duration::from_secs(self.poll.interval_secs),
            min_poll_interval: Duration::from_secs(self.poll.min_interval_secs),
            max_poll_interval: Duration::from_secs(self.poll.max_interval_secs),
            max_backoff: Duration::from_secs(self.poll.max_backoff_secs),
            poll_concurrency: self.poll.concurrency,
            article_concurrency: self.poll.article_concurrency,
            max_attempts: self.poll.max_attempts,
            lease: Duration::from_secs(self.poll.lease_secs),
            page_recheck: Duration::from_secs(self.poll.page_recheck_secs.max(60)),
            page_recheck_window: Duration::from_secs(self.poll.page_recheck_window_secs),
            websub_callback: self
                .site
                .base_url
                .as_deref()
                .filter(|_| self.websub.enabled)
                .map(|b| format!("{}/websub", b.trim_end_matches('/'))),
            host_gap: Duration::from_millis(self.fetch.host_interval_ms),
            ..courant_jobs::JobSettings::default()
        }
    }
}

/// Feed URLs must be absolute http(s) URLs.
pub fn check_feed_url(url: &str) -> anyhow::Result<()> {
    let u = url::Url::parse(url.trim()).with_context(|| format!("{url:?} is not a URL"))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        bail!("{url:?}: feeds must be http or https URLs");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../courant.example.toml");
        let cfg = Config::load(&path).unwrap();
        assert!(!cfg.sources.is_empty());
        assert!(!cfg.fetch.allow_private);
        let fetch = cfg.fetch_config();
        assert_eq!(
            (fetch.host.per_host, fetch.host.interval.as_millis()),
            (2, 1000)
        );
        let mut with_contact = cfg.clone();
        with_contact.fetch.contact = Some("https://news.example.org/about".into());
        assert!(with_contact
            .fetch_config()
            .user_agent
            .ends_with("(+https://news.example.org/about)"));
        assert_eq!(
            cfg.translate.providers[0].kind,
            courant_translate::Kind::Apertium
        );
        assert_eq!(cfg.translate.targets.len(), 2);
        assert_eq!(
            cfg.translate.targets[0].glossary["White House"],
            "Casa Blanca"
        );
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        for (toml, want) in [
            ("listen = \"nowhere\"", "listen"),
            ("[poll]\ninterval_secs = 1", "interval_secs"),
            (
                "[[translate.targets]]\nlang = \"es\"",
                "at least one [[translate.providers]]",
            ),
            (
                "[[translate.providers]]\nname = \"a\"\nkind = \"deepl\"\nurl = \"ftp://x\"",
                "translate provider",
            ),
            (
                "[[translate.providers]]\nname = \"a\"\nkind = \"apertium\"\nurl = \"http://x\"\n[[translate.targets]]\nlang = \"Spanish\"",
                "not a language code",
            ),
            (
                "[[sources]]\nurl = \"javascript:alert(1)\"",
                "http or https",
            ),
            ("[[sources]]\nurl = \"/relative\"", "not a URL"),
            ("databse = \"x.db\"", "unknown field"),
            ("[fetch]\nper_host = 0", "per_host"),
            ("[fetch]\ncontact = \"a\\u0007b\"", "fetch.contact"),
        ] {
            let res = toml::from_str::<Config>(toml)
                .map_err(anyhow::Error::from)
                .and_then(|c| {
                    c.validate()?;
                    Ok(c)
                });
            let err = format!("{:#}", res.unwrap_err());
            assert!(err.contains(want), "{toml}: {err}");
        }
    }
}
