"""Demo data of the Plan's monitoring: the four groups of the Plan of Actions 2021–2025, clearly
marked example points (the adopted Plan's 24 points are entered by staff), two agencies with a
member each, and a year of quarterly reports in every state. Idempotent."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from fundapp.accounts.demo import demo_email, demo_password
from fundapp.accounts.models import User
from fundapp.accounts.services import hash_password
from fundapp.community.models import (
    MemberRole,
    MembershipStatus,
    Organisation,
    OrganisationKind,
    OrganisationMember,
    OrganisationStatus,
)
from fundapp.core.db import utcnow
from fundapp.extensions import db

from . import periods, services
from .models import (
    ActionPoint,
    Indicator,
    IndicatorTarget,
    PlanGroup,
    PointAgency,
    PointReport,
    PointRevision,
    ReportStamp,
    ReportState,
    ReportValue,
)

GROUPS = [
    (
        1,
        "Ташкили низоми робитаи доимӣ бо ҳамватанони хориҷи кишвар",
        "Создание системы постоянной связи с соотечественниками за рубежом",
        "Creating the system of permanent relationship with compatriots living abroad",
    ),
    (
        2,
        "Гузаронидани чорабиниҳои иттилоотӣ ва фарҳангӣ барои ҳифзи арзишҳои миллӣ, фарҳанг, "
        "таърих ва забони тоҷикӣ",
        "Проведение информационных и культурных мероприятий для сохранения национальных ценностей, культуры, "
        "истории и таджикского языка",
        "Carrying out information and cultural events to maintain national values, culture, history and the "
        "Tajik language",
    ),
    (
        3,
        "Ҷалби ҳамватанони хориҷи кишвар ҳамчун шарикони рушд",
        "Привлечение соотечественников за рубежом как партнёров в развитии",
        "Attracting compatriots living abroad as partners for development",
    ),
    (
        4,
        "Мониторинг ва арзёбии иҷрои Нақшаи чорабиниҳо",
        "Мониторинг и оценка выполнения Плана мероприятий",
        "Monitoring and evaluating the implementation of the Plan of Actions",
    ),
]

MINISTRY = "Вазорати меҳнат, муҳоҷират ва шуғли аҳолӣ"
EDUCATION = "Вазорати маориф ва илм"


def _agency(name: str, city: str) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(
            name=name,
            kind=OrganisationKind.government_agency,
            country="TJ",
            city=city,
            status=OrganisationStatus.verified,
            description="Мақомоти давлатӣ, ки дар бораи иҷрои Нақша ҳисобот медиҳад.",
        )
        db.session.add(org)
        db.session.flush()
    return org


def _member(org: Organisation, user, role: str = MemberRole.member) -> None:
    exists = db.session.scalar(
        select(OrganisationMember.id).where(
            OrganisationMember.organisation_id == org.id, OrganisationMember.user_id == user.id
        )
    )
    if exists is None:
        db.session.add(
            OrganisationMember(
                organisation_id=org.id, user_id=user.id, role=role, status=MembershipStatus.active
            )
        )


def _agency_user(ctx: dict, key: str, name: str):
    email = demo_email(key)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            password_hash=hash_password(demo_password(key)),
            full_name=name,
            public_name=name.split()[0],
            country_of_residence="TJ",
            city_of_residence="Душанбе",
            email_confirmed_at=utcnow(),
            preferred_language="tg",
        )
        db.session.add(user)
        db.session.flush()
    ctx.setdefault("users", {})[key] = user
    ctx.setdefault("passwords", {})[email] = demo_password(key)
    return user


# number, group, (tg, ru, en), lead, indicators: (code, (tg, ru, en), unit, source, key, baseline, final)
EXAMPLES = [
    (
        "1.1",
        1,
        (
            "Намуна: бақайдгирии ташкилотҳои диаспора дар портал ва тасдиқи онҳо",
            "Пример: регистрация диаспорных организаций на портале и их верификация",
            "Example: registering diaspora organisations on the portal and verifying them",
        ),
        "education",
        [
            (
                "1.1-a",
                ("Ташкилотҳои тасдиқшуда", "Верифицированные организации", "Verified organisations"),
                "count",
                "agency",
                None,
                0,
                4000,
            )
        ],
    ),
    (
        "2.1",
        2,
        (
            "Намуна: конфронсҳо, шабҳои эҷодӣ ва ҷашни Рӯзи Истиқлол бо диаспора",
            "Пример: конференции, творческие вечера и празднование Дня независимости с диаспорой",
            "Example: conferences, creative evenings and Independence Day with the diaspora",
        ),
        "ministry",
        [
            (
                "2.1-a",
                ("Чорабиниҳои баргузоршуда", "Проведённые мероприятия", "Events held"),
                "count",
                "agency",
                None,
                0,
                1200,
            ),
            (
                "2.1-b",
                ("Тавсифи сифати чорабиниҳо", "Описание качества мероприятий", "How the events went"),
                "text",
                "agency",
                None,
                0,
                None,
            ),
        ],
    ),
    (
        "3.1",
        3,
        (
            "Намуна: ҷалби маблағҳои ҳамватанон ба лоиҳаҳои рушди маҳаллӣ",
            "Пример: привлечение средств соотечественников в проекты местного развития",
            "Example: attracting compatriots' money into local development projects",
        ),
        "ministry",
        [
            (
                "3.1-a",
                (
                    "Маблағи воридшуда аз ҳамватанон",
                    "Средства, поступившие от соотечественников",
                    "Money received from compatriots",
                ),
                "money",
                "computed",
                "money_received",
                0,
                50_000_000,
            ),
            (
                "3.1-b",
                ("Лоиҳаҳои пешниҳодшуда", "Предложенные проекты", "Projects proposed"),
                "count",
                "computed",
                "projects_submitted",
                0,
                2000,
            ),
        ],
    ),
    (
        "3.2",
        3,
        (
            "Намуна: ҷалби мутахассисони баландихтисос ба лоиҳаҳои сармоягузорӣ",
            "Пример: привлечение высококвалифицированных специалистов к инвестиционным проектам",
            "Example: attracting highly qualified specialists to investment projects",
        ),
        "education",
        [
            (
                "3.2-a",
                ("Мутахассисони ҷойгиршуда", "Размещённые специалисты", "Specialists placed"),
                "count",
                "agency",
                None,
                0,
                2500,
            )
        ],
    ),
    (
        "4.1",
        4,
        (
            "Намуна: пешниҳоди ҳисоботи семоҳа ба Вазорати меҳнат",
            "Пример: представление квартальной отчётности в Министерство труда",
            "Example: quarterly reporting to the Ministry of Labour",
        ),
        "ministry",
        [
            (
                "4.1-a",
                ("Ҳиссаи ҳисоботҳои саривақтӣ", "Доля своевременных отчётов", "Share of reports on time"),
                "percent",
                "agency",
                None,
                0,
                10000,
            )
        ],
    ),
]

# What the agencies reported, per quarter index (0 = four quarters ago): state and value share.
REPORT_PLAN = [("accepted", 25), ("accepted", 50), ("returned", 60), ("submitted", 70)]


def load(ctx: dict) -> None:
    if db.session.scalar(select(PlanGroup.id).limit(1)) is not None:
        return
    users = ctx.get("users", {})
    admin = users.get("administrator")
    ministry = _agency(MINISTRY, "Душанбе")
    education = _agency(EDUCATION, "Душанбе")
    reviewer = _agency_user(ctx, "molmep", "Фирӯза Раҳимзода")
    reporter = _agency_user(ctx, "agency", "Шодмон Азизов")
    _member(ministry, reviewer, MemberRole.admin)
    _member(education, reporter, MemberRole.admin)
    settings = services.settings()
    settings.ministry_id = ministry.id
    groups = {}
    for number, tg, ru, en in GROUPS:
        g = PlanGroup(number=number, title_tg=tg, title_ru=ru, title_en=en)
        db.session.add(g)
        groups[number] = g
    db.session.flush()

    today = date.today()
    y, q = periods.quarter_of(today)
    quarters = []
    for _ in range(5):
        y, q = (y - 1, 4) if q == 1 else (y, q - 1)
        quarters.append((y, q))
    quarters.reverse()  # the five last full quarters, oldest first
    starts = periods.quarter_bounds(*quarters[0])[0]
    ends = date(today.year + 1, 12, 31)
    agencies = {"ministry": ministry, "education": education}
    for pos, (number, gnum, texts, lead, inds) in enumerate(EXAMPLES):
        point = ActionPoint(
            group=groups[gnum],
            number=number,
            position=pos,
            text_tg=texts[0],
            text_ru=texts[1],
            text_en=texts[2],
            lead_agency_id=agencies[lead].id,
            starts_on=starts,
            ends_on=ends,
            weight=2 if gnum == 3 else 1,
            is_example=True,
        )
        other = education if lead == "ministry" else ministry
        point.supporting = [PointAgency(organisation_id=other.id)]
        db.session.add(point)
        db.session.flush()
        db.session.add(
            PointRevision(
                point_id=point.id,
                actor_id=getattr(admin, "id", None),
                kind="created",
                changes={"number": [None, number]},
                reason="",
            )
        )
        all_q = periods.quarters_between(starts, ends)
        for code, names, unit, source, key, baseline, final in inds:
            ind = Indicator(
                point=point,
                code=code,
                name_tg=names[0],
                name_ru=names[1],
                name_en=names[2],
                unit=unit,
                currency="TJS" if unit == "money" else None,
                source=source,
                computed_key=key,
                baseline_x100=baseline,
                ascending=True,
            )
            db.session.add(ind)
            if final is not None:
                for i, yq in enumerate(all_q):
                    ind.targets.append(
                        IndicatorTarget(year=yq[0], quarter=yq[1], target_x100=final * (i + 1) // len(all_q))
                    )
        db.session.flush()
        if not any(i[3] == "agency" for i in inds):
            continue
        # the education agency is named on every example point (lead or supporting)
        _reports(point, inds, education, quarters[1:], reporter, reviewer)
    db.session.flush()


def _reports(point, inds, reporting, quarters, submitter, decider) -> None:
    for yq, (state, share) in zip(quarters, REPORT_PLAN, strict=True):
        if state in ("accepted", "returned") and decider is None:
            state = "submitted"
        decided = state in ("accepted", "returned")
        report = PointReport(
            point_id=point.id,
            organisation_id=reporting.id,
            year=yq[0],
            quarter=yq[1],
            state=ReportState(state),
            language="tg",
            narrative="Дар семоҳа корҳои банақшагирифта иҷро шуданд; ҳуҷҷатҳо замима мешаванд.",
            submitted_by_id=submitter.id,
            submitted_at=utcnow() - timedelta(days=30),
            decided_by_id=decider.id if decided else None,
            decided_at=utcnow() - timedelta(days=20) if decided else None,
            review_comment="Лутфан ҳуҷҷатҳои тасдиқкунандаро замима кунед." if state == "returned" else "",
        )
        db.session.add(report)
        db.session.flush()
        for ind in point.indicators:
            if ind.source != "agency":
                continue
            final = next(i[6] for i in inds if i[0] == ind.code)
            note = "" if final is not None else "Чорабиниҳо бо иштироки фаъоли ҷавонон гузаронида шуданд."
            value = None if final is None else final * share // 100
            db.session.add(
                ReportValue(report_id=report.id, indicator_id=ind.id, actual_x100=value, note=note)
            )
        db.session.add(ReportStamp(report_id=report.id, action="submitted", actor_id=submitter.id))
        if decided:
            db.session.add(
                ReportStamp(
                    report_id=report.id, action=state, actor_id=decider.id, comment=report.review_comment
                )
            )
