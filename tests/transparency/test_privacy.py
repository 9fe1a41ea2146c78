"""No personal data in public: people with distinctive private details back projects anonymously
through the real funding services; no public page, API answer or download may show those details.
A backer who chose a public name appears under that name only.

The project's author is named in public only if they chose to be (``show_name_publicly``); the
owner here did not, so their name is one of the secrets.)"""

from __future__ import annotations

import re

import pytest
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from fundapp.core.money import Money
from fundapp.core.security import is_public_endpoint
from fundapp.extensions import db

SECRETS = {
    "email": "zebuniso.hidden.7731@example.org",
    "phone": "+992 93 777 31 31",
    "full_name": "Zebunisso Qwertyovna-Hidden",
    "city": "Secretgrad-on-Volga",
    "owner_phone": "+992 900 00 00 01",
    "owner_name": "Owner Private Name",
    "guest_email": "guest.hidden.5511@example.org",
}
PUBLIC_NAME = "Friend of Kulob 2026"


@pytest.fixture
def private_backing(app, make_user, people, project_in, books):
    from fundapp.funding import donations as donation_services

    backer = make_user(
        "member",
        email=SECRETS["email"],
        full_name=SECRETS["full_name"],
        phone=SECRETS["phone"],
        city_of_residence=SECRETS["city"],
        country_of_residence="RU",
        show_name_publicly=False,
    )
    named = make_user("member", full_name="Named Person Private", show_name_publicly=True)
    project = project_in("fundraising", home_district="kulob")
    donations = [
        donation_services.start_donation(
            project, amount=Money(25_000, "TJS"), method="bank", email=None, backer=backer
        ),
        donation_services.start_donation(
            project, amount=Money(10_000, "TJS"), method="mto", email=SECRETS["guest_email"], backer=None
        ),
        donation_services.start_donation(
            project,
            amount=Money(5_000, "TJS"),
            method="bank",
            email=None,
            backer=named,
            public_name=PUBLIC_NAME,
        ),
    ]
    db.session.commit()
    for d in donations:
        donation_services.receive_donation(d, actor=people.treasurer, via=d.method)
    db.session.commit()
    books.seal()
    return project


def _urls(app, project_ids):
    """Every public GET route, with its parameters filled from the data we made."""
    from fundapp.transparency.routes import DOWNLOADS

    for rule in app.url_map.iter_rules():
        if (
            "GET" not in rule.methods
            or not is_public_endpoint(app, rule.endpoint)
            or rule.endpoint == "static"
        ):
            continue
        if not rule.arguments:
            yield rule.rule
            continue
        choices = []
        for arg in rule.arguments:
            conv = rule._converters[arg]
            if isinstance(conv, IntegerConverter):
                choices.append([(arg, i) for i in (*project_ids, 1, 2, 3)])
            elif isinstance(conv, AnyConverter):
                choices.append([(arg, v) for v in conv.items])
            elif rule.endpoint == "transparency.download":
                choices.append([(arg, n) for n in DOWNLOADS])
            else:
                choices = None
                break
        if choices is None:
            continue
        import itertools

        for combo in itertools.product(*choices):
            yield rule.build(dict(combo), append_unknown=False)[1]


def test_no_private_detail_in_any_public_page_or_download(app, client, private_backing):
    """Searching every public page, API answer and download (in all languages): is any email,
    phone, private name or city of the people involved there? And is the chosen public name?"""
    urls = sorted(set(_urls(app, [private_backing.id])))
    assert any(u.startswith("/transparency/data/") for u in urls) and "/transparency" in urls
    assert any(u.startswith("/api/v1/") for u in urls)
    leaks, seen_public_name, fetched = [], False, 0
    for url in urls:
        for lang in ("en", "tg", "ru") if not url.startswith(("/api/", "/transparency/data/")) else ("en",):
            sep = "&" if "?" in url else "?"
            r = client.get(f"{url}{sep}lang={lang}")
            if r.status_code != 200:
                continue
            fetched += 1
            body = r.get_data(as_text=True)
            low = body.lower()
            for what, value in SECRETS.items():
                if value.lower() in low:
                    leaks.append(f"{what} in {url}")
            # a phone number in another spacing
            if re.search(r"\+?992\W*93\W*777\W*31\W*31", body):
                leaks.append(f"phone in {url}")
            seen_public_name |= PUBLIC_NAME in body
    # the ledger's pages beyond the first
    for page in ("/transparency/ledger?before=2", f"/transparency/ledger?project={private_backing.id}"):
        body = client.get(page).get_data(as_text=True).lower()
        leaks += [f"{w} in {page}" for w, v in SECRETS.items() if v.lower() in body]
    assert fetched > 20
    assert leaks == []
    assert seen_public_name, "the backer who chose a public name should appear under it"


def test_anonymous_backers_in_the_journal(client, private_backing):
    """Does the journal show the two anonymous donations as "anonymous backer" and the third
    under its chosen name?"""
    html = client.get(f"/transparency/ledger?project={private_backing.id}&lang=en").get_data(as_text=True)
    assert html.count("anonymous backer") == 2
    assert html.count(PUBLIC_NAME) == 1


def test_the_author_is_named_only_if_they_chose_to_be(app, client, people, project_in):
    """Does the project page (and its API answer) show a neutral "Project team" instead of the
    author's name, both as the proposer and in the team, until the author opts in to being named
    publicly — and their public name once they do?"""
    project = project_in("fundraising")
    url, api = f"/projects/{project.id}?lang=en", f"/api/v1/projects/{project.id}"
    page = client.get(url).get_data(as_text=True)
    answer = client.get(api).get_data(as_text=True)
    assert "Owner Private Name" not in page and "Owner Private Name" not in answer
    assert re.search(r"<dt>Proposed by</dt><dd>Project team</dd>", page)
    assert client.get(api).get_json()["team"][0]["name"] == "Project team"
    people.owner.show_name_publicly = True
    people.owner.public_name = "Rahim from Kulob"
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert re.search(r"<dt>Proposed by</dt><dd>Rahim from Kulob</dd>", page)
    assert "<li>Rahim from Kulob — " in page
    assert client.get(api).get_json()["team"][0]["name"] == "Rahim from Kulob"


def test_countries_with_few_backers_are_shown_as_other(app, client, books, project_in):
    """With the default minimum of 5 backers, is a country with 5 backers named, while the
    countries of one and two backers appear only together as "other", in the dashboard's chart and
    in the API, amounts still adding up?"""
    from fundapp.transparency import counters

    assert app.config["TRANSPARENCY_MIN_GROUP_BACKERS"] == 5
    p = project_in("fundraising")
    people = {str(i): (f"user:{i}", "RU") for i in range(5)}
    people.update({"5": ("user:5", "KZ"), "6": ("user:6", "DE"), "7": ("user:7", "DE")})
    counters.register_backer_resolver("test_gift", lambda sid: people[sid])
    try:
        for sid in people:
            books.donate(p, 1000 + int(sid), source=("test_gift", sid))
        books.seal()
        items = client.get("/api/v1/transparency/breakdown/country?currency=TJS").get_json()["items"]
        assert items == [{"key": "RU", "amount": 5010}, {"key": "other", "amount": 1005 + 1006 + 1007}]
        html = client.get("/transparency?lang=en").get_data(as_text=True)
        chart = html[html.index('id="by-country-tjs"') :][:6000]
        assert "Russia" in chart and "Other countries" in chart
        assert "Kazakhstan" not in chart and "Germany" not in chart
    finally:
        counters._backer_resolvers.pop("test_gift", None)
