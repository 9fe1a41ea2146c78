"""The public pages: dashboard, journal (keyset pages and filters), a project's money, verify,
open data — public, correct, and never a 500 on odd input."""

from __future__ import annotations

import re

import pytest

from fundapp.transparency import services as svc


def _text(r) -> str:
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


@pytest.mark.parametrize(
    "url", ["/transparency", "/transparency/ledger", "/transparency/verify", "/transparency/data"]
)
def test_pages_are_public_and_render_without_money(client, url):
    """Are the transparency pages reachable without an account, even before any money moved?"""
    assert client.get(url).status_code == 200


def test_dashboard_shows_totals_and_accessible_charts(client, books, project_in):
    """Does the dashboard show each total and draw its charts as accessible SVG with tables?"""
    p = project_in("fundraising", home_district="khujand")
    books.donate(p, 123_456)
    books.disburse(p, 23_456)
    books.seal()
    html = _text(client.get("/transparency?lang=en"))
    assert re.search(r'data-total="received-TJS">1,234.56\s*TJS', html)
    assert re.search(r'data-total="disbursed-TJS">234.56\s*TJS', html)
    assert re.search(r'data-total="held-TJS">1,000.00\s*TJS', html)
    assert html.count('role="img"') >= 6
    assert "aria-labelledby=" in html and "<desc id=" in html
    assert "<table>" in html and "Sughd" in html
    assert "<script" not in html and "style=" not in html


def test_dashboard_switches_currency_of_charts(client, books, project_in):
    """With money in two currencies, can the charts be shown in each, and an unknown currency
    falls back to a known one?"""
    p = project_in("fundraising")
    books.donate(p, 1_000, currency="TJS")
    books.donate(p, 700, currency="USD")
    assert "Charts in USD" in _text(client.get("/transparency?currency=USD&lang=en"))
    assert "Charts in TJS" in _text(client.get("/transparency?currency=XXX&lang=en"))


def test_ledger_newest_first_with_legs_hash_and_proof(client, books, project_in):
    """Does the journal list entries newest first with their legs, hash and proof link, and show
    a backer only under the name they chose, otherwise as an anonymous backer?"""
    p = project_in("fundraising")
    books.donate(p, 5_000, label="Rustam from Moscow")
    books.donate(p, 6_000)
    books.seal()
    html = _text(client.get("/transparency/ledger?lang=en"))
    first, second = html.index('id="entry-2"'), html.index('id="entry-1"')
    assert first < second
    assert "Rustam from Moscow" in html and "anonymous backer" in html
    assert "/api/v1/ledger/entries/1/proof" in html
    assert re.search(r'class="hash">[0-9a-f]{64}<', html)
    assert "Held for project" in html


def test_ledger_keyset_pages_walk_the_whole_journal(client, books, project_in):
    """Following "older" links from the first page, is every entry shown exactly once, and do
    "newer" links lead back?"""
    p = project_in("fundraising")
    for i in range(7):
        books.donate(p, 100 + i)
    books.seal()
    seen, url = [], None
    page = svc.ledger_page(svc.parse_filters({}), size=3)
    seen += [e.sequence for e in page.entries]
    while page.older:
        url = page.older
        page = svc.ledger_page(svc.parse_filters({"before": str(url)}), size=3)
        seen += [e.sequence for e in page.entries]
    assert seen == [7, 6, 5, 4, 3, 2, 1]
    back = svc.ledger_page(svc.parse_filters({"after": str(page.newer)}), size=3)
    assert [e.sequence for e in back.entries] == [4, 3, 2]
    assert back.newer == 4 and back.older == 2


def test_ledger_filters(client, books, project_in):
    """Do the project, kind, currency and account filters keep only matching entries?"""
    a, b = project_in("fundraising"), project_in("fundraising")
    books.donate(a, 1_000)
    books.donate(b, 2_000)
    books.donate(b, 300, currency="USD", channel="mto_clearing")
    books.disburse(b, 500)
    books.seal()

    def seqs(**args):
        return [e.sequence for e in svc.ledger_page(svc.parse_filters(args)).entries]

    assert seqs(project=str(b.id)) == [4, 3, 2]
    assert seqs(kind="disbursement") == [4]
    assert seqs(currency="usd") == [3]
    assert seqs(account="mto_clearing") == [3]
    assert seqs(account=f"project:{a.id}") == [1]
    today = __import__("datetime").date.today().isoformat()
    assert seqs(**{"from": today, "to": today}) == [4, 3, 2, 1]
    assert seqs(**{"from": "2001-01-01", "to": "2001-12-31"}) == []
    html = _text(client.get(f"/transparency/ledger?project={b.id}&kind=donation&lang=en"))
    assert 'id="entry-2"' in html and 'id="entry-4"' not in html and 'id="entry-1"' not in html


@pytest.mark.parametrize(
    "query",
    [
        "project=abc",
        "project=-1",
        "kind=bogus",
        "currency=ZZZ",
        "account=%3Cscript%3E",
        "from=2026-13-45",
        "from=2026-05-01&to=2026-01-01",
        "before=99999999999999999999999",
        "project=" + "9" * 40,
    ],
)
def test_bad_ledger_filters_are_a_clear_400(client, query):
    """Do unreadable filter values get the page back with a message (400), never a 500?"""
    r = client.get(f"/transparency/ledger?{query}&lang=en")
    assert r.status_code == 400
    assert 'role="alert"' in r.get_data(as_text=True)


def test_every_bad_filter_is_shown_at_once_with_what_was_typed(client):
    """Three unreadable values: are all three marked on their own fields, listed in one summary
    linking to them, and is every value typed (good ones too) still in the form?"""
    r = client.get("/transparency/ledger?project=12a&currency=ZZZ&account=ok-1&from=2026-13-45&lang=en")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    start = html.index('class="flash flash-error error-summary"')
    summary = html[start : html.index("</ul>", start)]
    for field in ("project", "currency", "from"):
        assert f'href="#f-{field}"' in summary
        assert f'aria-describedby="f-{field}-error"' in html
        assert f'id="f-{field}-error"' in html
    assert "Please give a whole number, for example 12." in html
    assert "Unknown currency." in html
    assert "Please give a date as YYYY-MM-DD." in html
    assert "f-account-error" not in html  # the good value is not marked
    for typed in ('value="12a"', 'value="ZZZ"', 'value="ok-1"', 'value="2026-13-45"'):
        assert typed in html


def test_bad_filters_read_in_tajik_and_russian(client):
    for lang, words in (
        ("tg", "Лутфан адади бутун нависед, масалан 12."),
        ("ru", "Укажите целое число, например 12."),
    ):
        html = client.get(f"/transparency/ledger?project=x&lang={lang}").get_data(as_text=True)
        assert words in html
        assert "Please" not in html


def test_a_bad_filter_cursor_is_listed_without_a_field(client):
    """``before`` is the page cursor, not a field of the form: its error is in the summary only."""
    html = client.get("/transparency/ledger?before=zz&lang=en").get_data(as_text=True)
    start = html.index('class="flash flash-error error-summary"')
    summary = html[start : html.index("</ul>", start)]
    assert "Please give a whole number, for example 12." in summary
    assert "href=" not in summary


def test_project_money_page_agrees_with_the_counters(client, books, project_in):
    """Does a project's money page show what the project received (by channel), holds and had
    paid out, and link to its entries in the journal?"""
    p = project_in("fundraising")
    books.donate(p, 10_000, channel="bank")
    books.donate(p, 2_500, channel="stripe_clearing")
    books.disburse(p, 4_000)
    books.seal()
    html = _text(client.get(f"/projects/{p.id}/money?lang=en"))
    assert re.search(r'data-total="received-TJS">125.00\s*TJS', html)
    assert re.search(r'data-total="channel-card-TJS">25.00\s*TJS', html)
    assert re.search(r'data-total="held-TJS">85.00\s*TJS', html)
    assert re.search(r'data-total="disbursed-TJS">40.00\s*TJS', html)
    assert f"/transparency/ledger?project={p.id}" in html


def test_project_money_page_is_only_for_published_projects(client, project_in):
    """Is the money page of a draft (or unknown) project a 404?"""
    draft = project_in("draft")
    assert client.get(f"/projects/{draft.id}/money").status_code == 404
    assert client.get("/projects/999999/money").status_code == 404


def test_project_page_includes_the_money_section(client, books, project_in):
    """Does the public project page include this package's money section?"""
    p = project_in("fundraising")
    books.donate(p, 4_200)
    books.seal()
    html = _text(client.get(f"/projects/{p.id}?lang=en"))
    assert 'id="project-money-h"' in html
    assert re.search(r'data-total="received-TJS">42.00\s*TJS', html)


def test_verify_page_shows_the_latest_checkpoint(client, books, project_in):
    """Does the verify page explain the checkpoints and show the latest one and the public key,
    in each language?"""
    from fundapp.ledger.sealing import latest_checkpoint

    p = project_in("fundraising")
    books.donate(p, 100)
    books.seal()
    cp = latest_checkpoint()
    for lang in ("en", "ru", "tg"):
        html = _text(client.get(f"/transparency/verify?lang={lang}"))
        assert cp.public_key.hex() in html and cp.root_hash.hex() in html
        assert "tools/verify_ledger.py" in html
        assert f'lang="{lang}"' in html


def test_verify_page_without_checkpoint(client):
    """Before any checkpoint, does the verify page say so rather than fail?"""
    assert "No checkpoint" in _text(client.get("/transparency/verify?lang=en"))


def test_data_page_lists_every_download(client):
    """Does the open-data page link to every download, and do unknown names give a 404?"""
    from fundapp.transparency.routes import DOWNLOADS

    html = _text(client.get("/transparency/data"))
    for name in DOWNLOADS:
        assert f"/transparency/data/{name}" in html
    assert client.get("/transparency/data/secrets.csv").status_code == 404


def test_cached_pages_are_the_same_for_every_anonymous_visitor(app_factory):
    """With the page cache on, is the dashboard computed once per period (no query on a second
    visit), and is what two visitors who are not signed in get free of any per-visitor token or
    cookie?"""
    from sqlalchemy import event

    from fundapp.extensions import db

    app = app_factory(TRANSPARENCY_CACHE_SECONDS=60)
    with app.app_context():
        engine = db.engine
    # no outer app context: each request has its own, as in production
    first, second = app.test_client(), app.test_client()
    assert first.get("/transparency?lang=en").status_code == 200
    seen = []

    def capture(*args):
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", capture)
    try:
        r1 = first.get("/transparency?lang=en")
        r2 = second.get("/transparency?lang=en")
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert not [s for s in seen if "transparency_counters" in s]
    assert r1.get_data() == r2.get_data()
    assert "csrf_token" not in r1.get_data(as_text=True)
    assert "Set-Cookie" not in r1.headers and "Set-Cookie" not in r2.headers
    assert "Where the money goes" in r1.get_data(as_text=True)


def test_project_page_is_cached_for_anonymous_visitors_only(app, project_in, make_user):
    """With the page cache on, do visitors who are not signed in share one rendering of a project
    page, while a signed-in member always gets a fresh one?"""
    from fundapp.extensions import db
    from tests.conftest import login_as

    project = project_in("fundraising")
    app.config["TRANSPARENCY_CACHE_SECONDS"] = 60
    url = f"/projects/{project.id}?lang=en"
    first, second = app.test_client(), app.test_client()
    assert first.get(url).status_code == 200
    project.title = "A title changed after the page was cached"
    db.session.commit()
    r2 = second.get(url).get_data(as_text=True)
    assert 'name="csrf_token"' not in r2
    assert "A title changed after the page was cached" not in r2
    member = app.test_client()
    login_as(member, make_user("member"))
    assert "A title changed after the page was cached" in member.get(url).get_data(as_text=True)


def test_verify_page_serves_the_tools_and_the_format(client, books, project_in):
    """Does the verify page show the checkpoint's note and verifier key, render the format with its
    test vectors, and serve the verifier, the witness, the format and the vectors for download?"""
    from pathlib import Path

    cp = client.get("/api/v1/ledger/checkpoint").get_json()
    html = client.get("/transparency/verify?lang=en").get_data(as_text=True)
    assert cp["vkey"] in html and "cosignature/v1" in html and "<table>" in html
    assert "The formats, precisely" in html and "Become a witness" in html
    root = Path(__file__).resolve().parents[2]
    for name, path in [
        ("verify_ledger.py", "tools/verify_ledger.py"),
        ("witness.py", "tools/witness.py"),
        ("LEDGER_FORMAT.md", "docs/LEDGER_FORMAT.md"),
        ("ledger-test-vectors.json", "docs/ledger-test-vectors.json"),
    ]:
        r = client.get(f"/transparency/verify/{name}")
        assert r.status_code == 200 and r.data == (root / path).read_bytes()
        assert "attachment" in r.headers["Content-Disposition"]
        assert f"/transparency/verify/{name}" in html
    assert client.get("/transparency/verify/config.py").status_code == 404
    assert client.get("/transparency/verify/..%2Fwsgi.py").status_code == 404
