"""Demo projects in every state, with real-looking content from across Tajikistan.

Idempotent: a project is found by its title; missing ones are written and walked to their state
through the real services (reviews, Council decision for large goals, campaign opening). They go
into ``ctx["projects"][state]`` as lists.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from fundapp.core.db import clock_at, utcnow
from fundapp.core.demo import schedule
from fundapp.core.money import Money
from fundapp.extensions import db

from . import services
from .factories import REASONS, advance, create_complete_draft
from .models import Project

# state, owner key, fields; budget and milestones as (label, weight[, days from today]).
DEMO = [
    (
        "draft", "member3",
        {
            "title": "Майдони варзишӣ барои деҳаи Зидди Варзоб",
            "summary": "Майдони футболи хурд бо сунъӣ-алаф барои 400 наврасони деҳа.",
            "category": "sport", "home_district": "varzob", "goal": "40000",
        },
        [("Алафи сунъӣ ва замина", 3), ("Дарвозаҳо ва тӯр", 1)],
    ),
    (
        "submitted", "member2",
        {
            "title": "Китобхонаи деҳотӣ дар Истаравшан",
            "summary": "Таъмири бинои китобхона ва 2 000 китоби нав барои мактаббачагон.",
            "category": "culture", "home_district": "istaravshan", "goal": "25000",
        },
        [("Таъмири бино", 2), ("Китобҳо", 2), ("Мизу курсӣ", 1)],
    ),
    (
        "in_review", "member",
        {
            "title": "Насоси обёрӣ барои деҳаи Ҷалолиддини Балхӣ",
            "summary": "Насоси барқӣ ва 2 км қубур барои обёрии 60 гектар замини деҳқонон.",
            "category": "agriculture", "home_district": "jaloliddini_balkhi", "goal": "48000",
        },
        [("Насос", 2), ("Қубурҳо", 2), ("Насбу кор", 1)],
    ),
    (
        "changes_requested", "member2",
        {
            "title": "Пули пиёдагард дар Рашт",
            "summary": "Пули оҳанини пиёдагард аз болои дарёча, то кӯдакон баҳорон ба мактаб раванд.",
            "category": "roads", "home_district": "rasht", "goal": "36000",
        },
        [("Оҳан ва сементу", 3), ("Кори устоҳо", 1)],
    ),
    (
        "approved", "member3",
        {
            "title": "Панелҳои офтобӣ барои мактаби Мурғоб",
            "summary": "Нерӯи офтобӣ барои мактаби баландкӯҳ, ки зимистон бе барқ мемонад.",
            "category": "energy", "home_district": "murghob", "goal": "42000",
        },
        [("Панелҳо", 3), ("Аккумуляторҳо", 2), ("Насб", 1)],
    ),
    (
        "rejected", "member",
        {
            "title": "Асфалти кӯчаи марказии деҳа дар Ёвон",
            "summary": "Асфалтпӯшии 800 метр кӯча.",
            "category": "roads", "home_district": "yovon", "goal": "49000",
        },
        [("Асфалт", 4), ("Техника", 1)],
    ),
    (
        "withdrawn", "member2",
        {
            "title": "Курсҳои компютерӣ барои ҷавонон дар Хуҷанд",
            "summary": "Синфхонаи 12 компютер барои омӯзиши барномасозӣ.",
            "category": "education", "home_district": "khujand", "goal": "30000",
        },
        [("Компютерҳо", 4), ("Иҷора", 1)],
    ),
    (
        "fundraising", "member",
        {
            "title": "Боми нав барои мактаби №12 дар Кӯлоб",
            "summary": "Мактаби 600 хонанда ҳар зимистон чакидани бомро мебинад. Боми оҳанини нав мегузорем.",
            "category": "education", "home_district": "kulob", "goal": "120000",
            "diaspora_organisation": "Ҷамъияти кӯлобиҳои Маскав",
        },
        [("Тунуки оҳанӣ", 5), ("Чӯбу тахта", 3), ("Кори устоҳо", 3), ("Интиқол", 1)],
    ),
    (
        "fundraising", "member2",
        {
            "title": "Хатти оби нӯшокӣ дар Айнӣ",
            "summary": "4 км қубур аз чашма то деҳа: оби тоза барои 300 оила. Ваъдаҳо танҳо бо ҳадафи пурра.",
            "category": "water", "home_district": "ayni", "goal": "85000", "funding_model": "pledge",
        },
        [("Қубурҳо", 5), ("Обанбор", 2), ("Кандани ҷӯя", 2)],
    ),
    (
        "fundraising", "member3",
        {
            "title": "Кооперативи гулхонаҳо дар Бохтар",
            "summary": "Се гулхонаи зимистона барои 12 оила; қарз бо 10% солона дар 24 моҳ бармегардад.",
            "category": "agriculture", "home_district": "bokhtar", "goal": "30000", "currency": "USD",
            "funding_model": "loan", "annual_rate": "10", "term_months": "24", "repayment_type": "annuity",
        },
        [("Сохтори гулхона", 3), ("Гармкунӣ", 2), ("Тухмӣ ва нӯшакҳо", 1)],
    ),
    (
        "funded", "member",
        {
            "title": "Таъмири дармонгоҳи деҳотӣ дар Хоруғ",
            "summary": "Таъмири дармонгоҳ ва таҷҳизоти нав барои модарону кӯдакон.",
            "category": "health", "home_district": "khorog", "goal": "70000", "funding_model": "pledge",
        },
        [("Таъмир", 3), ("Таҷҳизоти тиббӣ", 3), ("Гармидиҳӣ", 1)],
    ),
    (
        "unsuccessful", "member2",
        {
            "title": "Сехи дӯзандагӣ барои занон дар Панҷакент",
            "summary": "10 мошини дӯзандагӣ ва омӯзиш барои занони деҳа.",
            "category": "small_business", "home_district": "panjakent", "goal": "50000",
            "funding_model": "pledge",
        },
        [("Мошинҳо", 3), ("Омӯзиш", 1)],
    ),
    (
        "implementing", "member3",
        {
            "title": "Нерӯгоҳи хурди барқи обӣ дар Ванҷ",
            "summary": "Нерӯгоҳи 50 кВт барои деҳае, ки зимистон 4 соат барқ дорад.",
            "category": "energy", "home_district": "vanj", "goal": "95000",
        },
        [("Турбина ва генератор", 4), ("Канали об", 2), ("Хатти барқ", 2)],
    ),
    (
        "completed", "member",
        {
            "title": "Боғчаи кӯдакон дар Ҳисор",
            "summary": "Таъмири боғча барои 80 кӯдак: бом, тиреза, ҳоҷатхона ва майдончаи бозӣ.",
            "category": "social", "home_district": "hisor", "goal": "38000",
        },
        [("Бом ва тиреза", 2), ("Ҳоҷатхона", 1), ("Майдончаи бозӣ", 1)],
    ),
    (
        "cancelled", "member2",
        {
            "title": "Бозори деҳқонӣ дар Фархор",
            "summary": "Растаҳои сарпӯшида барои 40 деҳқон.",
            "category": "small_business", "home_district": "farkhor", "goal": "65000",
        },
        [("Сарпӯш", 3), ("Растаҳо", 2)],
    ),
]  # fmt: skip

DESCRIPTION = """{summary}

## Чаро ин лоиҳа лозим аст

Мо — ҳамватанони дар муҳоҷират буда — якҷоя бо ҷамоати деҳа ин эҳтиёҷро муайян кардем.
Раиси ҷамоат ва сокинон дастгирии худро хаттӣ тасдиқ карданд.

## Нақша

1. Харидани мавод аз рӯи сметаи тасдиқшуда.
2. Корҳои сохтмонӣ бо иштироки сокинон (ҳашар).
3. Ҳисобот бо сурат ва ҳуҷҷатҳо дар ҳар марҳила.

*Ҳар як дирам дар дафтари ҷамъиятии Хазина дида мешавад.*
"""

MILESTONES = [("Маводҳо харида ва оварда шуданд", 1, 120), ("Корҳо анҷом ва қабул шуданд", 1, 330)]

# How many days ago each campaign of the demo's year opened. Such a project is written three weeks
# before, on the clock of that day, and opened on its day; what happened to it afterwards (backings,
# the close, payouts) is scheduled by the funding and disbursements demos.
OPENED_DAYS_AGO = {
    "completed": 330,
    "implementing": 250,
    "cancelled": 200,
    "unsuccessful": 160,
    "funded": 110,
    "fundraising": 25,
}
CANCELLED_AFTER_DAYS = 12  # the cancelled campaign ran this long


def _build(owner, fields, budget):
    currency = fields.get("currency", "TJS")
    goal = Money.parse(fields["goal"], currency)
    budget_rows = list(zip([b[0] for b in budget], goal.allocate([b[1] for b in budget]), strict=True))
    shares = goal.allocate([m[1] for m in MILESTONES])
    milestones = [
        (title, share, utcnow().date() + timedelta(days=days))
        for (title, _w, days), share in zip(MILESTONES, shares, strict=True)
    ]
    data = {**fields, "description": DESCRIPTION.format(summary=fields["summary"])}
    return create_complete_draft(
        owner,
        **data,
        budget=budget_rows,
        milestones=milestones,
        team=[("Раиси ҷамоат", "Ҳамоҳангсоз дар ҷой"), ("Муҳандиси ноҳия", "Назорати техникӣ")],
    )


def _open_in_the_past(ctx, state, owner, fields, budget, admin, reviewers, decision) -> Project:
    opened = utcnow().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(
        days=OPENED_DAYS_AGO[state]
    )
    with clock_at(opened - timedelta(days=21)):
        project = _build(owner, fields, budget)
        advance(project, "approved", admin=admin, reviewers=reviewers, council_decision=decision)
    with clock_at(opened):
        services.open_campaign(project, actor=admin)
    if state == "cancelled":
        schedule(
            ctx,
            opened + timedelta(days=CANCELLED_AFTER_DAYS),
            lambda: services.cancel_project(project, actor=admin, comment=REASONS["cancel_project"]),
        )
    return project


def load(ctx: dict) -> None:
    users = ctx.get("users") or {}
    admin = users.get("administrator")
    reviewers = [u for u in (users.get("reviewer"), users.get("reviewer2")) if u is not None]
    if admin is None or len(reviewers) < 2:
        return
    decisions = ctx.get("council_decisions") or []
    projects: dict[str, list[Project]] = ctx.setdefault("projects", {})
    for state, owner_key, fields, budget in DEMO:
        owner = users.get(owner_key) or users.get("member")
        project = db.session.scalar(select(Project).where(Project.title == fields["title"]))
        if project is None:
            decision = decisions[0] if decisions else None
            if (
                decision is not None
                and fields["home_district"] in ("khorog", "vanj", "farkhor")
                and len(decisions) > 1
            ):
                decision = decisions[1]
            if state in OPENED_DAYS_AGO:
                project = _open_in_the_past(ctx, state, owner, fields, budget, admin, reviewers, decision)
            else:
                project = _build(owner, fields, budget)
                advance(project, state, admin=admin, reviewers=reviewers, council_decision=decision)
            db.session.flush()
        projects.setdefault(state, []).append(project)
    # Members follow the projects they care about.
    for key in ("member2", "member3"):
        user = users.get(key)
        for project in projects.get("fundraising", [])[:2]:
            if user is not None and project.owner_id != user.id:
                services.follow(project, user)
