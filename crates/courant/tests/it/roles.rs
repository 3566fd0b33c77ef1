//! Many processes on one PostgreSQL store (`serve --role`), and their
//! faults: workers killed with -9 in the middle of claims, the story
//! process killed and taken over, the server out of reach under load.
//! They need the machine's PostgreSQL: `scripts/test.sh` runs them
//! (`--ignored postgres_`) after checking that it answers.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use courant_store::{PgStore, Store};

use crate::{courant, wait_for};

fn server_url() -> String {
    std::env::var("COURANT_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A schema of its own on the test server, dropped at the end.
struct Schema {
    name: String,
    store: PgStore,
}

impl Schema {
    fn new() -> Schema {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "courant_it_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let store = PgStore::open_in(&server_url(), Some(&name)).unwrap();
        Schema { name, store }
    }

    /// The URL a process uses to reach this schema, through `via` (a
    /// host:port standing in for the server) when given.
    fn url(&self, via: Option<&str>) -> String {
        let mut url = server_url();
        if let Some(addr) = via {
            url = url.replace("127.0.0.1:5432", addr);
        }
        format!("{url}?options=-csearch_path%3D{}", self.name)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = self.store.drop_schema(&self.name);
    }
}

/// A TCP relay standing in for the database server: stopping it drops
/// every connection and refuses new ones, as a server restart does.
struct Relay {
    rt: tokio::runtime::Runtime,
    port: u16,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Relay {
    fn new() -> Relay {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut r = Relay {
            rt,
            port,
            task: None,
        };
        r.start();
        r
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn start(&mut self) {
        let port = self.port;
        let listener = self
            .rt
            .block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))
            .unwrap();
        self.task = Some(self.rt.spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                conns.spawn(async move {
                    if let Ok(mut out) = tokio::net::TcpStream::connect("127.0.0.1:5432").await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
            }
        }));
    }

    /// Drops every relayed connection and stops listening.
    fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = self.rt.block_on(t);
        }
    }
}

fn write_config(dir: &Path, db: &str, listen: u16, extra: &str) -> PathBuf {
    let cfg = dir.join("courant.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"listen = "127.0.0.1:{listen}"
[store]
url = "{db}"
[search]
dir = "search"
[fetch]
allow_private = true
timeout_secs = 1
per_host = 16
host_interval_ms = 0
[poll]
interval_secs = 600
article_concurrency = 4
lease_secs = 2
{extra}"#
        ),
    )
    .unwrap();
    cfg
}

fn spawn_role(cfg: &Path, role: &str) -> Child {
    courant()
        .arg("--config")
        .arg(cfg)
        .args(["serve", "--role", role])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills on drop, so a failed test leaves no process behind.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The faults origin with 512 articles: 500 quick pages, 12 slow ones.
fn origin(rt: &tokio::runtime::Runtime) -> courant_origin::Server {
    rt.block_on(courant_origin::spawn(|_| courant_origin::faults()))
        .unwrap()
}

fn add_sources(store: &dyn Store, origin: &courant_origin::Server) {
    for path in ["/feed/many", "/feed/slow-pages"] {
        store
            .add_source(&courant_model::NewSource {
                feed_url: origin.url(path),
                name: path.into(),
                lang: None,
                attribution: None,
            })
            .unwrap();
    }
}

const ARTICLES: i64 = 512;

#[test]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
fn postgres_workers_killed_mid_claim_lose_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let origin = origin(&rt);
    let schema = Schema::new();
    add_sources(&schema.store, &origin);
    let mut relay = Relay::new();
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        &schema.url(Some(&relay.addr())),
        free_port(),
        "",
    );
    let mut a = Proc(spawn_role(&cfg, "worker"));
    let _b = Proc(spawn_role(&cfg, "worker"));
    let counts = || schema.store.counts().unwrap();
    wait_for("work under way", Duration::from_secs(60), || {
        counts().ready >= 20
    });
    a.0.kill().unwrap(); // SIGKILL, claims held
    a.0.wait().unwrap();
    // The server away for two seconds: every connection dropped.
    relay.stop();
    std::thread::sleep(Duration::from_secs(2));
    relay.start();
    wait_for("every article", Duration::from_secs(120), || {
        let c = counts();
        c.pending == 0 && c.ready + c.failed == ARTICLES
    });
    let c = counts();
    assert_eq!(c.ready, ARTICLES, "{c:?}");
    // Stored once each: one row per feed item, no claim left behind.
    let all = schema
        .store
        .articles(&courant_store::ArticleQuery {
            include_pending: true,
            limit: 500,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.len(), 500);
}

#[test]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
fn postgres_story_process_killed_is_taken_over() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let origin = origin(&rt);
    let schema = Schema::new();
    add_sources(&schema.store, &origin);
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &schema.url(None), free_port(), "");
    let _worker = Proc(spawn_role(&cfg, "worker"));
    let first = Proc(spawn_role(&cfg, "stories"));
    let second = Proc(spawn_role(&cfg, "stories"));
    let counts = || schema.store.counts().unwrap();
    wait_for("placements under way", Duration::from_secs(60), || {
        let c = counts();
        c.ready > c.unclustered && c.ready >= 50
    });
    let holder: String = schema
        .store
        .lease_holder("stories")
        .unwrap()
        .expect("a story process holds the lease");
    let pid = holder.split('-').next().unwrap().parse::<u32>().unwrap();
    let (mut dead, _alive) = if pid == first.0.id() {
        (first, second)
    } else {
        assert_eq!(pid, second.0.id());
        (second, first)
    };
    dead.0.kill().unwrap();
    dead.0.wait().unwrap();
    // The other takes over within the lease (15 s) and places the rest.
    wait_for("every article placed", Duration::from_secs(120), || {
        let c = counts();
        c.pending == 0 && c.ready == ARTICLES && c.unclustered == 0
    });
    let placed = schema.store.placed_since(0, 100_000).unwrap();
    let mut ids: Vec<i64> = placed.iter().map(|p| p.article.id).collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!((n, ids.len()), (ARTICLES as usize, ARTICLES as usize));
    // Every story's sums agree with its members: nothing applied twice.
    let stories = schema
        .store
        .stories(&courant_store::StoryQuery {
            limit: 500,
            ..Default::default()
        })
        .unwrap();
    let mut members = 0;
    for s in &stories {
        let got = schema.store.story_articles(s.id, 5_000).unwrap();
        assert_eq!(got.len() as i64, s.articles, "story {}", s.id);
        members += s.articles;
    }
    let merged_or_more = stories.len() == 500;
    assert!(merged_or_more || members == ARTICLES, "{members}");
}

#[test]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
fn postgres_web_answers_503_while_the_server_is_away() {
    let schema = Schema::new();
    let mut relay = Relay::new();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = write_config(dir.path(), &schema.url(Some(&relay.addr())), port, "");
    let mut web = Proc(spawn_role(&cfg, "web"));
    let base = format!("http://127.0.0.1:{port}");
    wait_for("the web node", Duration::from_secs(30), || {
        status(&format!("{base}/")) == Some(200)
    });
    relay.stop();
    // Past the 2 s the home page is cached.
    std::thread::sleep(Duration::from_millis(2_500));
    for path in ["/", "/api/v1/stats", "/sources"] {
        assert_eq!(status(&format!("{base}{path}")), Some(503), "{path}");
    }
    assert_eq!(status(&format!("{base}/healthz")), Some(200));
    assert!(web.0.try_wait().unwrap().is_none(), "still running");
    relay.start();
    wait_for("the web node back", Duration::from_secs(30), || {
        status(&format!("{base}/")) == Some(200)
    });
    assert!(web.0.try_wait().unwrap().is_none());
    web.0.kill().unwrap();
}

/// The status of a GET, or None when nothing answers.
fn status(url: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let u = url.strip_prefix("http://")?;
    let (host, path) = u.split_once('/')?;
    let mut s = std::net::TcpStream::connect(host).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    buf.split_whitespace().nth(1)?.parse().ok()
}

/// A single-machine installation moved to PostgreSQL, twice: the second run
/// adds nothing, and the server then serves what the file held.
#[test]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
fn postgres_migrate_twice_copies_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.db");
    crate::run_ok(courant().args(["demo", "--no-serve", "--db"]).arg(&file));
    let schema = Schema::new();
    let url = schema.url(None);
    let migrate = || {
        crate::run_ok(
            courant()
                .args(["migrate", "--from"])
                .arg(&file)
                .args(["--to", &url]),
        )
    };
    let first = migrate();
    assert!(first.contains("complete"), "{first}");
    let again = migrate();
    assert!(again.contains("complete"), "{again}");
    let articles = again
        .lines()
        .find(|l| l.starts_with("articles "))
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>();
    assert_eq!(articles[1..], ["3570", "0", "3570"], "{again}");
    let lite = courant_store::SqliteStore::open(&file).unwrap();
    assert_eq!(lite.counts().unwrap(), schema.store.counts().unwrap());
    let listed = crate::run_ok(courant().args(["sources", "--db", &url, "list"]));
    assert_eq!(listed.lines().count(), 1 + 29, "{listed}");
}
