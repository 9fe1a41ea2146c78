#!/usr/bin/env python3
"""Mixed traffic against gunicorn with several workers on PostgreSQL and Redis, then ``ledger verify``.

    .venv/bin/python benchmarks/load_test.py                      # 4 workers, 60 s, 16 clients
    .venv/bin/python benchmarks/load_test.py --seconds 20 --clients 8

Loopback only, bounded in time. In one run it:

1. re-creates the scratch database ``<--db-prefix>_loadtest`` (PostgreSQL; never a test
   database), migrates it and publishes ``--projects`` donation campaigns;
2. starts the fake Stripe server of the tests (``tests/fakes/stripe_server.py``) in this process,
   posting its signed webhooks to the app as they happen, as Stripe would;
3. starts gunicorn with ``--workers`` sync workers on 127.0.0.1 with the production settings:
   rate limits on and kept in Redis (``REDIS_URL``, 127.0.0.1:6379 by default, database
   ``--redis-db`` which is flushed first) so that every worker counts the same hits; the page
   cache on (``TRANSPARENCY_CACHE_SECONDS=5``, per process); and a sealer process beside it
   (``sealing.follow``, what ``flask ledger seal --follow`` runs);
4. sends mixed traffic from ``--clients`` threads for ``--seconds``: public pages, API reads, and
   card donations — the form, its confirmation, Stripe Checkout completed on the fake (whose
   ``checkout.session.completed`` and ``payment_intent.succeeded`` webhooks reach the app), and the
   payer's return page. Each simulated visitor comes from its own loopback address
   (127.0.0.x), so the per-address limits (30 donation posts an hour) are those of real people;
5. checks that the rate limits are shared between the workers: 125 posts to the limited
   ``/api/v1/ledger/cosignatures`` from one address get exactly 120 answers that are not 429
   (with a per-process store, four workers would let up to 480 through);
6. reports requests/s, p50/p99 per kind of request and errors (any 5xx, a refused connection,
   an unexpected status), waits for the sealer, then runs ``flask ledger verify`` and
   ``flask transparency check`` on the database and fails unless both pass and every confirmed
   donation was posted exactly once.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.ledger_bench import migrate, pg_url, recreate_pg, sa_url  # noqa: E402

APP_MODULE = """
import os

from fundapp import create_app

app = create_app(
    {
        "SQLALCHEMY_DATABASE_URI": os.environ["LOAD_DATABASE_URL"],
        "REDIS_URL": os.environ["LOAD_REDIS_URL"],
        "RATELIMIT_STORAGE_URI": os.environ["LOAD_REDIS_URL"],
        "RATELIMIT_ENABLED": True,
        "TRANSPARENCY_CACHE_SECONDS": 5,
        "MAIL_SEND_AFTER_REQUEST": False,
        "STRIPE_SECRET_KEY": os.environ["LOAD_STRIPE_KEY"],
        "STRIPE_PUBLISHABLE_KEY": "pk_test_fake",
        "STRIPE_WEBHOOK_SECRET": os.environ["LOAD_STRIPE_WEBHOOK_SECRET"],
        "STRIPE_API_BASE": os.environ["LOAD_STRIPE_API_BASE"],
        "PUBLIC_BASE_URL": os.environ["LOAD_BASE_URL"],
        "SECRET_KEY": "load-test-secret-key-not-for-production",
    },
    instance_path=os.environ["LOAD_INSTANCE"],
)
"""

SEALER_MODULE = """
import signal

from load_app import app
from fundapp.extensions import db
from fundapp.ledger import sealing

stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
with app.app_context():
    sealing.follow(lambda: bool(stop), 0.5)
    sealing.make_checkpoint()
    db.session.commit()
"""


# -- set-up ------------------------------------------------------------------------------------------
def prepare(url: str, instance: str, projects: int) -> list[int]:
    """Migrate and publish ``projects`` donation campaigns; returns their ids."""
    from datetime import UTC, datetime, timedelta

    from benchmarks.ledger_bench import make_app
    from fundapp.accounts.models import User
    from fundapp.extensions import db
    from fundapp.proposals.models import Project

    migrate(url, instance)
    app = make_app(url, instance)
    now = datetime.now(UTC)
    with app.app_context():
        owner = User(email="load-owner@example.org", password_hash="x", full_name="Load Owner")
        db.session.add(owner)
        db.session.flush()
        ids = []
        for i in range(projects):
            p = Project(
                title=f"Load project {i + 1}",
                summary="A project of the load test.",
                description="Load test.",
                description_html="<p>Load test.</p>",
                search_text=f"load project {i + 1}",
                state="fundraising",
                owner_id=owner.id,
                category="water",
                home_region="sughd",
                home_district="khujand",
                funding_model="donation",
                goal_minor=100_000_000,
                currency="TJS",
                campaign_days=90,
                campaign_starts_at=now - timedelta(days=1),
                campaign_ends_at=now + timedelta(days=60),
                published_at=now - timedelta(days=1),
                decided_at=now - timedelta(days=2),
            )
            db.session.add(p)
            db.session.flush()
            ids.append(p.id)
        db.session.commit()
        db.engine.dispose()
    return ids


class Gunicorn:
    def __init__(self, workdir: Path, port: int, workers: int, env: dict):
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--chdir",
                str(workdir),
                "--log-level",
                "warning",
                "--timeout",
                "60",
                "load_app:app",
            ],
            env=env,
            start_new_session=True,
        )
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/healthz")
                c.getresponse().read()
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not start")

    def stop(self) -> None:
        stop_group(self.proc)


def stop_group(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# -- the clients ---------------------------------------------------------------------------------
class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.examples: list[str] = []
        self.limited = 0
        self.donations_confirmed: list[str] = []

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)

    def error(self, kind: str, what: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            if len(self.examples) < 10:
                self.examples.append(f"{kind}: {what}")


class Visitor:
    """One person at one loopback address, keeping their cookies (a session when they give)."""

    def __init__(self, port: int, address: str, stats: Stats):
        self.port, self.address, self.stats = port, address, stats
        self.conn = None
        self.cookies: dict[str, str] = {}

    def request(self, kind: str, method: str, path: str, body: dict | None = None, ok=(200,)):
        headers = {"Accept-Language": random.choice(("tg", "ru", "en"))}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=60, source_address=(self.address, 0)
                )
            t = time.perf_counter()
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                text = r.read()
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                self.conn = None
                if attempt == 2:  # a kept-alive connection the server closed is retried once
                    self.stats.error(kind, f"{type(exc).__name__}: {exc}")
                    return None, b""
                continue
            self.stats.add(kind, time.perf_counter() - t)
            for value in r.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if r.status == 429:
                with self.stats.lock:
                    self.stats.limited += 1
            elif r.status not in ok:
                self.stats.error(kind, f"{method} {path} -> {r.status}")
            if r.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return r, text
        return None, b""


# the token of a hand-written field or of WTForms' (which puts id and type between name and value)
CSRF = re.compile(rb'name="csrf_token"[^>]*?value="([^"]+)"')


def donate(v: Visitor, project_id: int, fake, stats: Stats) -> None:
    """The donation form, its confirmation, Checkout paid on the fake Stripe, the return page."""
    r, page = v.request("donate form", "GET", f"/back/projects/{project_id}/donate")
    m = CSRF.search(page or b"")
    if r is None or m is None:
        if r is not None:  # a form without its token would make every donation silently vanish
            stats.error("donate form", "no CSRF token on the donation form")
        return
    amount = f"{random.randint(10, 500)}.{random.randint(0, 99):02d}"
    form = {
        "csrf_token": m.group(1).decode(),
        "currency": "TJS",
        "amount": amount,
        "method": "card",
        "email": f"donor-{v.address.replace('.', '-')}@example.org",
    }
    r, page = v.request("donate check", "POST", f"/back/projects/{project_id}/donate", form)
    m = CSRF.search(page or b"")
    if r is None or r.status != 200 or m is None:
        if r is not None and r.status == 200:
            stats.error("donate check", "no CSRF token on the confirmation step")
        return
    r, _ = v.request(
        "donate confirm",
        "POST",
        f"/back/projects/{project_id}/donate",
        {**form, "csrf_token": m.group(1).decode(), "confirm": "1"},
        ok=(303,),
    )
    if r is None or r.status != 303:
        return
    session_id = urlsplit(r.getheader("Location", "")).path.rsplit("/", 1)[-1]
    if not session_id.startswith("cs_"):
        stats.error("donate confirm", f"no Checkout session in {r.getheader('Location')!r}")
        return
    fake.complete_checkout(session_id)  # the payer pays; the fake posts the webhooks now
    r, _ = v.request(
        "checkout return", "GET", f"/back/checkout/return?session_id={session_id}", ok=(200, 302, 303)
    )
    if r is not None and r.status in (200, 302, 303):
        with stats.lock:
            stats.donations_confirmed.append(session_id)


def reader_paths(projects: list[int]) -> list[tuple[str, str]]:
    p = random.choice(projects)
    return [
        ("page /", "/"),
        ("page /projects", "/projects"),
        ("page project", f"/projects/{p}"),
        ("page money", f"/projects/{p}/money"),
        ("page /transparency", "/transparency"),
        ("page ledger", "/transparency/ledger"),
        ("api projects", "/api/v1/projects"),
        ("api totals", "/api/v1/transparency/totals"),
        ("api ledger entries", "/api/v1/ledger/entries?after=0&limit=50"),
        ("api checkpoint", "/api/v1/ledger/checkpoint"),
    ]


def client_loop(n: int, port: int, projects, fake, stats: Stats, stop_at: float, donate_share: float):
    rng = random.Random(n)
    visitor_no = 0
    while time.perf_counter() < stop_at:
        visitor_no += 1
        # 127.0.0.2 … 127.0.250.x: a new person each time, so per-address limits are real people's
        address = f"127.0.{(n * 37 + visitor_no) % 250 + 1}.{(visitor_no // 250) % 250 + 2}"
        v = Visitor(port, address, stats)
        if rng.random() < donate_share:
            donate(v, rng.choice(projects), fake, stats)
        else:
            for kind, path in rng.sample(reader_paths(projects), 4):
                v.request(kind, "GET", path)
        if v.conn is not None:
            v.conn.close()


def check_shared_limit(port: int) -> tuple[int, int]:
    """125 posts from one address to an endpoint limited to 120 an hour: how many got through?"""
    passed = limited = 0
    for _ in range(125):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=("127.0.254.254", 0))
        c.request(
            "POST", "/api/v1/ledger/cosignatures", body=b"not a note", headers={"Content-Type": "text/plain"}
        )
        r = c.getresponse()
        r.read()
        c.close()  # a new connection each time: any of the workers may answer
        if r.status == 429:
            limited += 1
        else:
            passed += 1
    return passed, limited


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))] * 1000 if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db-prefix", default="bench_ledger", help="scratch database: PREFIX_loadtest")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379", help="Redis server (loopback)")
    ap.add_argument("--redis-db", type=int, default=9, help="Redis database used (flushed!)")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--projects", type=int, default=20)
    ap.add_argument("--donate-share", type=float, default=0.15, help="share of visitors who give")
    ap.add_argument("--port", type=int, default=5107)
    args = ap.parse_args()
    if urlsplit(args.redis).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("loopback only: --redis must be on 127.0.0.1")
    os.environ.setdefault("FUNDAPP_ENV", "benchmark")

    import redis

    redis_url = f"{args.redis.rstrip('/')}/{args.redis_db}"
    redis.Redis.from_url(redis_url).flushdb()
    workdir = Path(tempfile.mkdtemp(prefix="load_test_"))
    instance = workdir / "instance"
    instance.mkdir()
    (workdir / "load_app.py").write_text(APP_MODULE)
    (workdir / "load_sealer.py").write_text(SEALER_MODULE)
    url = recreate_pg(args.db_prefix + "_loadtest")
    print(f"database {url} (re-created), Redis {redis_url} (flushed), {args.workers} gunicorn workers")
    projects = prepare(url, str(instance), args.projects)

    from tests.fakes.stripe_server import FakeStripe

    fake = FakeStripe().start()
    base = f"http://127.0.0.1:{args.port}"
    fake.webhook_target = base
    cfg = fake.config()
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}:{workdir}",
        "LOAD_DATABASE_URL": sa_url(url),
        "LOAD_REDIS_URL": redis_url,
        "LOAD_STRIPE_KEY": cfg["STRIPE_SECRET_KEY"],
        "LOAD_STRIPE_WEBHOOK_SECRET": cfg["STRIPE_WEBHOOK_SECRET"],
        "LOAD_STRIPE_API_BASE": cfg["STRIPE_API_BASE"],
        "LOAD_BASE_URL": base,
        "LOAD_INSTANCE": str(instance),
    }
    server = sealer = None
    stats = Stats()
    try:
        server = Gunicorn(workdir, args.port, args.workers, env)
        sealer = subprocess.Popen(
            [sys.executable, str(workdir / "load_sealer.py")], env=env, cwd=workdir, start_new_session=True
        )
        stop_at = time.perf_counter() + args.seconds
        t0 = time.perf_counter()
        threads = [
            threading.Thread(
                target=client_loop,
                args=(i, args.port, projects, fake, stats, stop_at, args.donate_share),
                daemon=True,
            )
            for i in range(args.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=args.seconds + 120)
        wall = time.perf_counter() - t0
        passed, limited = check_shared_limit(args.port)
        time.sleep(2)  # the last webhooks
    finally:
        if sealer is not None:
            stop_group(sealer)
        if server is not None:
            server.stop()
        fake.stop()

    total = sum(len(v) for v in stats.latencies.values())
    errors = sum(stats.errors.values())
    every = [x for v in stats.latencies.values() for x in v]
    print(
        f"\n== mixed traffic: {args.workers} gunicorn workers, {args.clients} clients, {wall:.0f} s, "
        f"PostgreSQL + Redis =="
    )
    print(
        "| requests | requests/s | p50 ms | p99 ms | errors | 429 (rate limited) |\n|---|---|---|---|---|---|"
    )
    print(
        f"| {total:,} | {total / wall:,.1f} | {statistics.median(every) * 1000 if every else 0:.1f} | "
        f"{pct(every, 0.99):.1f} | {errors} | {stats.limited} |"
    )
    print("\n| kind | requests | p50 ms | p99 ms | errors |\n|---|---|---|---|---|")
    for kind in sorted(stats.latencies):
        xs = stats.latencies[kind]
        print(
            f"| {kind} | {len(xs):,} | {statistics.median(xs) * 1000:.1f} | {pct(xs, 0.99):.1f} | "
            f"{stats.errors.get(kind, 0)} |"
        )
    for example in stats.examples:
        print("  error:", example)
    print(f"\nrate limit shared by the workers: {passed} of 125 posts passed, {limited} refused (want 120/5)")

    # the books afterwards
    verify = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "ledger", "verify"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": sa_url(url), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    check = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "transparency", "check"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": sa_url(url), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    import psycopg

    with psycopg.connect(pg_url(args.db_prefix + "_loadtest")) as conn:
        received, entries, posted_twice = conn.execute(
            "SELECT (SELECT count(*) FROM donations WHERE state = 'received'), "
            "(SELECT count(*) FROM ledger_entries WHERE kind = 'donation'), "
            "(SELECT count(*) FROM (SELECT source_id FROM ledger_entries WHERE kind = 'donation' "
            "GROUP BY source_id HAVING count(*) > 1) d)"
        ).fetchone()
    print(
        f"donations confirmed by the clients: {len(stats.donations_confirmed)}; received: {received}; "
        f"donation entries: {entries}; posted twice: {posted_twice}"
    )
    print(
        "ledger verify:",
        "ok" if verify.returncode == 0 else "FAILED",
        (verify.stdout + verify.stderr).strip()[-300:],
    )
    print("transparency check:", "ok" if check.returncode == 0 else "FAILED", check.stdout.strip()[-200:])
    shutil.rmtree(workdir, ignore_errors=True)
    ok = (
        verify.returncode == 0
        and check.returncode == 0
        and errors == 0
        and passed == 120
        and received == entries == len(stats.donations_confirmed)
        and (args.donate_share == 0 or len(stats.donations_confirmed) > 0)  # the donations ran
        and posted_twice == 0
    )
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
