#!/usr/bin/env python3
"""Ledger benchmark: posting throughput under concurrent writers, against a baseline run in the
same script, and the time of a full ``ledger verify`` over 1,000,000 entries.

    .venv/bin/python benchmarks/ledger_bench.py --db postgresql --entries 8000 --writers 4 --breakdown --peer
    .venv/bin/python benchmarks/ledger_bench.py --db postgresql --entries 8000 --writers 4 --peer --rounds 5
    .venv/bin/python benchmarks/ledger_bench.py --db sqlite --entries 5000 --writers 4

The default is the production shape: every other domain's listener registered (the public
counters are kept by the sealer's listener), the sealer running. ``--without-listeners`` measures
the ledger alone; ``--breakdown`` adds that run, the service without the sealer and bare
``ledger_post()`` calls; ``--peer`` runs django-hordak's ``transfer_to`` with as many workers in
the same sitting (``shared/peers/hordak/run.sh``, its own venv under ``--peer-dir``) and prints
the ratio to it beside the ratio to pgbench, as a table on stderr. ``--rounds N`` repeats the
sitting (pgbench, the ledger run, the peer, pgbench) N times on the same ledger and prints every
sitting's figures and the medians of the ratios: one sitting's ratio moves with the machine's pace.

Each writer is a separate process running ``post_entry`` + COMMIT in a loop (donations into and
payouts out of 200 projects, through 3 channel accounts in 2 currencies), while a sealer process
runs ``sealing.follow`` (what ``flask ledger seal --follow`` runs): a round every
``--seal-interval`` seconds seals everything committed since, and a checkpoint is signed at most
every ``LEDGER_CHECKPOINT_SECONDS``. Tables are preloaded with ``--preload`` sealed entries and
ANALYZEd first; before every measured run the database is vacuumed and checkpointed, as the peer's
script does before each of its runs (``settle_pg``). On PostgreSQL the baseline is ``pgbench``
(TPC-B like) with the same number of clients on the same server, in a scratch database. Then a scratch
ledger of ``--verify-entries`` entries is bulk-loaded (COPY, not the service) and verified.

Prints one JSON line. Scratch databases: PREFIX, PREFIX_verify, PREFIX_pgbench, PREFIX_hordak
(``--db-prefix``, ``bench_ledger`` by default; PostgreSQL, dropped and re-created), or files under
/tmp (SQLite). Never the test databases.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1/postgres")
# scratch databases are named PREFIX, PREFIX_verify, PREFIX_pgbench, PREFIX_hordak (--db-prefix)
PREFIX = ["bench_ledger"]
# the peer's scripts sit in shared/ beside the repository (or beside the worktrees' folder)
PEER = next(
    (p / "shared" / "peers" / "hordak" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()),
    ROOT.parent / "shared" / "peers" / "hordak",
)
PROJECTS = 200
CHANNELS = ("stripe_clearing", "bank", "mto_clearing")
CURRENCIES = ("TJS", "USD")


# -- scratch databases ---------------------------------------------------------------------------


def pg_url(name: str) -> str:
    """PG_ADMIN with database ``name`` (any ``?host=`` of a Unix socket is kept)."""
    parts = urlsplit(PG_ADMIN)
    return urlunsplit(parts._replace(path="/" + name))


def recreate_pg(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_url(name)


def sa_url(url: str) -> str:
    return (
        url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    )


def make_app(url: str, instance: str, **extra):
    from fundapp import create_app
    from fundapp.config import TestConfig

    cfg = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    cfg.update(SQLALCHEMY_DATABASE_URI=sa_url(url), TESTING=False, **extra)
    return create_app(cfg, instance_path=instance)


def migrate(url: str, instance: str) -> None:
    from flask_migrate import upgrade

    from fundapp.extensions import db

    app = make_app(url, instance)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def scratch(kind: str, name: str, workdir: str) -> str:
    if kind == "postgresql":
        url = recreate_pg(name)
    else:
        path = Path(workdir) / f"{name}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    migrate(url, workdir)
    return url


# -- the chart used by the benchmark -------------------------------------------------------------


def ensure_accounts(url: str, instance: str) -> dict:
    from fundapp.extensions import db
    from fundapp.ledger import services as L

    app = make_app(url, instance)
    with app.app_context():
        out = {"channels": {}, "projects": {}, "meta": {}}
        for cur in CURRENCIES:
            for ch in CHANNELS:
                a = L.get_account(ch, cur)
                out["channels"][(ch, cur)] = a.id
                out["meta"][a.id] = (a.code, cur, True, False)
            for p in range(1, PROJECTS + 1):
                a = L.project_account(p, cur)
                out["projects"][(p, cur)] = a.id
                out["meta"][a.id] = (a.code, cur, False, True)
        db.session.commit()
        db.engine.dispose()
    return out


# -- bulk load (COPY / executemany), sealed, with the Merkle nodes -------------------------------


def bulk_load(kind: str, url: str, instance: str, n: int, seed: int = 7) -> float:
    """Load ``n`` sealed, balanced entries fast (not through the service), then sign a checkpoint."""
    from fundapp.ledger import merkle
    from fundapp.ledger.encoding import encode_entry, format_time

    started = time.perf_counter()
    accs = ensure_accounts(url, instance)
    rng = random.Random(seed)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    held: dict[int, int] = {}
    totals: dict[int, list[int]] = {}  # account id -> [debits, credits]
    entries, legs, leaves = [], [], []
    leg_id = 0
    sha = merkle._sha
    for i in range(1, n + 1):
        cur = CURRENCIES[i % 2]
        project = rng.randint(1, PROJECTS)
        pid = accs["projects"][(project, cur)]
        channel = accs["channels"][(CHANNELS[i % 3], cur)]
        amount = rng.randint(100, 500000)
        if i % 4 == 0 and held.get(pid, 0) >= amount // 2:
            kind_, amount = "disbursement", amount // 2
            lg = [(pid, "debit", amount), (channel, "credit", amount)]
            held[pid] -= amount
        else:
            kind_ = "donation"
            lg = [(channel, "debit", amount), (pid, "credit", amount)]
            held[pid] = held.get(pid, 0) + amount
        posted = base + timedelta(milliseconds=i)
        memo = f"Bulk {kind_} {i}"
        leaf = sha(
            b"\x00"
            + encode_entry(
                i,
                kind_,
                format_time(posted),
                memo,
                None,
                None,
                [("D" if d == "debit" else "C", accs["meta"][a][0], cur, m) for a, d, m in lg],
            )
        ).digest()
        leaves.append(leaf)
        entries.append((i, f"bulk:{i}", kind_, memo, project, 2, posted, i, leaf))
        for a, d, m in lg:
            leg_id += 1
            legs.append((leg_id, i, a, d, m, cur))
            t = totals.setdefault(a, [0, 0])
            t[0 if d == "debit" else 1] += m
    levels = merkle.levels_from_leaves(leaves)
    nodes = [(lvl, idx, h) for lvl in range(1, len(levels)) for idx, h in enumerate(levels[lvl])]
    now = datetime.now(UTC)
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(url) as conn, conn.cursor() as cur_:
            cur_.execute("SET session_replication_role = replica")  # a bulk load of checked rows
            with cur_.copy(
                "COPY ledger_entries (id, idempotency_key, kind, memo, project_id, leg_count, occurred_at, "
                "posted_at, sequence, leaf_hash, sealed_at) FROM STDIN"
            ) as cp:
                for e in entries:
                    cp.write_row((*e[:6], e[6], e[6], e[7], e[8], now))
            with cur_.copy(
                "COPY ledger_legs (id, entry_id, account_id, direction, amount_minor, currency) FROM STDIN"
            ) as cp:
                for row in legs:
                    cp.write_row(row)
            with cur_.copy("COPY ledger_merkle_nodes (level, idx, hash) FROM STDIN") as cp:
                for row in nodes:
                    cp.write_row(row)
            for a, (d, c) in totals.items():
                dn = accs["meta"][a][2]
                cur_.execute(
                    "UPDATE ledger_balances SET debits_minor = %s, credits_minor = %s, balance_minor = %s, "
                    "entry_count = 0 WHERE account_id = %s",
                    (d, c, d - c if dn else c - d, a),
                )
            cur_.execute("SELECT setval('ledger_entries_id_seq', %s)", (n,))
            cur_.execute("SELECT setval('ledger_legs_id_seq', %s)", (leg_id,))
            conn.commit()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    else:
        import sqlite3

        path = url.removeprefix("sqlite:///")
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name LIKE 'ledger_%'"
        ).fetchall()
        conn.execute("BEGIN")
        for name, _ in triggers:  # a bulk load of checked rows; the triggers come back below
            conn.execute(f'DROP TRIGGER "{name}"')
        fmt = "%Y-%m-%d %H:%M:%S.%f"
        conn.executemany(
            "INSERT INTO ledger_entries (id, idempotency_key, kind, memo, project_id, leg_count, "
            "occurred_at, posted_at, sequence, leaf_hash, sealed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                (*e[:6], e[6].strftime(fmt), e[6].strftime(fmt), e[7], e[8], now.strftime(fmt))
                for e in entries
            ),
        )
        conn.executemany(
            "INSERT INTO ledger_legs (id, entry_id, account_id, direction, amount_minor, currency) "
            "VALUES (?,?,?,?,?,?)",
            legs,
        )
        conn.executemany("INSERT INTO ledger_merkle_nodes (level, idx, hash) VALUES (?,?,?)", nodes)
        for a, (d, c) in totals.items():
            dn = accs["meta"][a][2]
            conn.execute(
                "UPDATE ledger_balances SET debits_minor = ?, credits_minor = ?, balance_minor = ? "
                "WHERE account_id = ?",
                (d, c, d - c if dn else c - d, a),
            )
        for _, sql in triggers:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.close()
    # sign a checkpoint through the service
    from fundapp.extensions import db
    from fundapp.ledger import sealing

    app = make_app(url, instance)
    with app.app_context():
        sealing.make_checkpoint()
        db.session.commit()
        db.engine.dispose()
    return time.perf_counter() - started


# -- writers -------------------------------------------------------------------------------------


def writer(url, instance, accs, wid, count, start_evt, out_q, with_listeners=False):
    from fundapp.core import heap
    from fundapp.core.errors import InsufficientFunds
    from fundapp.core.money import Money
    from fundapp.extensions import db
    from fundapp.ledger import services as L
    from fundapp.ledger.models import Account

    # a posting worker keeps its connection: no pool health check (an extra round trip) per posting
    app = make_app(url, instance, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 2, "pool_pre_ping": False})
    if not with_listeners:  # the ledger alone, without other domains' listeners
        from fundapp.ledger import posting, sealing

        posting.listeners.clear()
        sealing._seal_listeners.clear()  # a writer seals what is left when its app context ends
    rng = random.Random(1000 + wid)
    refused = 0
    heap.settle()  # as a gunicorn worker does once it has imported wsgi.py
    with app.app_context():
        # accounts are loaded once (a worker would cache them); detached, they keep their values
        objs = {a.id: a for a in db.session.scalars(db.select(Account))}
        db.session.expunge_all()
        db.session.rollback()
        start_evt.wait()
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        for j in range(count):
            cur = CURRENCIES[j % 2]
            project_no = rng.randint(1, PROJECTS)
            project = objs[accs["projects"][(project_no, cur)]]
            channel = objs[accs["channels"][(CHANNELS[rng.randrange(3)], cur)]]
            amount = Money(rng.randint(100, 50000), cur)
            if j % 4 == 3:
                legs, kind = [L.Leg.debit(project, amount), L.Leg.credit(channel, amount)], "disbursement"
            else:
                legs, kind = [L.Leg.debit(channel, amount), L.Leg.credit(project, amount)], "donation"
            try:
                L.post_entry(
                    kind,
                    legs,
                    memo="Benchmark posting",
                    idempotency_key=f"bench:{os.getpid()}:{wid}:{j}",
                    project_id=project_no,
                )
                db.session.commit()
            except InsufficientFunds:
                db.session.rollback()
                refused += 1
        elapsed = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        db.engine.dispose()
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    out_q.put({"wid": wid, "posted": count - refused, "refused": refused, "elapsed": elapsed, "cpu": cpu})


def raw_writer(url, instance, accs, wid, count, start_evt, out_q, with_listeners=False):
    """The same postings as ``writer``, as bare ``ledger_post()`` calls through the driver: what
    the database function costs without the application around it (PostgreSQL only)."""
    import psycopg

    from fundapp.ledger.posting import _PG_POST

    rng = random.Random(2000 + wid)
    refused = 0
    with psycopg.connect(url) as conn:
        start_evt.wait()
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        for j in range(count):
            cur = CURRENCIES[j % 2]
            project = accs["projects"][(rng.randint(1, PROJECTS), cur)]
            channel = accs["channels"][(CHANNELS[rng.randrange(3)], cur)]
            amount = rng.randint(100, 50000)
            if j % 4 == 3:
                kind, ids, dirs = "disbursement", [project, channel], ["debit", "credit"]
            else:
                kind, ids, dirs = "donation", [channel, project], ["debit", "credit"]
            now = datetime.now(UTC)
            status = conn.execute(
                _PG_POST,
                (
                    f"raw:{os.getpid()}:{wid}:{j}",
                    kind,
                    "Benchmark posting",
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    now,
                    now,
                )
                + (ids, dirs, [amount, amount], [cur, cur], [], []),
            ).fetchone()[0]
            conn.commit()
            refused += status == "insufficient"
        elapsed = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    out_q.put({"wid": wid, "posted": count - refused, "refused": refused, "elapsed": elapsed, "cpu": cpu})


def sealer(url, instance, stop_evt, out_q, interval, with_listeners=True):
    from fundapp.config import Config
    from fundapp.core import heap
    from fundapp.extensions import db
    from fundapp.ledger import sealing

    # as `flask ledger seal --follow` does: seal what was committed every `interval` seconds,
    # sign at most every LEDGER_CHECKPOINT_SECONDS, and keep the public counters of what it seals
    app = make_app(url, instance, LEDGER_CHECKPOINT_SECONDS=Config.LEDGER_CHECKPOINT_SECONDS)
    if not with_listeners:
        sealing._seal_listeners.clear()
    heap.settle()  # as `flask ledger seal --follow` does before it follows
    with app.app_context():
        cpu0 = time.process_time()
        sealed = sealing.follow(stop_evt.is_set, interval)
        cpu = time.process_time() - cpu0
        sealed += sealing.seal_pending()
        sealing.make_checkpoint()  # what `flask ledger checkpoint` does: cover everything now
        db.session.commit()
        db.engine.dispose()
    out_q.put({"sealed": sealed, "cpu": cpu})


def busy_cpu_s() -> float | None:
    """CPU seconds the whole machine has spent busy so far (Linux /proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def run_writers(
    url, instance, accs, entries, writers, with_sealer=True, with_listeners=True, target=None, interval=0.1
) -> dict:
    target = target or writer
    ctx = mp.get_context("fork")
    start_evt, stop_evt, q, sq = ctx.Event(), ctx.Event(), ctx.Queue(), ctx.Queue()
    per = [entries // writers + (1 if i < entries % writers else 0) for i in range(writers)]
    procs = [
        ctx.Process(target=target, args=(url, instance, accs, i, per[i], start_evt, q, with_listeners))
        for i in range(writers)
    ]
    seal_proc = ctx.Process(target=sealer, args=(url, instance, stop_evt, sq, interval, with_listeners))
    for p in procs:
        p.start()
    if with_sealer:
        seal_proc.start()
    time.sleep(1.0)  # let every writer connect and load its accounts
    t0, busy0 = time.perf_counter(), busy_cpu_s()
    start_evt.set()
    results = [q.get() for _ in procs]
    wall, busy1 = time.perf_counter() - t0, busy_cpu_s()
    stop_evt.set()
    sealer_out = sq.get() if with_sealer else {"sealed": 0, "cpu": 0.0}
    for p in [*procs, *([seal_proc] if with_sealer else [])]:
        p.join()
    posted = sum(r["posted"] for r in results)
    cpu = sum(r["cpu"] for r in results)
    return {
        "postings": posted,
        "refused": sum(r["refused"] for r in results),
        "wall_s": round(wall, 3),
        "postings_per_s": round(posted / wall, 1),
        "client_cpu_s_per_posting": round(cpu / max(posted, 1), 6),
        "sealed_during_run": sealer_out["sealed"],
        "sealer_cpu_s_per_posting": round(sealer_out["cpu"] / max(posted, 1), 6),
        # everything the machine did meanwhile (writers, sealer, PostgreSQL) per posting
        "machine_cpu_s_per_posting": None if busy0 is None else round((busy1 - busy0) / max(posted, 1), 6),
    }


# -- baseline: pgbench ---------------------------------------------------------------------------


def find_pgbench() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), reverse=True):
        return str(p)
    return None


def run_pgbench(clients: int, seconds: int) -> dict:
    exe = find_pgbench()
    if exe is None:
        return {"error": "pgbench not found (apt-get install postgresql-contrib)"}
    url = recreate_pg(PREFIX[0] + "_pgbench")
    scale = max(clients, 1)
    subprocess.run([exe, "-i", "-q", "-s", str(scale), url], check=True, capture_output=True)
    settle_pg(url, vacuum=False)  # `pgbench -i` has vacuumed its tables
    jobs = min(clients, os.cpu_count() or 1)
    out = subprocess.run(
        [exe, "-c", str(clients), "-j", str(jobs), "-T", str(seconds), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out) or re.search(
        r"tps = ([\d.]+)", out
    )
    return {"tps": float(m.group(1)) if m else None, "clients": clients, "scale": scale, "seconds": seconds}


# -- the peer: django-hordak's transfer_to ------------------------------------------------------


def run_hordak(workers: int, seconds: int, peer_dir: str) -> dict:
    """Run the peer's own script (``shared/peers/hordak/run.sh``: its own venv under ``peer_dir``,
    its own scratch database) for ``transfer_to`` with ``workers`` processes, now, on this server."""
    run_sh = Path(os.environ.get("HORDAK_PEER", str(PEER))) / "run.sh"
    if not run_sh.exists():
        return {"error": f"{run_sh} not found"}
    admin = urlsplit(PG_ADMIN)
    env = dict(
        os.environ,
        PEER_DIR=peer_dir,
        SKIP_PGBENCH="1",
        PGHOST=admin.hostname or "127.0.0.1",
        PGPORT=str(admin.port or 5432),
        PGUSER=admin.username or "postgres",
        HORDAK_ARGS=f"--db {PREFIX[0]}_hordak --workers {workers} --duration {seconds} --rounds 1 "
        "--mode transfer_to",
    )
    env.setdefault("PGPASSWORD", admin.password or "postgres")
    proc = subprocess.run(["bash", str(run_sh)], env=env, capture_output=True, text=True)
    runs, check = [], None
    for line in proc.stdout.splitlines():
        if not line.startswith("{"):
            continue
        row = json.loads(line)
        if row.get("mode") == "transfer_to" and row.get("workers") == workers:
            runs.append(row)
        elif row.get("kind") == "check":
            check = row
    if not runs:
        return {"error": f"run.sh exit {proc.returncode}: " + (proc.stderr.strip().splitlines() or [""])[-1]}
    r = runs[-1]
    return {
        "transfers_per_s": r["transfers_per_s"],
        "workers": workers,
        "seconds": seconds,
        "errors": r["errors"],
        "lat_p50_ms": r["lat_p50_ms"],
        "client_cpu_s_per_transfer": round(r["client_cpu_s"] / max(r["transfers"], 1), 6),
        "checks_ok": None
        if check is None
        else check["unbalanced_transactions"] == 0 and check["transactions_eq_reported_transfers"],
    }


# -- verify --------------------------------------------------------------------------------------


def time_verify(url: str, instance: str) -> dict:
    """Time `flask ledger verify` (read-only, in a fresh process, as an operator would run it)."""
    env = dict(os.environ, DATABASE_URL=sa_url(url), FLASK_APP="wsgi")
    flask = str(Path(sys.executable).with_name("flask"))
    t0 = time.perf_counter()
    proc = subprocess.run(
        [flask, "--app", "wsgi", "ledger", "verify", "--no-seal"],
        cwd=str(ROOT),
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    # and in-process, without the interpreter's start-up
    from fundapp.extensions import db
    from fundapp.ledger.verify import verify_ledger

    app = make_app(url, instance)
    with app.app_context():
        t1, c1 = time.perf_counter(), time.process_time()
        report = verify_ledger()
        inproc, inproc_cpu = time.perf_counter() - t1, time.process_time() - c1
        db.session.rollback()
        db.engine.dispose()
    return {
        "cli_exit": proc.returncode,
        "cli_wall_s": round(wall, 2),
        "in_process_s": round(inproc, 2),
        "in_process_client_cpu_s": round(inproc_cpu, 2),
        "ok": report.ok,
        "problems": report.problems[:3],
        "cli_tail": (proc.stdout + proc.stderr).strip().splitlines()[-1:] if proc.returncode else None,
    }


def table(result: dict) -> str:
    """The issue's table: postings/s and the ratios to pgbench and to the peer, one row a run."""
    tps = result.get("pgbench", {}).get("mean_tps")
    peer = result.get("hordak", {}).get("transfers_per_s")
    rows = [("production shape (listeners and sealer on)", result["ledger"])]
    for name, label in (
        ("ledger_alone", "ledger alone (no listeners, sealer on)"),
        ("service_without_sealer", "service, listeners on, no sealer"),
        ("bare_ledger_post_without_sealer", "bare ledger_post(), no sealer"),
    ):
        if name in result.get("breakdown", {}):
            rows.append((label, result["breakdown"][name]))
    out = [
        f"| run (PostgreSQL, {result['writers']} writers) | postings/s | ratio to pgbench TPC-B "
        "| ratio to hordak |",
        "|---|---|---|---|",
    ]
    for label, r in rows:
        out.append(
            f"| {label} | {r['postings_per_s']:,.0f} | "
            + (f"{r['postings_per_s'] / tps:.2f}" if tps else "-")
            + " | "
            + (f"{r['postings_per_s'] / peer:.2f}" if peer else "-")
            + " |"
        )
    if peer:
        out.append(
            f"| django-hordak `transfer_to`, {result['writers']} workers | {peer:,.0f} | "
            + (f"{peer / tps:.2f}" if tps else "-")
            + " | 1.00 |"
        )
    if tps:
        out.append(
            f"| pgbench TPC-B, {result['writers']} clients (mean of before/after) | {tps:,.0f} | 1.00 | - |"
        )
    if "rounds" in result:  # every sitting, production shape, and the medians
        out += [
            "",
            "| sitting | postings/s | hordak/s | pgbench tps | × pgbench | × hordak "
            "| machine CPU per posting |",
            "|---|---|---|---|---|---|---|",
        ]

        def cell(v, fmt):
            return "-" if v is None else format(v, fmt)

        for i, r in enumerate(result["rounds"], 1):
            out.append(
                f"| {i} | {r['postings_per_s']:,.0f} | {cell(r['hordak_per_s'], ',.0f')} | "
                f"{cell(r['pgbench_tps'], ',.0f')} | {cell(r['ratio_to_pgbench'], '.2f')} | "
                f"{cell(r['ratio_to_hordak'], '.2f')} | {r['machine_cpu_s_per_posting'] * 1000:.2f} ms |"
            )
        m = result["median"]
        out.append(
            f"| median | {m['postings_per_s']:,.0f} | | | {cell(m.get('ratio_to_pgbench'), '.2f')} | "
            f"{cell(m.get('ratio_to_hordak'), '.2f')} | |"
        )
    return "\n".join(out)


def settle_pg(url: str, vacuum: bool = True) -> None:
    """What the peer does before each of its runs (``reset_ledger`` in its script): VACUUM ANALYZE,
    then CHECKPOINT. Every measured run then starts from a vacuumed database and a fresh checkpoint,
    whatever the run before it wrote (this server runs without autovacuum, so a ledger run would
    otherwise meet the dead rows of every sitting before it, and a checkpoint forced by the peer's
    writes could fall inside one run and not another)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        if vacuum:
            conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")


def seal_backlog(url: str, instance: str) -> int:
    """Seal what runs without a sealer (the breakdown's) left unsealed, with every listener, before
    the next measured run: otherwise the next sitting's production run would seal that backlog too
    and count its cost against its own postings."""
    from fundapp.extensions import db
    from fundapp.ledger import sealing

    app = make_app(url, instance)
    with app.app_context():
        sealed = 0
        while n := sealing.seal_pending():
            db.session.commit()
            sealed += n
        db.session.commit()
        db.engine.dispose()
    return sealed


def sitting(args, url: str, workdir: str, accs: dict, listeners: bool) -> dict:
    """pgbench, the ledger run (production shape), the peer, the breakdown, pgbench again; each run
    starts as the peer's do, vacuumed and just after a checkpoint."""
    out: dict = {}
    pg = args.db == "postgresql"
    seconds = args.pgbench_seconds or 10
    before = run_pgbench(args.writers, seconds) if pg else None
    seal_backlog(url, workdir)
    if pg:
        settle_pg(url)
    out["ledger"] = run_writers(
        url,
        workdir,
        accs,
        args.entries,
        args.writers,
        not args.no_sealer,
        listeners,
        interval=args.seal_interval,
    )
    out["ledger"]["seal_interval_s"] = None if args.no_sealer else args.seal_interval
    if pg and args.peer:  # the peer in the same sitting, between the two baselines
        out["hordak"] = run_hordak(args.writers, args.peer_seconds, args.peer_dir)
    if pg and args.breakdown:  # where the time goes: the same postings, less around them
        out["breakdown"] = {}
        for name, with_sealer, with_listeners, target in (
            ("ledger_alone", True, False, writer),
            ("service_without_sealer", False, listeners, writer),
            ("bare_ledger_post_without_sealer", False, False, raw_writer),
        ):
            seal_backlog(url, workdir)
            settle_pg(url)
            out["breakdown"][name] = run_writers(
                url,
                workdir,
                accs,
                args.entries,
                args.writers,
                with_sealer,
                with_listeners,
                target=target,
                interval=args.seal_interval,
            )
    if pg:
        after = run_pgbench(args.writers, args.pgbench_seconds or max(5, round(out["ledger"]["wall_s"])))
        out["pgbench"] = {"before": before, "after": after}
        runs = [r["tps"] for r in (before, after) if r.get("tps")]
        if runs:
            tps = sum(runs) / len(runs)
            out["pgbench"]["mean_tps"] = round(tps, 1)
            out["ratio_postings_to_pgbench_tps"] = round(out["ledger"]["postings_per_s"] / tps, 3)
            for part in out.get("breakdown", {}).values():
                part["ratio_to_pgbench_tps"] = round(part["postings_per_s"] / tps, 3)
        peer = out.get("hordak", {}).get("transfers_per_s")
        if peer:
            out["ratio_postings_to_hordak_transfer_to"] = round(out["ledger"]["postings_per_s"] / peer, 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--entries", type=int, default=10000, help="postings to make with the writers")
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--preload", type=int, default=100000, help="sealed entries loaded before the run")
    ap.add_argument("--verify-entries", type=int, default=1000000)
    ap.add_argument("--skip-verify", action="store_true")
    ap.add_argument("--no-sealer", action="store_true", help="post only; seal once afterwards")
    ap.add_argument(
        "--seal-interval", type=float, default=0.5, help="seconds between the sealer's rounds (as --interval)"
    )
    ap.add_argument("--skip-posting", action="store_true", help="only the verify part")
    ap.add_argument(
        "--breakdown",
        action="store_true",
        help="PostgreSQL: also post the ledger alone (no listeners), without the sealer, and as bare "
        "ledger_post() calls (no app)",
    )
    ap.add_argument(
        "--without-listeners",
        action="store_true",
        help="the ledger alone: no other domain's posting or seal listeners (production runs them)",
    )
    ap.add_argument(
        "--peer",
        action="store_true",
        help="PostgreSQL: also run django-hordak's transfer_to with as many workers (shared/peers/hordak)",
    )
    ap.add_argument("--peer-seconds", type=int, default=20)
    ap.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="sittings in a row on the same ledger; prints each and the medians",
    )
    ap.add_argument("--peer-dir", default=os.environ.get("PEER_DIR", "/tmp/peer"), help="the peer's venv")
    ap.add_argument("--db-prefix", default="bench_ledger", help="PostgreSQL scratch databases' name prefix")
    ap.add_argument(
        "--reuse-verify-db",
        help="verify the scratch ledger a previous run loaded (PostgreSQL: any value; SQLite: its URL)",
    )
    ap.add_argument(
        "--pgbench-seconds", type=int, default=0, help="default: 10 s before, as long as the ledger run after"
    )
    args = ap.parse_args()
    PREFIX[0] = args.db_prefix
    listeners = not args.without_listeners

    workdir = tempfile.mkdtemp(prefix="ledger_bench_")
    os.environ.setdefault("FUNDAPP_ENV", "benchmark")
    result: dict = {"db": args.db, "writers": args.writers, "cpus": os.cpu_count(), "listeners": listeners}

    if not args.skip_posting:
        url = scratch(args.db, args.db_prefix, workdir)
        result["preload_s"] = round(bulk_load(args.db, url, workdir, args.preload), 1)
        result["preloaded_entries"] = args.preload
        accs = ensure_accounts(url, workdir)
        # one sitting: the baseline just before and just after the ledger run (the disk's and the
        # machine's pace drift), the peer between them; --rounds repeats the sitting on the same
        # ledger and prints every sitting's ratios and their medians
        sittings = [sitting(args, url, workdir, accs, listeners) for _ in range(args.rounds)]
        result.update(sittings[-1])
        if len(sittings) > 1:
            result["rounds"] = [
                {
                    "postings_per_s": r["ledger"]["postings_per_s"],
                    "hordak_per_s": r.get("hordak", {}).get("transfers_per_s"),
                    "pgbench_tps": r.get("pgbench", {}).get("mean_tps"),
                    "ratio_to_pgbench": r.get("ratio_postings_to_pgbench_tps"),
                    "ratio_to_hordak": r.get("ratio_postings_to_hordak_transfer_to"),
                    "machine_cpu_s_per_posting": r["ledger"]["machine_cpu_s_per_posting"],
                }
                for r in sittings
            ]
            result["median"] = {
                k: statistics.median(v)
                for k in ("postings_per_s", "ratio_to_pgbench", "ratio_to_hordak")
                if (v := [r[k] for r in result["rounds"] if r[k] is not None])
            }
        if args.no_sealer or "breakdown" in result:
            from fundapp.extensions import db
            from fundapp.ledger import sealing

            app = make_app(url, workdir)
            with app.app_context():
                t0 = time.perf_counter()
                sealing.make_checkpoint()
                db.session.commit()
                result["ledger"]["seal_after_s"] = round(time.perf_counter() - t0, 2)
                db.engine.dispose()
        check = time_verify(url, workdir)
        result["ledger"]["verify_after_run_ok"] = check["ok"] and check["cli_exit"] == 0
        if listeners:
            # the preload is bulk-loaded without counters, and the "ledger alone" run seals without them
            uncounted = args.preload + (args.entries * args.rounds if "breakdown" in result else 0)
            result["ledger"]["counters_cover_tree"] = counters_cover_tree(url, workdir, uncounted)
    if not args.skip_verify:
        vname = args.db_prefix + "_verify"
        if args.reuse_verify_db:  # time verify again on the ledger a previous run loaded
            vurl = pg_url(vname) if args.db == "postgresql" else args.reuse_verify_db
        else:
            vurl = scratch(args.db, vname, workdir)
            result["verify_load_s"] = round(bulk_load(args.db, vurl, workdir, args.verify_entries), 1)
        result["verify"] = {"entries": args.verify_entries, **time_verify(vurl, workdir)}
    shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result))
    if "ledger" in result:
        print(table(result), file=sys.stderr)


def counters_cover_tree(url: str, instance: str, uncounted: int) -> bool:
    """After the run: do the public counters count every entry sealed with the listeners on, once
    (``uncounted`` entries were sealed without them)?"""
    from fundapp.extensions import db
    from fundapp.ledger import sealing
    from fundapp.transparency import counters

    app = make_app(url, instance)
    with app.app_context():
        covered = counters.coverage().tree_size
        size = sealing.tree_size()
        db.session.rollback()
        db.engine.dispose()
    return covered == size - uncounted


if __name__ == "__main__":
    main()
