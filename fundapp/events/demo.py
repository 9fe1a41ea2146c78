"""Demo events: past ones with their reports and attendance, upcoming ones in several countries
(idempotent by English title). The organisations they need are made here by name when absent."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from fundapp.community.models import Organisation, OrganisationMember
from fundapp.core.db import utcnow
from fundapp.extensions import db

from . import registration, services
from .models import Event, EventOrganisation, EventProject, EventReport, Registration

# name → (kind, country, city, admin's demo key)
ORGANISATIONS = {
    "Анҷумани тоҷикони Маскав": ("association", "RU", "Маскав", "member"),
    "Маркази фарҳангии «Сомон», Алмато": ("cultural_centre", "KZ", "Алмато", "member2"),
    "Иттиҳодияи донишҷӯёни тоҷик дар Истанбул": ("student_union", "TR", "Истанбул", "member3"),
}


def ensure_demo_organisations(ctx: dict) -> dict[str, Organisation]:
    """The demo's diaspora organisations, verified, each with its demo admin (made when absent)."""
    users = ctx.get("users") or {}
    out = {}
    for name, (kind, country, city, admin_key) in ORGANISATIONS.items():
        org = db.session.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            org = Organisation(name=name, kind=kind, country=country, city=city, status="verified")
            db.session.add(org)
            db.session.flush()
        admin = users.get(admin_key)
        if admin is not None and not db.session.scalar(
            select(OrganisationMember.id).where(
                OrganisationMember.organisation_id == org.id, OrganisationMember.user_id == admin.id
            )
        ):
            db.session.add(
                OrganisationMember(organisation_id=org.id, user_id=admin.id, role="admin", status="active")
            )
        out[name] = org
    db.session.flush()
    return out


def _at(days: int, hour: int, zone: str) -> datetime:
    day = (utcnow() + timedelta(days=days)).astimezone(ZoneInfo(zone))
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def _next(month: int, day: int, hour: int, zone: str) -> datetime:
    now = utcnow().astimezone(ZoneInfo(zone))
    year = now.year if (now.month, now.day) < (month, day) else now.year + 1
    return datetime(year, month, day, hour, tzinfo=ZoneInfo(zone))


PAST = [
    {
        "title_en": "Navruz with compatriots in Moscow",
        "title_tg": "Наврӯз бо ҳамватанон дар Маскав",
        "title_ru": "Навруз с соотечественниками в Москве",
        "description_tg": "Сумалак, гӯштингирии миллӣ, мусиқӣ ва рақсҳои тоҷикӣ барои тамоми оила.",
        "description_ru": "Сумаляк, национальная борьба, таджикская музыка и танцы для всей семьи.",
        "kind": "celebration",
        "audience": "families",
        "org": "Анҷумани тоҷикони Маскав",
        "country": "RU",
        "city": "Маскав",
        "venue": "Дом национальностей",
        "address": "ул. Новая Басманная, 4",
        "tz": "Europe/Moscow",
        "days": -256,
        "hour": 14,
        "hours": 5,
        "capacity": 400,
        "report": ("Зиёда аз сесад нафар омаданд; 12 оила сумалак пухтанд, ҷавонон консерт доданд.", 340),
        "partners": "Посольство Республики Таджикистан в РФ",
    },
    {
        "title_en": "Financial literacy for labour migrants",
        "title_tg": "Саводнокии молиявӣ барои муҳоҷирони меҳнатӣ",
        "title_ru": "Финансовая грамотность для трудовых мигрантов",
        "description_tg": "Чӣ тавр пулро арзон ба ватан фиристем ва онро дар лоиҳаҳои зодгоҳ "
        "сармоягузорӣ намоем.",
        "kind": "workshop",
        "audience": "everyone",
        "org": "Маркази фарҳангии «Сомон», Алмато",
        "country": "KZ",
        "city": "Алмато",
        "venue": "Маркази «Сомон»",
        "address": "көшесі Жібек Жолы, 50",
        "tz": "Asia/Almaty",
        "days": -60,
        "hour": 11,
        "hours": 3,
        "capacity": 60,
        "report": (
            "Чиҳил нафар омӯхтанд, ки ҳаққи интиқолро чӣ тавр муқоиса кунанд; "
            "се гурӯҳ лоиҳа пешниҳод карданд.",
            42,
        ),
        "partners": "",
    },
    {
        "title_en": "Tajik youth forum in Istanbul",
        "title_tg": "Форуми ҷавонони тоҷик дар Истанбул",
        "description_tg": "Донишҷӯён дар бораи таҳсил, кор ва пайванд бо ватан суҳбат карданд.",
        "kind": "youth",
        "audience": "youth",
        "org": "Иттиҳодияи донишҷӯёни тоҷик дар Истанбул",
        "country": "TR",
        "city": "Истанбул",
        "venue": "Донишгоҳи Истанбул, Боязид",
        "address": "ноҳияи Фотиҳ",
        "tz": "Europe/Istanbul",
        "days": -35,
        "hour": 16,
        "hours": 4,
        "capacity": 120,
        "report": ("Ҳаштод донишҷӯ; се мавзӯъ: таҳсил, кор, ташаббусҳо барои зодгоҳ.", 80),
        "partners": "Анҷумани тоҷикони Маскав",
    },
]

UPCOMING = [
    {
        "title_en": "Creative evening: Rudaki and Bedil",
        "title_tg": "Шоми эҷодӣ: Рӯдакӣ ва Бедил",
        "title_ru": "Творческий вечер: Рудаки и Бедиль",
        "description_tg": "Шеърхонӣ, мусиқии фалак ва суҳбат бо шоирони ҷавон.",
        "description_ru": "Чтение стихов, музыка фалак и беседа с молодыми поэтами.",
        "kind": "creative_evening",
        "audience": "everyone",
        "org": "Анҷумани тоҷикони Маскав",
        "country": "RU",
        "city": "Маскав",
        "venue": "Библиотека им. Некрасова",
        "address": "ул. Бауманская, 58/25",
        "tz": "Europe/Moscow",
        "days": 10,
        "hour": 18,
        "hours": 3,
        "capacity": 80,
        "max_guests": 2,
        "questions": "Шумо шеър мехонед?",
    },
    {
        "title_en": "Tajik for children: Saturday class",
        "title_tg": "Забони тоҷикӣ барои кӯдакон: дарси шанбе",
        "title_ru": "Таджикский для детей: субботний урок",
        "kind": "children",
        "audience": "children",
        "org": "Маркази фарҳангии «Сомон», Алмато",
        "country": "KZ",
        "city": "Алмато",
        "venue": "Маркази «Сомон»",
        "address": "көшесі Жібек Жолы, 50",
        "tz": "Asia/Almaty",
        "days": 17,
        "hour": 10,
        "hours": 2,
        "capacity": 25,
        "max_guests": 1,
    },
    {
        "title_en": "How to propose a project for your home town",
        "title_tg": "Чӣ тавр барои зодгоҳ лоиҳа пешниҳод кунем",
        "title_ru": "Как предложить проект для родного города",
        "kind": "online_session",
        "audience": "everyone",
        "org": None,
        "online_url": "https://meet.jit.si/hamvatan-demo-proposals",
        "tz": "Asia/Dushanbe",
        "days": 6,
        "hour": 19,
        "hours": 1,
        "capacity": 300,
    },
    {
        "title_en": "Navruz in Istanbul",
        "title_tg": "Наврӯз дар Истанбул",
        "kind": "celebration",
        "audience": "families",
        "org": "Иттиҳодияи донишҷӯёни тоҷик дар Истанбул",
        "country": "TR",
        "city": "Истанбул",
        "venue": "Толори шаҳрдории Қадиқӯй",
        "address": "ноҳияи Қадиқӯй",
        "tz": "Europe/Istanbul",
        "on": (3, 21),
        "hour": 13,
        "hours": 5,
        "capacity": 200,
        "max_guests": 4,
    },
    {
        "title_en": "Independence Day in Moscow",
        "title_tg": "Рӯзи Истиқлолият дар Маскав",
        "title_ru": "День независимости в Москве",
        "kind": "celebration",
        "audience": "everyone",
        "org": "Анҷумани тоҷикони Маскав",
        "country": "RU",
        "city": "Маскав",
        "venue": "Крокус Сити Холл",
        "address": "Красногорск, ул. Международная, 20",
        "tz": "Europe/Moscow",
        "on": (9, 9),
        "hour": 17,
        "hours": 4,
        "capacity": 1500,
        "max_guests": 3,
    },
]


def _code() -> str:
    return "".join(secrets.choice(services.CODE_ALPHABET) for _ in range(8))


def load(ctx: dict) -> None:
    users = ctx.get("users") or {}
    staff = users.get("administrator")
    if staff is None:
        return
    orgs = ensure_demo_organisations(ctx)
    members = [u for k, u in users.items() if k.startswith("member")]
    projects = [
        p for ps in (ctx.get("projects") or {}).values() for p in ps if getattr(p, "is_public", False)
    ]
    for spec in PAST:
        if db.session.scalar(select(Event.id).where(Event.title_en == spec["title_en"])):
            continue
        start = _at(spec["days"], spec["hour"], spec["tz"])
        org = orgs.get(spec["org"]) if spec["org"] else None
        event = Event(
            kind=spec["kind"], audience=spec["audience"], state="published",
            title_tg=spec.get("title_tg", ""), title_ru=spec.get("title_ru", ""), title_en=spec["title_en"],
            description_tg=spec.get("description_tg", ""), description_ru=spec.get("description_ru", ""),
            organisation_id=org.id if org else None, country=spec["country"], city=spec["city"],
            venue=spec["venue"], address=spec["address"], timezone=spec["tz"],
            starts_at=start, ends_at=start + timedelta(hours=spec["hours"]), capacity=spec["capacity"],
            created_by_id=staff.id, published_at=start - timedelta(days=30),
        )  # fmt: skip
        db.session.add(event)
        db.session.flush()
        for i, person in enumerate(members):
            db.session.add(
                Registration(
                    event_id=event.id, user_id=person.id, status="confirmed", guests=i % 2, code=_code(),
                    queued_at=start - timedelta(days=10 - i), confirmed_at=start - timedelta(days=10 - i),
                    attended_at=start + timedelta(minutes=10 + i), attended_guests=i % 2,
                    checked_in_by_id=staff.id, certificate_code=_code(),
                )
            )  # fmt: skip
        summary, attendance = spec["report"]
        db.session.add(
            EventReport(event_id=event.id, summary=summary, attendance=attendance, partners=spec["partners"])
        )
        others = [o for name, o in orgs.items() if name in spec["partners"] and o is not org]
        for o in others:
            db.session.add(EventOrganisation(event_id=event.id, organisation_id=o.id))
        if spec["kind"] == "workshop" and projects:
            db.session.add(EventProject(event_id=event.id, project_id=projects[0].id))
        db.session.flush()
    for spec in UPCOMING:
        if db.session.scalar(select(Event.id).where(Event.title_en == spec["title_en"])):
            continue
        if "on" in spec:
            start = _next(*spec["on"], spec["hour"], spec["tz"])
        else:
            start = _at(spec["days"], spec["hour"], spec["tz"])
        org = orgs.get(spec["org"]) if spec["org"] else None
        fmt = "%Y-%m-%dT%H:%M"
        data = {
            **{k: spec.get(k, "") for k in ("kind", "audience", "title_tg", "title_ru", "title_en",
                                             "description_tg", "description_ru", "country", "city",
                                             "venue", "address", "online_url", "questions")},
            "organisation_id": str(org.id) if org else "",
            "timezone": spec["tz"],
            "starts_at": start.strftime(fmt),
            "ends_at": (start + timedelta(hours=spec["hours"])).strftime(fmt),
            "capacity": str(spec["capacity"]),
            "max_guests": str(spec.get("max_guests", 0)),
        }  # fmt: skip
        event = services.create_event(staff, data)
        services.publish_event(event, staff)
        if spec["kind"] == "creative_evening":
            for person in members[:2]:
                registration.register(event, person, guests=1)
    db.session.flush()
