#!/usr/bin/env python3
"""Transparency pages under load, against a trivial Flask page served the same way.

    .venv/bin/python benchmarks/transparency_bench.py                       # 1,000 then 1,000,000 entries
    .venv/bin/python benchmarks/transparency_bench.py --entries 200000 --seconds 5

What it does, in one run on a scratch PostgreSQL database (``bench_transparency``, dropped and
re-created; never ``test``):

1. migrates an empty database, creates 300 published projects across the regions, districts and
   categories;
2. fills the journal in two steps (to 1,000 entries, then to ``--entries``) with bulk ``COPY`` of
   unsealed entries and their legs — the ledger's own triggers check every entry (legs count and
   balance per currency, at each batch's COMMIT) — then seals them with the ledger's own sealer
   (sequence numbers, Merkle leaves and nodes) and signs a checkpoint; the balance rows and the
   transparency counters are brought up to date from the same generated legs (the counters with
   the same ``contributions()`` the sealer's listener uses), then ``ANALYZE``;
3. after each step serves the app with gunicorn (2 sync workers) and a minimal Flask app the script
   writes (same server, same settings), and loads each URL with a threaded ``http.client`` client
   for ``--seconds``: requests/s, median and p95 latency, the ratio to the trivial page, and the
   client's own CPU per request (the client shares the 2 cores);
4. loads every page three times: with the production settings (``TRANSPARENCY_CACHE_SECONDS=5``,
   so the page cache in front of Flask answers these anonymous visitors), with the page cache off
   (``PAGE_CACHE_ENABLED=0``: through the whole app, the views' own caches on) and uncached
   (``TRANSPARENCY_CACHE_SECONDS=0``: every request goes through the whole app and reads the
   database), and prints each ratio to the trivial page; also times the dashboard uncached
   sequentially, so each page's cost at 1,000 and at 1,000,000 entries can be compared.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgresql://postgres@127.0.0.1/bench_transparency"
N_PROJECTS = 300
BATCH = 20_000
CHANNELS = ("bank", "stripe_clearing", "mto_clearing")


# -- the database -----------------------------------------------------------------------------------
def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def reset_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    if name in ("test", "test_main", "postgres"):
        raise SystemExit(f"refusing to use the database {name!r}")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def make_app(url: str, instance: Path):
    from fundapp import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "MAIL_SEND_AFTER_REQUEST": False},
        instance_path=str(instance),
    )


def create_projects(app) -> list[tuple[int, str, str, str]]:
    """Published projects spread over the regions, districts and categories."""
    from fundapp.accounts.models import User
    from fundapp.core.geo import CATEGORIES, DISTRICTS
    from fundapp.extensions import db
    from fundapp.proposals.models import Project

    places = [(r, d) for r, ds in DISTRICTS.items() for d in ds]
    categories = list(CATEGORIES)
    now = datetime.now(UTC)
    with app.app_context():
        owner = User(email="bench-owner@example.org", password_hash="x", full_name="Bench Owner")
        db.session.add(owner)
        db.session.flush()
        out = []
        for i in range(N_PROJECTS):
            region, district = places[i % len(places)]
            category = categories[i % len(categories)]
            p = Project(
                title=f"Project {i + 1}: water, school and road for {district}",
                summary="A project of the benchmark.",
                description="Benchmark project.",
                description_html="<p>Benchmark project.</p>",
                search_text=f"project {i + 1} {district}",
                state="fundraising",
                owner_id=owner.id,
                category=category,
                home_region=region,
                home_district=district,
                funding_model="donation",
                goal_minor=50_000_000,
                currency="TJS",
                campaign_days=90,
                campaign_starts_at=now - timedelta(days=30),
                campaign_ends_at=now + timedelta(days=60),
                published_at=now - timedelta(days=30),
                decided_at=now - timedelta(days=31),
            )
            db.session.add(p)
            db.session.flush()
            out.append((p.id, region, district, category))
        db.session.commit()
    return out


class Accounts:
    """The accounts the generated entries use, created through the ledger's own services."""

    def __init__(self, app, projects):
        from fundapp.extensions import db
        from fundapp.ledger import services as ledger

        with app.app_context():
            self.by_key = {}
            for code in (*CHANNELS, "fees_expense"):
                for cur in ("TJS", "USD"):
                    a = ledger.get_account(code, cur)
                    self.by_key[(code, cur)] = SimpleNamespace(
                        id=a.id, code=a.code, type=a.type, project_id=None
                    )
            for pid, *_ in projects:
                for cur in ("TJS", "USD"):
                    a = ledger.project_account(pid, cur)
                    self.by_key[(f"project:{pid}", cur)] = SimpleNamespace(
                        id=a.id, code=a.code, type=a.type, project_id=pid
                    )
            db.session.commit()


def generate(start_id: int, count: int, projects, accounts: Accounts, t0: datetime, t1: datetime, rng):
    """``count`` entries (as lightweight objects with legs) in posting order."""
    span = (t1 - t0).total_seconds()
    held: dict[tuple[int, str], int] = generate.held  # what each project account holds so far
    for i in range(count):
        eid = start_id + i
        when = t0 + timedelta(seconds=span * i / max(count, 1))
        # one entry in ten goes to the first project (the one whose pages are measured), so its
        # ledger page holds a full page of rows at every size and the sizes compare like for like
        pid, *_ = projects[0] if rng.random() < 0.1 else projects[rng.randrange(len(projects))]
        cur = "TJS" if rng.random() < 0.9 else "USD"
        r = rng.random()
        pacc = accounts.by_key[(f"project:{pid}", cur)]
        if r < 0.80 or held[(pid, cur)] < 100_000:
            channel = CHANNELS[rng.randrange(3)]
            amount = rng.randrange(1_000, 500_000)
            legs = [("debit", accounts.by_key[(channel, cur)], amount), ("credit", pacc, amount)]
            kind, project_id, label = "donation", pid, ("A named backer" if rng.random() < 0.1 else None)
            held[(pid, cur)] += amount
        elif r < 0.92:
            amount = rng.randrange(1_000, held[(pid, cur)] // 2)
            legs = [("debit", pacc, amount), ("credit", accounts.by_key[("bank", cur)], amount)]
            kind, project_id, label = "disbursement", pid, None
            held[(pid, cur)] -= amount
        else:
            amount = rng.randrange(10, 5_000)
            legs = [
                ("debit", accounts.by_key[("fees_expense", cur)], amount),
                ("credit", accounts.by_key[("stripe_clearing", cur)], amount),
            ]
            kind, project_id, label = "fee", None, None
        yield SimpleNamespace(
            id=eid,
            kind=kind,
            project_id=project_id,
            backer_label=label,
            posted_at=when,
            reverses=None,
            source_type=None,
            source_id=None,
            memo=f"{kind} {eid} (benchmark)",
            legs=[
                SimpleNamespace(direction=d, account=a, amount_minor=amt, currency=cur) for d, a, amt in legs
            ],
        )


generate.held = defaultdict(int)


def _copy_rows(cur, table: str, columns: tuple[str, ...], rows) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def fill(url: str, app, projects, accounts: Accounts, start_id: int, count: int, t0, t1, rng) -> None:
    """Insert ``count`` unsealed entries with their legs (COPY, ledger triggers on), then bring the
    balances and the transparency counters up to date and seal with the ledger's sealer."""
    import psycopg

    from fundapp.extensions import db
    from fundapp.ledger import sealing
    from fundapp.transparency import counters

    balances: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # debits, credits, entries
    totals: dict = defaultdict(lambda: [0, 0])
    places = {pid: (r, d, c) for pid, r, d, c in projects}
    made = 0
    leg_id = start_id * 2
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        while made < count:
            n = min(BATCH, count - made)
            batch = list(generate(start_id + made, n, projects, accounts, t0, t1, rng))
            with conn.cursor() as cur:
                _copy_rows(
                    cur,
                    "ledger_entries",
                    (
                        "id",
                        "idempotency_key",
                        "kind",
                        "memo",
                        "project_id",
                        "backer_label",
                        "leg_count",
                        "occurred_at",
                        "posted_at",
                    ),
                    (
                        (
                            e.id,
                            f"bench:{e.id}",
                            e.kind,
                            e.memo,
                            e.project_id,
                            e.backer_label,
                            2,
                            e.posted_at,
                            e.posted_at,
                        )
                        for e in batch
                    ),
                )
                leg_rows = []
                for e in batch:
                    for leg in e.legs:
                        leg_id += 1
                        leg_rows.append(
                            (leg_id, e.id, leg.account.id, leg.direction, leg.amount_minor, leg.currency)
                        )
                        b = balances[leg.account.id]
                        b[0 if leg.direction == "debit" else 1] += leg.amount_minor
                        b[2] += 1
                _copy_rows(
                    cur,
                    "ledger_legs",
                    ("id", "entry_id", "account_id", "direction", "amount_minor", "currency"),
                    leg_rows,
                )
            conn.commit()  # the deferred balance trigger checks every entry here
            for e in batch:
                for k, (a, c) in counters.contributions(e, place=places.get(e.project_id)).items():
                    totals[k][0] += a
                    totals[k][1] += c
            made += n
            rate = made / (time.perf_counter() - started)
            print(f"  inserted {made:,}/{count:,} entries ({rate:,.0f}/s)", flush=True)
        with conn.cursor() as cur:
            for table in ("ledger_entries", "ledger_legs"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            # balances: the same effect as posting each entry (CHECK balance_consistent holds) —
            # on the no-negative accounts' rows; the others' are the sealer's (ledger.balances)
            cur.executemany(
                "UPDATE ledger_balances SET debits_minor = debits_minor + %s, "
                "credits_minor = credits_minor + %s, "
                "balance_minor = balance_minor + CASE WHEN debit_normal THEN %s - %s ELSE %s - %s END, "
                "entry_count = entry_count + %s WHERE account_id = %s AND no_negative",
                [(d, c, d, c, c, d, n, aid) for aid, (d, c, n) in sorted(balances.items())],
            )
        conn.commit()
    with app.app_context():
        counters.bump(totals)
        db.session.commit()
        started = time.perf_counter()
        sealed = 0
        # the counters of these entries are already added above from the generated legs (faster
        # than the sealer's listener reading them back): seal without it
        listeners = list(sealing._seal_listeners)
        sealing._seal_listeners.clear()
        while True:
            got = sealing.seal_pending(batch=5000, limit=50_000)
            db.session.commit()
            sealed += got
            if got:
                print(f"  sealed {sealed:,} ({sealed / (time.perf_counter() - started):,.0f}/s)", flush=True)
            if got < 50_000:
                break
        sealing._seal_listeners[:] = listeners
        sealing.make_checkpoint()
        db.session.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


# -- serving and loading -----------------------------------------------------------------------------
TRIVIAL_APP = """
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return "<!doctype html><title>ok</title><p>ok</p>"
"""

FUND_APP = """
import os

from fundapp import create_app

app = create_app(
    {
        "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
        "TRANSPARENCY_CACHE_SECONDS": int(os.environ.get("TRANSPARENCY_CACHE_SECONDS", "5")),
        "PAGE_CACHE_ENABLED": os.environ.get("PAGE_CACHE_ENABLED", "1") == "1",
        "MAIL_SEND_AFTER_REQUEST": False,
        "RATELIMIT_ENABLED": False,
    },
    instance_path=os.environ["BENCH_INSTANCE"],
)
"""


class Server:
    def __init__(self, module_dir: Path, module: str, port: int, env: dict | None = None):
        self.port = port
        cmd = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            str(module_dir),
            "--log-level",
            "warning",
            f"{module}:app",
        ]
        self.proc = subprocess.Popen(
            cmd,
            env={**os.environ, "PYTHONPATH": f"{ROOT}:{module_dir}", **(env or {})},
            start_new_session=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/")
                c.getresponse().read()
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn on port {port} did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def load(port: int, path: str, seconds: float, threads: int) -> dict:
    """Requests/s and latencies of GET ``path`` from ``threads`` threads for ``seconds``."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < stop_at:
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept-Language": "tg"})
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    errors[0] += 1
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    # a short warm-up, so that both workers have their connections and caches
    for _ in range(10):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", path)
        c.getresponse().read()
        c.close()
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    n = len(latencies)
    latencies.sort()
    return {
        "rps": n / wall,
        "p50": statistics.median(latencies) * 1000 if n else float("nan"),
        "p95": latencies[int(n * 0.95)] * 1000 if n else float("nan"),
        "n": n,
        "errors": errors[0],
        "client_cpu_ms": cpu / n * 1000 if n else float("nan"),
    }


def sequential_latency(port: int, path: str, count: int) -> float:
    """Median latency (ms) of ``count`` requests one after another (no concurrency)."""
    out = []
    for _ in range(count):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        t = time.perf_counter()
        c.request("GET", path, headers={"Accept-Language": "tg"})
        c.getresponse().read()
        out.append(time.perf_counter() - t)
        c.close()
    return statistics.median(out) * 1000


def measure(label: str, url: str, instance: Path, workdir: Path, paths: dict[str, str], args) -> dict:
    """Every page with the production settings (``TRANSPARENCY_CACHE_SECONDS=5``: the page cache in
    front of Flask answers anonymous visitors), with the page cache off (the views' own caches on)
    and uncached (``0``: every request goes through the whole app and its queries), each against
    the trivial page measured in the same run."""
    env = {"BENCH_DATABASE_URL": sqlalchemy_url(url), "BENCH_INSTANCE": str(instance)}
    trivial = Server(workdir, "trivial_app", args.port)  # the same port: one server at a time
    try:
        base = load(args.port, "/", args.seconds, args.threads)
    finally:
        trivial.stop()
    results: dict = {"trivial": base, "cached": {}, "views": {}, "uncached": {}}
    modes = (
        ("cached", {"TRANSPARENCY_CACHE_SECONDS": "5"}),  # production: the page cache answers
        ("views", {"TRANSPARENCY_CACHE_SECONDS": "5", "PAGE_CACHE_ENABLED": "0"}),  # through Flask
        ("uncached", {"TRANSPARENCY_CACHE_SECONDS": "0"}),  # every request reads the database
    )
    for mode, settings in modes:
        server = Server(workdir, "fund_app", args.port, {**env, **settings})
        try:
            for name, path in paths.items():
                results[mode][name] = load(args.port, path, args.seconds, args.threads)
            if mode == "uncached":
                results["dashboard_uncached_ms"] = sequential_latency(args.port, "/transparency", 60)
        finally:
            server.stop()
    rps = base["rps"]
    print(f"\n== {label} ==")
    print(
        f"trivial page: {rps:.0f} req/s, p50 {base['p50']:.1f} ms, "
        f"client CPU {base['client_cpu_ms']:.2f} ms/req"
    )
    print(
        "req/s, ratio to the trivial page, p50/p95 ms — production settings (page cache on); "
        "page cache off (views' own caches on); uncached (TRANSPARENCY_CACHE_SECONDS=0)"
    )
    print(f"{'page':26}" + "".join(f" {m:>24}" for m, _ in modes) + f" {'errors':>6}")
    for name in paths:
        cells, errors = "", 0
        for mode, _ in modes:
            r = results[mode][name]
            errors += r["errors"]
            cells += f" {r['rps']:6.0f} {r['rps'] / rps:5.2f} {r['p50']:5.1f}/{r['p95']:5.1f}"
        print(f"{name:26}{cells} {errors:6d}")
    worst = min(paths, key=lambda n: results["cached"][n]["rps"])
    print(
        f"slowest page with the production settings: {worst}, "
        f"{results['cached'][worst]['rps'] / rps:.2f} of the trivial page (target: at least 0.50)"
    )
    print(f"dashboard uncached, sequential median: {results['dashboard_uncached_ms']:.1f} ms")
    return results


# -- uncached page costs at two sizes, in one process ---------------------------------------------
def public_paths(total: int, pid: int) -> dict[str, str]:
    """Every public page and read, named; ``total`` places the deep pages near the journal's start."""
    deep = max(1, total // 1000)
    return {
        "home": "/",
        "/projects": "/projects",
        "/projects most funded": "/projects?sort=funded",
        "/projects/<id>": f"/projects/{pid}",
        "/projects/<id>/money": f"/projects/{pid}/money",
        "/transparency": "/transparency",
        "ledger first page": "/transparency/ledger",
        "ledger deep page": f"/transparency/ledger?before={deep + 50}",
        "ledger deep, by account": f"/transparency/ledger?account=mto_clearing&before={deep + 200}",
        # the measured project receives one entry in ten: a full page of 50 rows at either size
        "ledger, by project": f"/transparency/ledger?project={pid}",
        "ledger, by kind": "/transparency/ledger?kind=disbursement",
        "api projects": "/api/v1/projects",
        "api project": f"/api/v1/projects/{pid}",
        "api totals": "/api/v1/transparency/totals",
        "api breakdown region": "/api/v1/transparency/breakdown/region",
        "api project money": f"/api/v1/transparency/projects/{pid}/money",
        "api ledger entries deep": f"/api/v1/ledger/entries?after={deep}&limit=100",
        "api ledger entry": f"/api/v1/ledger/entries/{deep}",
        "api inclusion proof": f"/api/v1/ledger/entries/{deep}/proof",
        "api checkpoint": "/api/v1/ledger/checkpoint",
        "api balances": "/api/v1/ledger/balances",
        "open data page": "/transparency/data",
        "/transparency/verify": "/transparency/verify",
    }


def _uncached_app(url: str, instance: Path):
    from fundapp import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url),
            "TRANSPARENCY_CACHE_SECONDS": 0,  # no page cache, no view cache: every request reads
            "MAIL_SEND_AFTER_REQUEST": False,
            "RATELIMIT_ENABLED": False,
        },
        instance_path=str(instance),
    )


def time_uncached(sizes: dict[str, tuple[str, dict[str, str]]], instance: Path, requests: int) -> dict:
    """p50/p95 (ms) of each page through the whole app (Flask test client, no cache), the sizes
    interleaved request by request so that the machine's drift falls on both alike."""
    clients = {}
    for label, (url, _) in sizes.items():
        app = _uncached_app(url, instance)
        clients[label] = app.test_client()
    names = list(next(iter(sizes.values()))[1])
    times: dict[str, dict[str, list[float]]] = {label: {n: [] for n in names} for label in sizes}
    for label, (_, paths) in sizes.items():  # warm-up: connections, templates, plans
        for name in names:
            for _ in range(3):
                r = clients[label].get(paths[name], headers={"Accept-Language": "tg"})
                if r.status_code != 200:
                    raise SystemExit(f"{label} {paths[name]}: HTTP {r.status_code}")
                r.close()
    deadline = time.perf_counter() + 600  # bounded, whatever the machine does
    order = list(sizes.items())
    for i in range(requests):
        for name in names:
            for label, (_, paths) in order if i % 2 == 0 else order[::-1]:  # neither size always first
                t = time.perf_counter()
                r = clients[label].get(paths[name], headers={"Accept-Language": "tg"})
                r.get_data()
                times[label][name].append((time.perf_counter() - t) * 1000)
                r.close()
        if time.perf_counter() > deadline:
            break
    out: dict = {}
    for label, (_, paths) in sizes.items():
        statements = _statements_per_page(clients[label], paths)
        out[label] = {}
        for name in names:
            xs = sorted(times[label][name])
            out[label][name] = {
                "p50": statistics.median(xs),
                "p95": xs[min(len(xs) - 1, int(len(xs) * 0.95))],
                "n": len(xs),
                "statements": statements[name],
            }
    return out


def _statements_per_page(client, paths: dict[str, str]) -> dict[str, int]:
    """SQL statements one request of each page sends (the same at both sizes when nothing scans)."""
    from sqlalchemy import event

    from fundapp.extensions import db

    with client.application.app_context():
        engine = db.engine
    seen = [0]

    def count(*args):
        seen[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        out = {}
        for name, path in paths.items():
            seen[0] = 0
            client.get(path, headers={"Accept-Language": "tg"}).close()
            out[name] = seen[0]
        return out
    finally:
        event.remove(engine, "before_cursor_execute", count)


def print_uncached(result: dict, small: str, big: str) -> bool:
    print(
        f"\n== uncached public pages (TRANSPARENCY_CACHE_SECONDS=0, Flask test client, in process): "
        f"{small} vs {big} =="
    )
    print("targets: p50 at the larger size ≤ 1.2× the smaller and under 25 ms")
    print(
        f"| page | p50 {small} | p95 {small} | p50 {big} | p95 {big} | ratio p50 | statements | n | ok |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    all_ok = True
    for name, a in result[small].items():
        b = result[big][name]
        ratio = b["p50"] / a["p50"] if a["p50"] else float("nan")
        ok = ratio <= 1.2 and b["p50"] < 25
        all_ok &= ok
        print(
            f"| {name} | {a['p50']:.1f} | {a['p95']:.1f} | {b['p50']:.1f} | {b['p95']:.1f} | "
            f"{ratio:.2f} | {a['statements']}/{b['statements']} | {b['n']} | {'yes' if ok else 'NO'} |"
        )
    return all_ok


def build(url: str, instance: Path, total: int, reuse: bool) -> list:
    """A scratch database of ``total`` sealed entries over 300 projects, counters and checkpoint
    consistent (re-used as it is with ``reuse`` when it already holds exactly that)."""
    import psycopg

    if reuse:
        try:
            with psycopg.connect(url) as conn:
                size = conn.execute("SELECT COALESCE(MAX(sequence), 0) FROM ledger_entries").fetchone()[0]
                rows = conn.execute(
                    "SELECT id, home_region, home_district, category FROM projects ORDER BY id"
                ).fetchall()
            if size == total and len(rows) == N_PROJECTS:
                print(f"re-using {url} ({total:,} entries)")
                return [tuple(r) for r in rows]
        except psycopg.Error:
            pass
    print(f"building {url} with {total:,} entries")
    reset_database(url)
    app = make_app(url, instance)
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    projects = create_projects(app)
    accounts = Accounts(app, projects)
    generate.held.clear()
    rng = random.Random(7)
    now = datetime.now(UTC)
    fill(url, app, projects, accounts, 1, total, now - timedelta(days=730), now, rng)
    if total <= 10_000:
        with app.app_context():
            from fundapp.transparency.cli import check_counters

            problems = check_counters()  # the bulk fill must leave what the sealer's listener would
            if problems:
                raise SystemExit("counters differ from the journal:\n" + "\n".join(problems[:10]))
            print("  counters agree with the journal")
    from fundapp.extensions import db

    with app.app_context():
        db.engine.dispose()
    return projects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        default=DEFAULT_DB,
        help="PostgreSQL URL of a scratch database (dropped!); the uncached timing adds _small/_big",
    )
    parser.add_argument("--small", type=int, default=1_000, help="entries of the smaller journal")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=5105)
    parser.add_argument(
        "--uncached",
        type=int,
        default=0,
        metavar="N",
        help="only time every public page uncached, N requests each, on two databases (--db + _small "
        "and _big) of --small and --entries entries, and print the ratio (no gunicorn load)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="with --uncached: keep databases that already hold the fill"
    )
    args = parser.parse_args()
    if not args.db.startswith("postgresql://"):
        raise SystemExit("--db must be a postgresql:// URL")

    workdir = Path(tempfile.mkdtemp(prefix="transparency-bench-"))
    instance = workdir / "instance"
    instance.mkdir()
    (workdir / "trivial_app.py").write_text(TRIVIAL_APP)
    (workdir / "fund_app.py").write_text(FUND_APP)
    try:
        if args.uncached:
            small_url, big_url = args.db + "_small", args.db + "_big"
            # one signing key for both, kept beside the databases' names so --reuse finds it
            instance = Path(tempfile.gettempdir()) / f"transparency-bench-{args.db.rsplit('/', 1)[1]}"
            instance.mkdir(exist_ok=True)
            started = time.perf_counter()
            projects = build(small_url, instance, args.small, args.reuse)
            build(big_url, instance, args.entries, args.reuse)
            print(f"built in {time.perf_counter() - started:.0f} s")
            pid = projects[0][0]
            small, big = f"{args.small:,}", f"{args.entries:,}"
            result = time_uncached(
                {
                    small: (small_url, public_paths(args.small, pid)),
                    big: (big_url, public_paths(args.entries, pid)),
                },
                instance,
                args.uncached,
            )
            ok = print_uncached(result, small, big)
            print("all pages within the targets" if ok else "some pages miss the targets (NO above)")
            return
        print(f"database {args.db} (re-created)")
        reset_database(args.db)
        app = make_app(args.db, instance)
        from flask_migrate import upgrade

        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
        projects = create_projects(app)
        accounts = Accounts(app, projects)
        rng = random.Random(7)
        now = datetime.now(UTC)
        t_start = now - timedelta(days=730)
        first = min(1_000, args.entries)
        split = t_start + (now - t_start) * first / args.entries
        print(f"filling {first:,} entries")
        fill(args.db, app, projects, accounts, 1, first, t_start, split, rng)
        with app.app_context():
            from fundapp.transparency.cli import check_counters

            problems = check_counters()  # the bulk fill must leave what the sealer's listener would
            if problems:
                raise SystemExit("counters differ from the journal:\n" + "\n".join(problems[:10]))
            print("  counters agree with the journal")

        pid = projects[0][0]

        def paths(total: int) -> dict[str, str]:
            deep = max(1, total // 1000)  # a page near the very beginning of the journal
            return {
                "/transparency": "/transparency",
                "/projects/<id>": f"/projects/{pid}",
                "/projects/<id>/money": f"/projects/{pid}/money",
                "ledger first page": "/transparency/ledger",
                "ledger deep page": f"/transparency/ledger?before={deep + 50}",
                "ledger deep, by account": f"/transparency/ledger?account=mto_clearing&before={deep + 200}",
                "api totals": "/api/v1/transparency/totals",
            }

        small = measure(f"{first:,} entries", args.db, instance, workdir, paths(first), args)
        big = small
        if args.entries > first:
            print(f"\nfilling up to {args.entries:,} entries")
            fill(args.db, app, projects, accounts, first + 1, args.entries - first, split, now, rng)
            big = measure(f"{args.entries:,} entries", args.db, instance, workdir, paths(args.entries), args)
        print("\n== growth (p50 latency and req/s; uncached: every request reads the database) ==")
        for name in paths(first):
            for mode in ("uncached", "views", "cached"):
                a, b = small[mode][name], big[mode][name]
                print(
                    f"{name:26} {mode:8} p50 {a['p50']:6.1f} ms → {b['p50']:6.1f} ms   "
                    f"req/s {a['rps']:6.0f} → {b['rps']:6.0f}"
                )
        print(
            f"dashboard uncached, sequential median: {small['dashboard_uncached_ms']:.1f} ms "
            f"at {first:,} entries, "
            f"{big['dashboard_uncached_ms']:.1f} ms at {args.entries:,}"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
