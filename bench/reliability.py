#!/usr/bin/env python3
"""Reliability benchmark: courant under kill -9, a full disk, idle clients
and a large backlog (issue 24). Run through bench/reliability.sh.

Publishers are a threaded HTTP server in this process: FEEDS feeds of ITEMS
items, each item's page carrying a unique word, and every page request
logged with its time. courant runs as `courant serve` against them, with
politeness per host lifted (all publishers are one loopback host).

Phases:
  kill     CYCLES times: start serve, wait a random 0.3-4 s (ingest,
           extraction, story placement and indexing all run at once), kill -9.
           Then one run to the end. Counted: articles lost (feed items not
           stored, or not ready), outcomes stored twice (a page fetched twice
           while one process was alive: two claims at once), search documents
           missing (an article whose unique word finds nothing).
  disk     The database and index on a tmpfs of DISK_MB that fills during
           ingest; after 30 s the tmpfs grows (space returns); then run to
           the end. Counted as above. Needs root (mount); skipped otherwise.
  idle     IDLE connections opened and left idle while /healthz is asked
           every 50 ms for IDLE_SECS: p50, p99 and max latency, and failures.
  backlog  ten feeds of BACKLOG items in all: resident memory of the process
           while it works through them for 90 s (peak, and at start).

Prints a Markdown table; exits 1 when an invariant is broken.
"""
import http.server
import json
import os
import random
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

BIN = os.environ.get("BIN", "target/release/courant")
FEEDS = int(os.environ.get("FEEDS", 30))
ITEMS = int(os.environ.get("ITEMS", 100))
CYCLES = int(os.environ.get("CYCLES", 20))
DISK_MB = int(os.environ.get("DISK_MB", 6))
IDLE = int(os.environ.get("IDLE", 2000))
IDLE_SECS = int(os.environ.get("IDLE_SECS", 30))
BACKLOG = int(os.environ.get("BACKLOG", 50000))
PHASES = os.environ.get("PHASES", "kill,disk,idle,backlog").split(",")

WORDS = ("council budget river harbour election minister storm bridge court "
         "school museum railway festival hospital market treaty").split()


def word(feed, item):
    """A unique, searchable word per article: letters only."""
    n = feed * 100000 + item
    s = ""
    for _ in range(7):
        s += chr(ord("a") + n % 26)
        n //= 26
    return "zq" + s


def page(feed, item):
    w = word(feed, item)
    body = "".join(
        f"<p>The {random.Random(feed * 7919 + item + k).choice(WORDS)} story {w} number {item} "
        f"of feed {feed} goes on with paragraph {k}, long enough to be read as prose by the "
        f"extractor and kept as the article's text.</p>"
        for k in range(5))
    return (f"<html><head><title>Story {item} of feed {feed}</title></head><body><article>"
            f"<h1>Story {item} of feed {feed} {w}</h1>{body}</article></body></html>")


def feed_xml(base, feed, items):
    out = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
           f"<title>Feed {feed}</title><link>{base}/</link><language>en</language>"]
    for i in range(items):
        out.append(f"<item><title>Story {i} of feed {feed} {word(feed, i)}</title>"
                   f"<link>{base}/p/{feed}/{i}</link><guid>f{feed}-{i}</guid>"
                   f"<pubDate>Mon, 01 Jan 2024 {i % 24:02d}:00:00 GMT</pubDate>"
                   f"<description>Summary of story {i}.</description></item>")
    out.append("</channel></rss>")
    return "".join(out)


class Publisher:
    def __init__(self, feeds, items):
        self.feeds, self.items = feeds, items
        self.fetches = []  # (time, feed, item)
        self.lock = threading.Lock()
        pub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                parts = self.path.strip("/").split("/")
                if parts[0] == "feed" and len(parts) == 2:
                    f = int(parts[1])
                    body, ct = feed_xml(pub.base, f, pub.items_of(f)), "application/rss+xml"
                elif parts[0] == "p" and len(parts) == 3:
                    f, i = int(parts[1]), int(parts[2])
                    with pub.lock:
                        pub.fetches.append((time.time(), f, i))
                    body, ct = page(f, i), "text/html; charset=utf-8"
                else:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", ct)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a killed courant resets its connections: expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def items_of(self, feed):
        return self.items if isinstance(self.items, int) else self.items[feed]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def write_config(dir_, db, port, pub, feeds, extra=""):
    sources = "".join(f'[[sources]]\nurl = "{pub.base}/feed/{f}"\nname = "Feed {f}"\n'
                      for f in range(feeds))
    with open(os.path.join(dir_, "courant.toml"), "w") as fh:
        fh.write(f'database = "{db}"\nlisten = "127.0.0.1:{port}"\n'
                 f"[fetch]\nallow_private = true\nper_host = 16\nhost_interval_ms = 0\n"
                 f"[poll]\ninterval_secs = 10\nmax_backoff_secs = 60\n"
                 f"[embed]\nmodel = \"\"\n{extra}\n{sources}")
    return os.path.join(dir_, "courant.toml")


def start(cfg, log):
    return subprocess.Popen([BIN, "serve", "--config", cfg, "--log-format", "json"],
                            stdout=log, stderr=log, env={**os.environ, "RUST_LOG": "warn"})


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def wait_healthy(port, secs=30):
    end = time.time() + secs
    while time.time() < end:
        try:
            get(f"http://127.0.0.1:{port}/healthz", 1)
            return True
        except OSError:
            time.sleep(0.1)
    return False


def counts(db):
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    row = c.execute(
        "SELECT COUNT(*), SUM(status = 'ready'), SUM(status = 'pending'),"
        " SUM(status = 'ready' AND story_id IS NULL) FROM articles").fetchone()
    c.close()
    return {"stored": row[0], "ready": row[1] or 0, "pending": row[2] or 0,
            "unplaced": row[3] or 0}


def run_to_end(cfg, db, port, log, want, limit=600):
    """Serves until every expected article is ready and placed, then waits
    for the index to catch up; returns the live process."""
    p = start(cfg, log)
    if not wait_healthy(port):
        sys.exit(f"courant serve did not start; see {log.name}")
    end = time.time() + limit
    while time.time() < end:
        try:
            c = counts(db)
            if c["ready"] >= want and c["unplaced"] == 0 and c["pending"] == 0:
                break
        except sqlite3.Error:
            pass
        time.sleep(1)
    time.sleep(4)  # one more indexing round
    return p


def missing_search(port, feeds, items):
    missing = 0
    for f in range(feeds):
        for i in range(items):
            q = urllib.parse.quote(word(f, i))
            d = json.loads(get(f"http://127.0.0.1:{port}/api/v1/search?q={q}&limit=5"))
            if d["total"] < 1:
                missing += 1
    return missing


LEASE = 60  # poll.lease_secs, the default


def twice(pub, windows):
    """Pages fetched again within the lease while one process was alive: two
    claims of one article at once. A fetch after the lease ran out (the first
    outcome could not be stored) is a retry, counted apart."""
    last, at_once, retried = {}, 0, 0
    for t, f, i in sorted(pub.fetches):
        w = next((k for k, (a, b) in enumerate(windows) if a <= t <= b), None)
        key = (w, f, i)
        if w is not None and key in last:
            if t - last[key] < LEASE:
                at_once += 1
            else:
                retried += 1
        last[key] = t
    return at_once, retried


def check(dir_, db, port, pub, feeds, items, windows, p):
    want = feeds * items
    c = counts(db)
    miss = missing_search(port, feeds, items)
    windows.append((windows[-1][1] if windows else 0, time.time()))
    p.send_signal(signal.SIGTERM)
    p.wait(30)
    at_once, retried = twice(pub, windows)
    refetched = len(pub.fetches) - len({(f, i) for _, f, i in pub.fetches})
    return {"expected": want, "stored": c["stored"], "ready": c["ready"],
            "lost": want - c["ready"], "processed twice": at_once,
            "search missing": miss,
            "fetched again after the lease (a retry)": retried,
            "fetched again after a kill": refetched - at_once - retried}


def setup(work, name, pub, feeds, db_dir=None):
    """A phase's folder, database path, port, config and log."""
    dir_ = os.path.join(work, name)
    os.makedirs(dir_, exist_ok=True)
    db = os.path.join(db_dir or dir_, "c.db")
    port = free_port()
    cfg = write_config(dir_, db, port, pub, feeds)
    return dir_, db, port, cfg, open(os.path.join(dir_, "serve.log"), "ab")


def phase_kill(work):
    pub = Publisher(FEEDS, ITEMS)
    dir_, db, port, cfg, log = setup(work, "kill", pub, FEEDS)
    rng = random.Random(24)
    windows = []
    for _ in range(CYCLES):
        t0 = time.time()
        p = start(cfg, log)
        time.sleep(rng.uniform(0.3, 4.0))
        p.kill()
        p.wait()
        windows.append((t0, time.time()))
    t0 = time.time()
    p = run_to_end(cfg, db, port, log, FEEDS * ITEMS)
    windows.append((t0, time.time() + 3600))
    r = check(dir_, db, port, pub, FEEDS, ITEMS, windows[:-1] + [(t0, time.time() + 3600)], p)
    r["cycles"] = CYCLES
    return r


def phase_disk(work):
    if os.geteuid() != 0:
        return {"skipped": "needs root to mount a small tmpfs"}
    pub = Publisher(FEEDS, ITEMS)
    mnt = os.path.join(work, "disk", "mnt")
    os.makedirs(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", mnt], check=True)
    try:
        dir_, db, port, cfg, log = setup(work, "disk", pub, FEEDS, db_dir=mnt)
        t0 = time.time()
        p = start(cfg, log)
        time.sleep(30)
        full = subprocess.run(["df", "-k", mnt], capture_output=True, text=True).stdout.split("\n")[1]
        during = counts(db)
        subprocess.run(["mount", "-o", "remount,size=512m", mnt], check=True)
        # Space is back; the running process must recover on its own.
        end = time.time() + 600
        while time.time() < end:
            c = counts(db)
            if c["ready"] >= FEEDS * ITEMS and c["unplaced"] == 0 and c["pending"] == 0:
                break
            time.sleep(1)
        time.sleep(4)
        r = check(dir_, db, port, pub, FEEDS, ITEMS, [(t0, time.time() + 3600)], p)
        r["while full"] = f"{during['stored']} stored, {during['ready']} ready; df: {' '.join(full.split()[1:5])}"
        errors = sum(1 for line in open(os.path.join(dir_, "serve.log"), errors="replace")
                     if "full" in line)
        r["disk-full errors logged"] = errors
        return r
    finally:
        subprocess.run(["umount", "-l", mnt])


def phase_idle(work):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, IDLE + 1000), hard))
    pub = Publisher(1, 5)
    _, _, port, cfg, log = setup(work, "idle", pub, 1)
    p = start(cfg, log)
    wait_healthy(port)
    idle, refused = [], 0
    stop = time.time() + IDLE_SECS

    def keep_open():
        nonlocal refused
        # Idle clients come back as the server closes them, all run long.
        while time.time() < stop:
            while len(idle) < IDLE and time.time() < stop:
                try:
                    s = socket.create_connection(("127.0.0.1", port), timeout=2)
                    idle.append(s)
                except OSError:
                    refused += 1
                    time.sleep(0.05)
            for s in list(idle):
                s.setblocking(False)
                try:
                    if s.recv(1) == b"":
                        idle.remove(s)
                        s.close()
                except BlockingIOError:
                    pass
                except OSError:
                    idle.remove(s)
                    s.close()
            time.sleep(0.5)

    t = threading.Thread(target=keep_open, daemon=True)
    t.start()
    time.sleep(2)
    lat, failed, most_idle = [], 0, 0
    while time.time() < stop:
        most_idle = max(most_idle, len(idle))
        t0 = time.perf_counter()
        try:
            get(f"http://127.0.0.1:{port}/healthz", 5)
            lat.append((time.perf_counter() - t0) * 1000)
        except OSError:
            failed += 1
        time.sleep(0.05)
    t.join()
    for s in idle:
        s.close()
    p.send_signal(signal.SIGTERM)
    p.wait(30)
    lat.sort()
    q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] if lat else float("nan")
    return {"idle connections held": most_idle, "healthz requests": len(lat) + failed,
            "healthz failed": failed, "p50 ms": round(q(0.5), 2), "p99 ms": round(q(0.99), 2),
            "max ms": round(lat[-1], 2) if lat else None}


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def phase_backlog(work):
    # Ten feeds share the backlog: one feed of 50,000 items is past the
    # fetcher's 8 MiB body limit.
    feeds = 10
    pub = Publisher(feeds, BACKLOG // feeds)
    _, db, port, cfg, log = setup(work, "backlog", pub, feeds)
    p = start(cfg, log)
    wait_healthy(port)
    start_rss = rss_kb(p.pid)
    peak, samples, t0 = start_rss, [], time.time()
    while time.time() - t0 < 90:
        r = rss_kb(p.pid)
        peak = max(peak, r)
        samples.append(r)
        time.sleep(0.5)
    c = counts(db)
    p.send_signal(signal.SIGTERM)
    p.wait(30)
    return {"items": BACKLOG, "stored": c["stored"], "ready after 90 s": c["ready"],
            "RSS at start MB": round(start_rss / 1024, 1), "RSS peak MB": round(peak / 1024, 1),
            "RSS last 30 s mean MB": round(sum(samples[-60:]) / max(1, len(samples[-60:])) / 1024, 1)}


def main():
    work = tempfile.mkdtemp(prefix="courant-reliability-")
    results, ok = {}, True
    for name in PHASES:
        fn = {"kill": phase_kill, "disk": phase_disk, "idle": phase_idle,
              "backlog": phase_backlog}[name]
        t0 = time.time()
        r = fn(work)
        r["seconds"] = round(time.time() - t0)
        results[name] = r
        print(f"## {name}\n\n| measure | value |\n|---|---|")
        for k, v in r.items():
            print(f"| {k} | {v} |")
        print(flush=True)
        if name in ("kill", "disk") and "skipped" not in r:
            ok &= r["lost"] == 0 and r["processed twice"] == 0 and r["search missing"] == 0
        if name == "idle":
            ok &= r["healthz failed"] == 0 and r["p99 ms"] < 50
    print(json.dumps(results))
    print(f"work folder: {work}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
