"""Full-text search (``fundapp.core.fulltext``) in the organisation directory, the specialists'
profiles, the needs and the library, on the engine of the run (PostgreSQL full text or SQLite
FTS5): ranking, Tajik and Cyrillic letters in any case, hostile input, and what the public never
finds."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from fundapp.community import library, services, specialists
from fundapp.community.models import Organisation
from fundapp.core import fulltext
from fundapp.extensions import db
from tests.fakes.backing import make_project

from .test_specialists import need_data, profile_data

HOSTILE = [
    '"',
    '""',
    '"unclosed phrase',
    "*",
    "школа*",
    "OR",
    "or or",
    "AND",
    "NOT",
    "-",
    "--",
    "-школа",
    "NEAR(",
    "NEAR(a b, 2)",
    "a:b",
    "{title}:x",
    "^start",
    "(",
    ")",
    "'",
    "\\",
    "%",
    "_",
    "!",
    "&|<->",
    "title:*",
    "x" * 5000,
    "ё" * 300,
    "\x00",
    "😀",
]


def _lib_item(staff, title, description=""):
    return library.add_resource(
        staff,
        {
            "title": title,
            "description": description,
            "language": "tg",
            "category": "teaching",
            "audience": "children",
            "url": "https://example.org/x",
            "organisation_id": "",
        },
    )


def _names(q, **filters):
    return [o.name for o in db.session.scalars(services.directory_query(q=q, **filters))]


def _titles(q):
    return [r.title for r in db.session.scalars(library.library_query(q=q))]


def test_parse_reads_a_web_search_and_quotes_every_term():
    assert fulltext.parse("Мактаб  ҶАВОНОН") == ([["мактаб"], ["ҷавонон"]], [])
    assert fulltext.parse('"summer school" OR camp -winter') == ([["summer school", "camp"]], ["winter"])
    assert fulltext.parse('NEAR( "a*" *') == ([["near"], ["a"]], [])
    assert fulltext.parse("-only -excluded") == ([], ["only", "excluded"])
    groups, excluded = fulltext.parse('school OR "x" -y')
    assert fulltext.fts5_query(groups, excluded) == '(("school" OR "x")) NOT "y"'
    assert fulltext.websearch_query(groups, excluded) == '"school" or "x" -"y"'
    assert fulltext.parse("") == ([], []) and fulltext.parse(None) == ([], [])


def test_a_title_hit_ranks_before_a_description_hit(app, people, make_org):
    """Everywhere, a word in the name or title ranks first, though the other row came first
    in the list's own order."""
    make_org(name="Aaa Cultural Union", description="We also run a kitchen with plov on Fridays.")
    make_org(name="Plov Club Moscow", description="Cooking evenings.")
    assert _names("plov") == ["Plov Club Moscow", "Aaa Cultural Union"]
    assert _names("Cultural") == ["Aaa Cultural Union"]

    _lib_item(people.staff, "Dictionary for children", "A picture dictionary with poems")
    _lib_item(people.staff, "Poems of Rudaki", "For reading aloud")  # newer: first without a query
    _lib_item(people.staff, "Arithmetic", "Sums and tables")
    assert _titles("dictionary") == ["Dictionary for children"]
    assert _titles("poems") == ["Poems of Rudaki", "Dictionary for children"]
    # Ranking, not insertion order: the older title hit beats the newer description hit.
    _lib_item(people.staff, "Songbook", "Songs and a few poems")
    assert _titles("poems")[0] == "Poems of Rudaki" and _titles("poems")[-1] in {
        "Songbook",
        "Dictionary for children",
    }

    project = make_project(people.founder, title="Summer school in Khujand")
    owner = f"project:{project.id}"
    specialists.post_need(
        people.founder, need_data(owner, role="Accountant", description="Knows the teacher")
    )
    specialists.post_need(people.founder, need_data(owner, role="Teacher of Tajik", description="Summer"))
    db.session.commit()
    assert [n.role for n in db.session.scalars(specialists.need_query(q="teacher"))] == [
        "Teacher of Tajik",
        "Accountant",
    ]


def test_profiles_rank_skills_and_tags_before_the_summary(app, people, make_user):
    """A profile named for a skill ranks before one that only mentions it, though the second
    has more years (the list's own order)."""
    senior, junior = make_user("member"), make_user("member")
    specialists.save_profile(
        senior, profile_data(skills=["teaching"], tags="", years=30, summary="I know law")
    )
    specialists.save_profile(junior, profile_data(skills=["law"], tags="", years=2, summary="Teacher"))
    db.session.commit()
    found = db.session.scalars(specialists.profile_query(None, q="law")).all()
    assert [p.user_id for p in found] == [junior.id, senior.id]
    assert [p.user_id for p in db.session.scalars(specialists.profile_query(None))] == [senior.id, junior.id]


def test_skills_are_found_by_their_name_in_every_language(app, people, make_user):
    """A profile saved by an English reader is found by the skill's Tajik and Russian names."""
    specialist = make_user("member")
    specialists.save_profile(specialist, profile_data(skills=["law"], tags="", summary=""))
    db.session.commit()
    from flask_babel import force_locale

    with force_locale("ru"):
        russian = str(specialists.skill_label("law"))
    with force_locale("tg"):
        tajik = str(specialists.skill_label("law"))
    assert russian != "Law" and tajik != "Law"
    for word in ("law", russian.upper(), tajik.upper()):
        assert len(db.session.scalars(specialists.profile_query(None, q=word)).all()) == 1, word


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("Маркази фарҳангии тоҷикон", "ФАРҲАНГИИ"),
        ("ҒАЗАЛХОНӢ ВА ШЕЪР", "ғазалхонӣ"),
        ("Қиссаҳои халқӣ", "ҚИССАҲОИ"),
        ("Кӯдакистони Ӯсмон", "кӯдакистони ӯсмон"),
        ("ҶАВОНОНИ ҲАМВАТАН", "ҷавонони"),
        ("Дӯстони Ӣ", "ӣ"),
        ("Русская школа в Казани", "ШКОЛА"),
        ("Ёлка и Новый год", "ёЛКА"),
    ],
)
def test_tajik_and_cyrillic_letters_are_found_in_any_case(app, people, make_org, stored, typed):
    make_org(name=stored)
    make_org(name="Navruz Club", description="Something else entirely.")
    _lib_item(people.staff, stored)
    db.session.commit()
    assert _names(typed) == [stored]
    assert _titles(typed) == [stored]


def test_a_letter_with_a_mark_is_its_own_letter(app, make_org):
    """ӣ is not и, ӯ is not у, ҳ is not х: Tajik words differ by these letters."""
    make_org(name="Китобхонаи Ӯ")
    assert _names("у") == [] and _names("ӯ") == ["Китобхонаи Ӯ"]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_input_never_fails(app, people, make_org, make_user, q):
    """Quotes, operators, stars, parentheses and overlong text: an answer, never an error, on
    every list and through the pages."""
    make_org(name="Школа Ҳамватан", description="NEAR school * OR quotes")
    specialists.save_profile(make_user("member"), profile_data())
    _lib_item(people.staff, "Алифбо", "OR NOT NEAR")
    db.session.commit()
    db.session.scalars(services.directory_query(q=q)).all()
    db.session.scalars(library.library_query(q=q)).all()
    db.session.scalars(specialists.profile_query(None, q=q)).all()
    db.session.scalars(specialists.need_query(q=q)).all()
    c = app.test_client()
    for path in (
        "/organisations",
        "/library",
        "/specialists",
        "/needs",
        "/api/v1/organisations",
        "/api/v1/library",
    ):
        assert c.get(path, query_string={"q": q}).status_code == 200, path


def test_operators_work_like_a_web_search(app, make_org):
    make_org(name="Summer school Khujand", description="Children")
    make_org(name="Winter school Dushanbe", description="Children")
    make_org(name="Summer camp", description="Youth")
    assert set(_names("school")) == {"Summer school Khujand", "Winter school Dushanbe"}
    assert set(_names("school -winter")) == {"Summer school Khujand"}
    assert set(_names("camp OR khujand")) == {"Summer camp", "Summer school Khujand"}
    assert set(_names('"summer school"')) == {"Summer school Khujand"}
    assert set(_names('"school summer"')) == set()
    assert set(_names("summer children")) == {"Summer school Khujand"}
    # no word to look for: the list is not narrowed
    assert len(_names("-winter")) == 3 and len(_names('"" *')) == 3


def test_the_index_follows_edits_and_deletions(app, people, make_org):
    """The index is kept by the database: an edit is found by its new words only, a deleted
    row is gone."""
    org = make_org(name="Old Name Society")
    data = {
        k: getattr(org, k)
        for k in ("name", "kind", "country", "city", "description", "website", "year_founded")
    }
    services.update_organisation(
        org,
        people.founder,
        {**data, "name": "Fresh Title Society", "languages": ["tg"], "fields": ["culture"]},
    )
    db.session.commit()
    assert _names("old") == [] and _names("fresh") == ["Fresh Title Society"]
    # a direct UPDATE (not through a service) is followed too
    db.session.execute(
        text("UPDATE organisations SET search_title = 'renamed', search_text = 'renamed' WHERE id = :i"),
        {"i": org.id},
    )
    db.session.commit()
    assert _names("fresh") == [] and _names("renamed") == ["Fresh Title Society"]
    db.session.execute(text("DELETE FROM organisation_members WHERE organisation_id = :i"), {"i": org.id})
    db.session.execute(text("DELETE FROM organisations WHERE id = :i"), {"i": org.id})
    db.session.commit()
    assert _names("renamed") == []


def test_hidden_unverified_and_unpublished_rows_are_never_found_by_the_public(
    app, people, make_org, make_user
):
    """Search narrows the visible rows; it never widens them."""
    make_org(verified=False, name="Pending Secret Society")
    declined = make_org(verified=False, name="Declined Secret Society")
    services.decline_organisation(declined, people.staff, "Not an organisation of compatriots.")
    make_org(name="Verified Open Society")
    hidden, members_only = make_user("member"), make_user("member")
    specialists.save_profile(hidden, profile_data(summary="secretword hidden", visibility="hidden"))
    specialists.save_profile(members_only, profile_data(summary="secretword members", visibility="members"))
    org = db.session.scalar(select(Organisation).where(Organisation.name == "Verified Open Society"))
    library.add_resource(
        people.founder,
        {
            "title": "Secret pending item",
            "description": "",
            "language": "tg",
            "category": "teaching",
            "audience": "children",
            "url": "https://example.org/y",
            "organisation_id": str(org.id),
        },
    )
    db.session.commit()
    assert _names("secret") == [] and _names("society") == ["Verified Open Society"]
    assert _titles("secret") == []
    assert db.session.scalars(specialists.profile_query(None, q="secretword")).all() == []
    signed_in = db.session.scalars(specialists.profile_query(people.stranger, q="secretword")).all()
    assert [p.user_id for p in signed_in] == [members_only.id]
    anon = app.test_client()
    private = (
        "Pending Secret",
        "Declined Secret",
        "Secret pending",
        hidden.full_name,
        members_only.full_name,
    )
    for path in ("/organisations", "/api/v1/organisations", "/library", "/api/v1/library", "/specialists"):
        for q in ("secret", "secretword", "society"):
            body = anon.get(path, query_string={"q": q}).get_data(as_text=True)
            assert not [p for p in private if p in body], (path, q)


def test_matching_adds_the_profiles_that_mention_the_role(app, people, make_user):
    """Of two specialists with the same skills, the one whose profile names the role ranks first,
    and says so."""
    a, b = make_user("member"), make_user("member")
    specialists.save_profile(a, profile_data(tags="", summary="Twenty years in classrooms", years=20))
    specialists.save_profile(b, profile_data(tags="", summary="Ran a Tajik summer school", years=3))
    project = make_project(people.founder, title="Camp")
    need = specialists.post_need(
        people.founder, need_data(f"project:{project.id}", role="Summer school teacher")
    )
    db.session.commit()
    ranked = specialists.specialists_for(need, people.founder)
    assert [p.user_id for p, _, _ in ranked] == [b.id, a.id]
    assert (
        "The profile mentions the role" in ranked[0][2]
        and "The profile mentions the role" not in ranked[1][2]
    )
