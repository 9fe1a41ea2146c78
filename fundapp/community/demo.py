"""Demo organisations in several countries (two of them government agencies: the Ministry of
Labour, Migration and Employment — MoLMEP — and the Ministry of Education and Science), with
members, requests to join, and library items. Idempotent: an organisation is found by its name.
``ctx["organisations"]`` maps a short key to each organisation."""

from __future__ import annotations

from sqlalchemy import select

from fundapp.extensions import db

from . import services
from .models import Organisation, OrganisationStatus

# key, registered by, status, fields
ORGANISATIONS = [
    (
        "molmep",
        "administrator",
        "verified",
        {
            "name": "Вазорати меҳнат, муҳоҷират ва шуғли аҳолии Ҷумҳурии Тоҷикистон",
            "kind": "government_agency",
            "country": "TJ",
            "city": "Душанбе",
            "languages": ["tg", "ru"],
            "fields": ["migrants_rights", "business"],
            "year_founded": 2013,
            "website": "https://mehnat.tj",
            "description": "Вазорат муҳоҷирони меҳнатиро дастгирӣ мекунад ва иҷрои Нақшаи чорабиниҳоро "
            "ҷамъбаст менамояд.",
        },
    ),
    (
        "education_ministry",
        "administrator",
        "verified",
        {
            "name": "Вазорати маориф ва илми Ҷумҳурии Тоҷикистон",
            "kind": "government_agency",
            "country": "TJ",
            "city": "Душанбе",
            "languages": ["tg", "ru"],
            "fields": ["education", "language"],
            "year_founded": 1991,
            "website": "https://maorif.tj",
            "description": "Китобҳои дарсӣ ва маводи таълимии забони тоҷикӣ барои мактабҳои ҳамватанон.",
        },
    ),
    (
        "kazan_centre",
        "member",
        "verified",
        {
            "name": "Маркази фарҳангии тоҷикон дар Қазон",
            "kind": "cultural_centre",
            "country": "RU",
            "city": "Казань",
            "languages": ["tg", "ru"],
            "fields": ["culture", "language", "youth"],
            "year_founded": 2009,
            "website": "",
            "description": "Дарсҳои забони тоҷикӣ барои кӯдакон, шабнишиниҳои Наврӯз ва Рӯзи Истиқлолият.",
        },
    ),
    (
        "moscow_association",
        "member",
        "verified",
        {
            "name": "Ассотсиатсияи муҳоҷирони тоҷик дар Маскав",
            "kind": "association",
            "country": "RU",
            "city": "Москва",
            "languages": ["tg", "ru", "uz"],
            "fields": ["migrants_rights", "charity"],
            "year_founded": 2004,
            "website": "",
            "description": "Маслиҳати ҳуқуқӣ, кӯмак дар ҳолатҳои душвор ва дастгирии оилаҳои муҳоҷирон.",
        },
    ),
    (
        "almaty_students",
        "member2",
        "verified",
        {
            "name": "Иттиҳодияи донишҷӯёни тоҷик дар Алмаато",
            "kind": "student_union",
            "country": "KZ",
            "city": "Алматы",
            "languages": ["tg", "ru", "kk"],
            "fields": ["youth", "education", "science"],
            "year_founded": 2016,
            "website": "",
            "description": "Донишҷӯёни тоҷик дар донишгоҳҳои Қазоқистон ба ҳамдигар кӯмак мекунанд.",
        },
    ),
    (
        "istanbul_business",
        "member3",
        "verified",
        {
            "name": "Клуби соҳибкорони тоҷик дар Истанбул",
            "kind": "business_club",
            "country": "TR",
            "city": "Истанбул",
            "languages": ["tg", "tr", "ru"],
            "fields": ["business"],
            "year_founded": 2018,
            "website": "",
            "description": "Соҳибкорони тоҷик дар Туркия таҷрибаи худро бо ҳамватанон мубодила мекунанд.",
        },
    ),
    (
        "new_york_community",
        "member",
        "verified",
        {
            "name": "Ҷамъияти тоҷикони Ню-Йорк",
            "kind": "association",
            "country": "US",
            "city": "Ню-Йорк",
            "languages": ["en", "tg", "ru"],
            "fields": ["culture", "charity"],
            "year_founded": 2011,
            "website": "",
            "description": "Ҷашнҳои Наврӯз ва Рӯзи Истиқлолият, ёрӣ ба навомадагон аз Тоҷикистон.",
        },
    ),
    (
        "berlin_school",
        "member3",
        "pending",
        {
            "name": "Мактаби якшанбеии тоҷикӣ дар Берлин",
            "kind": "school",
            "country": "DE",
            "city": "Берлин",
            "languages": ["tg", "de"],
            "fields": ["education", "language"],
            "year_founded": 2021,
            "website": "",
            "description": "Дарсҳои рӯзи якшанбе: забон, адабиёт ва таърихи тоҷик барои кӯдакони 6–14 сола.",
        },
    ),
]


def load(ctx: dict) -> None:
    users = ctx.get("users") or {}
    staff = users.get("administrator2") or users.get("administrator")
    orgs = ctx.setdefault("organisations", {})
    for key, owner_key, status, data in ORGANISATIONS:
        org = db.session.scalar(select(Organisation).where(Organisation.name == data["name"]))
        owner = users.get(owner_key)
        if org is None and owner is not None:
            org = services.register_organisation(owner, data)
            if status == "verified" and staff is not None:
                services.verify_organisation(org, staff)
        if org is not None:
            orgs[key] = org
    # members and a request waiting for an admin
    kazan, moscow = orgs.get("kazan_centre"), orgs.get("moscow_association")
    if kazan is not None and moscow is not None and kazan.status == OrganisationStatus.verified:
        for person, org, accept in (
            (users.get("member3"), moscow, True),
            (users.get("member2"), kazan, False),
        ):
            if person is None or services.membership(person, org) is not None:
                continue
            row = services.request_membership(org, person)
            if accept:
                services.accept_membership(org, users["member"], row.id)
    _load_library(users, orgs)
    _load_support(users, orgs)
    _load_specialists(users, orgs)
    db.session.flush()


# title, by (an organisation key, or None for the fund's staff), language, category, audience, link
RESOURCES = [
    ("Алифбои тоҷикӣ барои кӯдакони муҳоҷирон", None, "tg", "teaching", "children", "https://maorif.tj"),
    (
        "Памятка трудового мигранта: права и обязанности в России",
        "moscow_association",
        "ru",
        "legal",
        "migrants",
        "https://mehnat.tj",
    ),
    (
        "Чӣ тавр маркази фарҳангӣ кушодан мумкин аст",
        None,
        "tg",
        "organisation",
        "organisations",
        "https://hamvatan.tj",
    ),
    (
        "Наврӯз: сценарий праздника для воскресной школы",
        "kazan_centre",
        "ru",
        "culture",
        "teachers",
        "https://example.org/navruz",
    ),
]


def _load_library(users, orgs) -> None:
    from . import library
    from .models import Resource

    staff = users.get("administrator")
    for title, org_key, lang, category, audience, url in RESOURCES:
        if staff is None or db.session.scalar(select(Resource.id).where(Resource.title == title)):
            continue
        org = orgs.get(org_key) if org_key else None
        author = staff
        if org is not None:
            author = next(
                (
                    users[k]
                    for k in ("member", "member2", "member3")
                    if k in users and services.is_organisation_admin(users[k], org)
                ),
                None,
            )
            if author is None:
                continue
        data = {
            "title": title,
            "description": "",
            "language": lang,
            "category": category,
            "audience": audience,
            "url": url,
            "organisation_id": str(org.id) if org else "",
        }
        res = library.add_resource(author, data)
        if org is not None and org_key == "kazan_centre":
            library.publish_resource(res, users.get("administrator2") or staff)


def _load_support(users, orgs) -> None:
    from fundapp.core.money import Money

    from . import support
    from .models import SupportRequest

    staff, member, member2 = users.get("administrator"), users.get("member"), users.get("member2")
    kazan = orgs.get("kazan_centre")
    if staff is None or member is None or kazan is None or not kazan.verified:
        return
    title = "Китобҳои тоҷикӣ барои китобхонаи марказ дар Қазон"
    if db.session.scalar(select(SupportRequest.id).where(SupportRequest.title == title)) is None:
        req = support.submit_request(
            member,
            {
                "organisation_id": str(kazan.id),
                "kind": "library",
                "title": title,
                "description": "Ҳар шанбе 60 кӯдак ба дарсҳои забони тоҷикӣ меоянд; китоб кам аст.",
                "needs": "300 китоби бадеӣ ва дарсӣ ба забони тоҷикӣ",
            },
            budget=Money(1200000, "RUB"),
        )
        support.take_on(req, staff)
        support.ask_for_more(req, staff, "Кадом синфҳо ва кадом китобҳо лозиманд? Рӯйхат фиристед.")
    title = "Ёрии ҳуқуқӣ барои иттиҳодияи нав дар Алмато"
    if (
        member2 is not None
        and db.session.scalar(select(SupportRequest.id).where(SupportRequest.title == title)) is None
    ):
        req = support.submit_request(
            member2,
            {
                "organisation_id": "",
                "kind": "legal_help",
                "title": title,
                "description": "Мо иттиҳодияи коргарони тоҷикро таъсис медиҳем; "
                "барои навиштани оинномааш ёрӣ лозим аст.",
                "needs": "Ҳуқуқшинос оинномаро аз назар гузаронад",
            },
        )
        support.take_on(req, staff)
        support.close(
            req, staff, "resolve", "Ҳуқуқшиноси хадамоти муҳоҷирати MoLMEP оинномаро аз назар гузаронд."
        )


# person key → profile data (specialists in several countries)
SPECIALISTS = {
    "member2": {
        "field": "education",
        "skills": ["teaching", "translation"],
        "tags": "забони тоҷикӣ, методика",
        "years": 9,
        "languages": ["tg", "ru", "kk"],
        "country": "KZ",
        "availability": ["remote", "mentoring", "short"],
        "summary": "Омӯзгори забони тоҷикӣ барои кӯдакони муҳоҷирон.",
        "visibility": "public",
    },
    "member3": {
        "field": "business",
        "skills": ["finance", "management"],
        "tags": "микромолия",
        "years": 14,
        "languages": ["tg", "ru", "tr", "en"],
        "country": "TR",
        "availability": ["on_site", "long"],
        "summary": "Финансист, руководил проектами микрокредитования.",
        "visibility": "members",
    },
    "reviewer2": {
        "field": "science",
        "skills": ["engineering", "energy", "research"],
        "tags": "нерӯгоҳи хурди барқи обӣ",
        "years": 20,
        "languages": ["tg", "ru", "de", "en"],
        "country": "DE",
        "availability": ["remote", "on_site", "short", "mentoring"],
        "summary": "Муҳандиси нерӯгоҳҳои хурди барқи обӣ.",
        "visibility": "public",
    },
}

# (key, organisation key, admin's person key, data)
NEEDS = [
    (
        "molmep_finance",
        "molmep",
        "administrator",
        {
            "role": "Маслиҳатчии молиявӣ барои барномаи бозгашти муҳоҷирон",
            "skills": ["finance", "management"],
            "languages": ["tg", "ru"],
            "country": "",
            "description": "Ёрӣ ба тарҳрезии хизматрасониҳои молиявӣ барои муҳоҷирони бозгашта.",
            "months": 12,
            "on_site": True,
            "stipend": True,
        },
    ),
    (
        "kazan_teacher",
        "kazan_centre",
        "member",
        {
            "role": "Преподаватель таджикского языка (онлайн)",
            "skills": ["teaching"],
            "languages": ["tg", "ru"],
            "country": "",
            "description": "Занятия по выходным для детей центра.",
            "months": 3,
            "on_site": False,
            "stipend": False,
        },
    ),
    (
        "kazan_energy",
        "kazan_centre",
        "member",
        {
            "role": "Ментор курса по солнечным панелям",
            "skills": ["energy", "engineering"],
            "languages": ["ru", "en"],
            "country": "",
            "description": "",
            "months": 2,
            "on_site": False,
            "stipend": False,
        },
    ),
]


def _load_specialists(users, orgs) -> None:
    """Specialists in Kazakhstan, Türkiye and Germany, three needs, one placement in progress and
    one completed. Idempotent: existing profiles, needs and placements are kept as they are."""
    from . import specialists
    from .models import Placement, SpecialistNeed

    profiles = {}
    for key, data in SPECIALISTS.items():
        person = users.get(key)
        if person is None:
            continue
        profiles[key] = specialists.own_profile(person) or specialists.save_profile(person, data)
    needs = {}
    for key, org_key, admin_key, data in NEEDS:
        org, admin = orgs.get(org_key), users.get(admin_key)
        if org is None or admin is None or not org.verified:
            continue
        need = db.session.scalar(select(SpecialistNeed).where(SpecialistNeed.role == data["role"]))
        needs[key] = need or specialists.post_need(admin, {"owner": f"org:{org.id}", **data})
    in_progress = ("molmep_finance", "member3", "administrator")
    completed = ("kazan_teacher", "member2", "member")
    for (need_key, person_key, owner_key), done in ((in_progress, False), (completed, True)):
        need, profile, owner = needs.get(need_key), profiles.get(person_key), users.get(owner_key)
        if need is None or profile is None or owner is None:
            continue
        exists = db.session.scalar(
            select(Placement).where(Placement.need_id == need.id, Placement.profile_id == profile.id)
        )
        if exists is not None:
            continue
        if done:
            placement = specialists.express_interest(need, users[person_key])
            specialists.accept(placement, owner)
            specialists.end(placement, owner, "completed")
        else:
            placement = specialists.invite(need, owner, profile)
            specialists.accept(placement, users[person_key])
