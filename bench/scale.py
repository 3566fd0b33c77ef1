"""Scale benchmark: one SQLite process against N PostgreSQL workers, and
web nodes on each backend under the same offered load. See bench/scale.sh."""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request

BIN = os.environ["BIN"]
ARTICLES = int(os.environ.get("ARTICLES", "100000"))
WORKERS = [int(w) for w in os.environ.get("WORKERS", "1,2,4").split(",")]
PG = os.environ.get("PG", "postgres://postgres@127.0.0.1:5432/test")
SCHEMA = "courant_scale"
RATE = int(os.environ.get("RATE", "500"))
DURATION = int(os.environ.get("DURATION", "20"))
CONNS = int(os.environ.get("CONNS", "12"))
LIMIT = int(os.environ.get("LIMIT", "3600"))
# "ingest,latency" (default); "latency" alone serves the stores the last
# ingest left (target/scale/scale.db and the schema) without ingesting again.
PHASES = os.environ.get("PHASES", "ingest,latency").split(",")
WORK = os.path.abspath("target/scale")
os.makedirs(WORK, exist_ok=True)
PG_URL = f"{PG}?options=-csearch_path%3D{SCHEMA}"


def log(*a):
    print(*a, flush=True)


def psql(sql):
    out = subprocess.run(["psql", PG, "-qAtc", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def config(name, db, listen=None, search=None, extra=""):
    path = os.path.join(WORK, f"{name}.toml")
    store = f'[store]\nurl = "{db}"\n' if db.startswith("postgres") else f'database = "{db}"\n'
    search_section = f'[search]\nenabled = true\ndir = "{search}"\n' if search else "[search]\nenabled = false\n"
    with open(path, "w") as f:
        # Top-level keys first: TOML puts what follows a table inside it.
        f.write(f"""listen = "{listen or '127.0.0.1:0'}"
{store}{search_section}[fetch]
allow_private = true
per_host = 64
host_interval_ms = 0
timeout_secs = 20
[poll]
interval_secs = 86400
max_backoff_secs = 86400
article_concurrency = 16
{extra}""")
    return path


def start(cfg, role, logname):
    f = open(os.path.join(WORK, logname), "w")
    return subprocess.Popen([BIN, "--config", cfg, "--log-format", "json", "serve", "--role", role],
                            stdout=f, stderr=subprocess.STDOUT)


def stop(procs):
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


COUNT_SQL = ("SELECT COUNT(*) FILTER (WHERE status = 'ready'), COUNT(*) FILTER (WHERE status = 'pending'), "
             "COUNT(*) FILTER (WHERE status = 'failed'), "
             "COUNT(*) FILTER (WHERE status = 'ready' AND cluster_seq IS NULL) FROM articles")


def counts(db):
    if db.startswith("postgres"):
        return tuple(int(x) for x in psql(f"SET search_path TO {SCHEMA}; {COUNT_SQL}").split("|"))
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return c.execute(COUNT_SQL).fetchone()
    finally:
        c.close()


def size(db):
    if db.startswith("postgres"):
        return int(psql(
            "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE n.nspname = '{SCHEMA}' AND c.relkind IN ('r', 'm')"))
    c = sqlite3.connect(db)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    return sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))


def fresh(db):
    if db.startswith("postgres"):
        psql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
    else:
        for s in ("", "-wal", "-shm"):
            if os.path.exists(db + s):
                os.remove(db + s)
    subprocess.run([BIN, "--db", db, "sources", "import", os.path.join(WORK, "feeds.opml")],
                   check=True, capture_output=True)


def ingest(label, db, roles, total):
    fresh(db)
    cfg = config(label, db)
    t0 = time.monotonic()
    procs = [start(cfg, role, f"{label}-{i}-{role}.log") for i, role in enumerate(roles)]
    ready_at = placed_at = None
    try:
        while time.monotonic() - t0 < LIMIT:
            # Counting reads the whole table: every 5 s, not to weigh on the run.
            time.sleep(5)
            ready, pending, failed, unplaced = counts(db)
            now = time.monotonic() - t0
            if ready_at is None and pending == 0 and ready + failed >= total:
                ready_at = now
            if ready_at is not None and unplaced == 0:
                placed_at = now
                break
            if int(now) % 30 < 5:
                log(f"  {label}: {now:.0f} s, {ready} ready, {pending} pending, {failed} failed, {unplaced} not placed")
    finally:
        stop(procs)
    ready, pending, failed, unplaced = counts(db)
    r = {"label": label, "ready_s": ready_at, "placed_s": placed_at, "ready": ready,
         "failed": failed, "pending": pending, "size": size(db)}
    # Each run's figures as soon as it ends, should a later phase fail.
    with open(os.path.join(WORK, "ingest.jsonl"), "a") as f:
        f.write(json.dumps(r) + "\n")
    log(f"  {r}")
    return r


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def paths(base, name):
    """Home, story, article and search paths read from the node's own API."""
    out = {"home": ["/"]}
    out["story"] = ["/stories/%d" % s["id"] for s in get(base + "/api/v1/stories?limit=300")]
    d = get(base + "/api/v1/articles?limit=500&offset=20000")
    arts = d["articles"] if isinstance(d, dict) else d
    out["article"] = ["/articles/%d" % a["id"] for a in arts]
    words = []
    for a in arts:
        ws = [w for w in re.findall(r"\w{5,}", a["title"]) if not w.isdigit()]
        if ws:
            words.append(ws[len(ws) // 2])
    out["search"] = ["/search?q=" + urllib.parse.quote_plus(w) for w in words[:300]]
    files = {}
    for kind, ps in out.items():
        f = os.path.join(WORK, f"{name}-{kind}.paths")
        with open(f, "w") as fh:
            fh.write("\n".join(ps) + "\n")
        files[kind] = f
    return files


def ms(v):
    n = float(re.sub(r"[a-z]+$", "", v))
    return n / 1000 if v.endswith("us") else n * 1000 if re.search(r"\ds$", v) else n


def wrk(base, pathfile, conns, delay, secs):
    env = dict(os.environ, WRK_PATHS=pathfile, WRK_DELAY_MS=str(delay))
    return subprocess.Popen(["wrk", "-t1", f"-c{conns}", f"-d{secs}s", "--latency", "-s", "bench/wrk-paths.lua", base],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def parse(out):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    bad = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    return rps, p50, p99, bad


def wait_indexed(logs, want, limit=1800):
    """Until each node's log sums `want` documents indexed."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        done = True
        for lf in logs:
            n = 0
            with open(lf) as f:
                for line in f:
                    m = re.search(r'"indexed":(\d+)', line)
                    if m:
                        n += int(m.group(1))
            done = done and n >= want
        if done:
            return time.monotonic() - t0
        time.sleep(1)
    raise SystemExit(f"search index not built in {limit} s: {logs}")


def latency(sqlite_db, ready_lite, ready_pg):
    # Statistics as autovacuum would have them a minute after the ingest.
    psql(f"SET search_path TO {SCHEMA}; ANALYZE")
    ports = [18091, 18092, 18093]
    # Each node builds its index afresh; removed before the nodes start.
    for f in ("lite.search", "pg0.search", "pg1.search"):
        subprocess.run(["rm", "-rf", os.path.join(WORK, f)], check=True)
    lite = start(config("web-lite", sqlite_db, f"127.0.0.1:{ports[0]}", os.path.join(WORK, "lite.search")), "web", "web-lite.log")
    pg = [start(config(f"web-pg{i}", PG_URL, f"127.0.0.1:{p}", os.path.join(WORK, f"pg{i}.search")), "web", f"web-pg{i}.log")
          for i, p in enumerate(ports[1:])]
    procs = [lite] + pg
    rows = []
    try:
        took = wait_indexed([os.path.join(WORK, "web-lite.log")], ready_lite)
        log(f"  SQLite web node indexed in {took:.0f} s")
        took = wait_indexed([os.path.join(WORK, f"web-pg{i}.log") for i in range(2)], ready_pg)
        log(f"  PostgreSQL web nodes indexed in {took:.0f} s")
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        lite_paths = paths(bases[0], "lite")
        pg_paths = paths(bases[1], "pg")
        delay = CONNS * 1000 // RATE
        for kind in ("home", "story", "article", "search"):
            for b, pf in ((bases[0], lite_paths), (bases[1], pg_paths), (bases[2], pg_paths)):
                wrk(b, pf[kind], 4, 0, 3).wait()  # warm, unmeasured
            one = wrk(bases[0], lite_paths[kind], CONNS, delay, DURATION)
            r1 = parse(one.communicate()[0])
            # The same offered load over two nodes: half the connections each.
            two = [wrk(b, pg_paths[kind], CONNS // 2, delay, DURATION) for b in bases[1:]]
            r2 = [parse(w.communicate()[0]) for w in two]
            rows.append((kind, r1, r2))
            log(f"  {kind}: SQLite {r1}, PostgreSQL {r2}")
    finally:
        stop(procs)
    return rows


def main():
    origin, total = None, 0
    if "ingest" in PHASES:
        origin = subprocess.Popen([BIN, "demo", "--grow", str(ARTICLES), "--origin-only",
                                   os.path.join(WORK, "feeds.opml")],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = origin.stdout.readline()
        log(line.strip())
        total = int(re.search(r"(\d+) article pages", line).group(1))
    results = []
    lite_db = os.path.join(WORK, "scale.db")
    rows = []
    try:
        if "ingest" in PHASES:
            log("SQLite, one process (serve --role all, search off)")
            results.append(ingest("sqlite-1", lite_db, ["all"], total))
            for n in WORKERS:
                log(f"PostgreSQL, {n} worker process(es) and one story process")
                results.append(ingest(f"postgres-{n}", PG_URL, ["worker"] * n + ["stories"], total))
        else:
            results = [json.loads(line) for line in open(os.path.join(WORK, "ingest.jsonl"))] if os.path.exists(
                os.path.join(WORK, "ingest.jsonl")) else []
        if "latency" in PHASES:
            ready_lite = counts(lite_db)[0]
            ready_pg = counts(PG_URL)[0]
            rows = latency(lite_db, ready_lite, ready_pg)
    finally:
        if origin:
            origin.send_signal(signal.SIGTERM)
            origin.wait()
    if not results:
        results = [{"label": "(no ingest figures)", "ready_s": None, "placed_s": None, "ready": 0,
                    "failed": 0, "pending": 0, "size": 0}]
    base = results[0]
    with open(os.path.join(WORK, "results.md"), "w") as f:
        def out(s=""):
            print(s)
            f.write(s + "\n")
        out(f"corpus: {total or 'as the last ingest left it'} article pages; {os.cpu_count()} cores; PostgreSQL {psql('SHOW server_version')}")
        out()
        out("| store and processes | all ready (s) | ingest vs SQLite | all placed (s) | ready | failed | database MB | MB per 100,000 ready |")
        out("|---|---|---|---|---|---|---|---|")
        for r in results:
            ratio = (base["ready_s"] / r["ready_s"]) if r["ready_s"] and base["ready_s"] else float("nan")
            per = r["size"] / 1e6 / max(r["ready"], 1) * 100000
            out(f"| {r['label']} | {r['ready_s'] or 'not done'} | {ratio:.2f}x | {r['placed_s'] or 'not done'} | {r['ready']} | {r['failed']} | {r['size'] / 1e6:.0f} | {per:.0f} |")
        out()
        out(f"Page latency at about {RATE} req/s offered ({CONNS} connections, {CONNS * 1000 // RATE} ms apart), {DURATION} s each:")
        out()
        out("| page | SQLite, 1 node: req/s | p50 ms | p99 ms | PostgreSQL, 2 nodes: req/s (sum) | p50 ms (worse node) | p99 ms (worse node) | errors |")
        out("|---|---|---|---|---|---|---|---|")
        for kind, r1, r2 in rows:
            out(f"| {kind} | {r1[0]:.0f} | {r1[1]:.2f} | {r1[2]:.2f} | {sum(x[0] for x in r2):.0f} | "
                f"{max(x[1] for x in r2):.2f} | {max(x[2] for x in r2):.2f} | {r1[3] + sum(x[3] for x in r2)} |")


if __name__ == "__main__":
    main()
