"""Demo competitions: the Plan's five awards; "Best Cultural Center" 2025 finished (nominations,
jury with one automatic recusal, a public vote, results, a money prize paid from the prize fund
and honours); "Best scientist of Tajik diasporas" 2026 open for nominations. Idempotent: an edition
that exists by title is left alone."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from fundapp.community.models import Organisation, OrganisationMember
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.ledger import services as ledger

from . import jury, prizes, services, voting
from .models import Edition
from .phrases import DEMO_GIFT_MEMO

LEVELS = [
    {"from": 1, "meaning": "Мало сведений / little evidence"},
    {"from": 4, "meaning": "Заметный вклад / a visible contribution"},
    {"from": 8, "meaning": "Выдающийся, подтверждённый вклад / outstanding, documented"},
]
CRITERIA = [
    services.CriterionSpec("Вклад в жизнь диаспоры / Impact on the community", 3, LEVELS),
    services.CriterionSpec("Язык и культура / Language and culture", 2, LEVELS),
    services.CriterionSpec("Устойчивость / Sustainability", 1, LEVELS),
]
DEMO_ORGANISATIONS = (
    # name, kind, country, city, admin key in ctx["users"]
    ("Таджикский культурный центр «Навруз»", "cultural_centre", "RU", "Москва", "member2"),
    ("Культурный центр «Сомон»", "cultural_centre", "RU", "Санкт-Петербург", "member3"),
    ("Хонаи тоҷикон «Помир»", "cultural_centre", "TR", "Истанбул", "member2"),
)


def demo_organisations(users: dict) -> list:
    """The few verified organisations the competitions demo needs, found or created by name through
    the community models (the community domain's own demo may already have made them)."""
    out = []
    for name, kind, country, city, admin_key in DEMO_ORGANISATIONS:
        org = db.session.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            org = Organisation(name=name, kind=kind, country=country, city=city, status="verified")
            db.session.add(org)
            db.session.flush()
        admin = users[admin_key]
        link = db.session.scalar(
            select(OrganisationMember).where(
                OrganisationMember.organisation_id == org.id, OrganisationMember.user_id == admin.id
            )
        )
        if link is None:
            db.session.add(
                OrganisationMember(organisation_id=org.id, user_id=admin.id, role="admin", status="active")
            )
            db.session.flush()
        out.append(org)
    return out


def _at(year, month, day) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def _exists(comp, title) -> bool:
    return (
        db.session.scalar(select(Edition.id).where(Edition.competition_id == comp.id, Edition.title == title))
        is not None
    )


def _finished_edition(comp, users, orgs) -> None:
    admin, treasurer = users["administrator"], users["treasurer"]
    edition = services.create_edition(
        comp,
        actor=admin,
        title="2025",
        nominations_open_on=_at(2025, 3, 1),
        nominations_close_on=_at(2025, 5, 31),
        results_on=_at(2025, 9, 9),
        eligibility_rules=(
            "Культурный центр таджикской диаспоры, работающий не менее двух лет, с открытыми для всех "
            "занятиями или вечерами. / A Tajik diaspora cultural centre active for at least two years, "
            "with classes or evenings open to everyone."
        ),
        categories=[
            "Россия и Казахстан / Russia and Kazakhstan",
            "Европа, Турция, Америка / Europe, Turkey, America",
        ],
        criteria=CRITERIA,
        public_vote=True,
        jury_weight=70,
        voter_min_account_days=0,  # the demo's accounts are new
    )
    services.transition(edition, "open_nominations", actor=admin)
    russia, abroad = edition.categories
    statements = (
        "Десять лет учим детей таджикскому языку, каждую неделю проводим вечера музыки и поэзии, "
        "помогаем новым мигрантам с документами.",
        "Открыли библиотеку на 3 000 книг на таджикском и русском, проводим Навруз для всего района.",
        "Курсы турецкого языка для мигрантов и уроки таджикского для их детей; праздник Дня независимости.",
    )
    noms = []
    for org, cat, statement in zip(orgs, (russia, russia, abroad), statements, strict=True):
        admin_key = next(a for n, *_rest, a in DEMO_ORGANISATIONS if n == org.name)
        noms.append(
            services.nominate(
                edition,
                actor=users[admin_key],
                category=cat,
                nominee_kind="organisation",
                organisation=org,
                on_behalf_of=org,
                statement=statement,
            )
        )
    money = prizes.add_prize(
        edition,
        actor=admin,
        category=russia,
        place=1,
        amount=Money(500_000, "TJS"),
        description="Диплом и премия",
    )
    prizes.add_prize(
        edition, actor=admin, category=russia, place=2, amount=None, description="Почётная грамота"
    )
    prizes.add_prize(
        edition, actor=admin, category=abroad, place=1, amount=None, description="Почётная грамота"
    )
    services.transition(edition, "close_nominations", actor=admin)
    for nom in noms:
        services.check_eligibility(nom, actor=admin, eligible=True)
    jurors = [users["reviewer"], users["reviewer2"], users["member2"]]  # member2 runs two nominees
    for user in jurors:
        jury.appoint_juror(edition, user, actor=admin)
    services.transition(edition, "start_judging", actor=admin)
    table = {
        "reviewer": [(9, 8, 7), (7, 7, 6), (6, 8, 7)],
        "reviewer2": [(8, 8, 8), (8, 6, 7), (7, 7, 6)],
        "member2": [(7, 7, 7), (9, 9, 8), (5, 6, 6)],
    }
    reasons = (
        "Подтверждено отчётами и фото занятий.",
        "Программа на год вперёд, есть спонсоры.",
        "Работает стабильно.",
    )
    for key, rows in table.items():
        juror = jury.juror_for(edition, users[key])
        for nom, scores in zip(noms, rows, strict=True):
            if jury.declaration_for(juror, nom) is not None:  # recused automatically
                continue
            jury.declare(juror, nom, actor=users[key], conflict=False)
            jury.submit_scorecard(
                juror,
                nom,
                actor=users[key],
                scores={
                    c.id: {"score": s, "justification": r}
                    for c, s, r in zip(edition.criteria, scores, reasons, strict=True)
                },
            )
    services.transition(edition, "open_voting", actor=admin)
    for key, nom in (("member", noms[1]), ("member3", noms[0]), ("auditor", noms[1]), ("member", noms[2])):
        voting.cast_vote(edition, nom, voter=users[key])
    services.transition(edition, "publish_results", actor=admin)
    _fund_prize_fund(Money(2_000_000, "TJS"))
    prizes.request_prize_payment(
        money, actor=users["administrator2"], payee="Победитель: реквизиты по договору (демо)"
    )
    prizes.execute_prize_payment(money, actor=treasurer, bank_reference="AMN-2025-0909")
    for prize in edition.prizes:
        if prize.kind == "honour" and prize.nomination_id is not None:
            prizes.award_honour(prize, actor=admin)


def _fund_prize_fund(amount: Money) -> None:
    ledger.post_entry(
        ledger.EntryKind.DONATION,
        [
            ledger.Leg.debit(ledger.get_account("bank", amount.currency), amount),
            ledger.Leg.credit(ledger.get_account(prizes.PRIZE_FUND, amount.currency), amount),
        ],
        memo=DEMO_GIFT_MEMO,
        idempotency_key="demo:competitions:prize-fund",
        source_type="demo",
    )


def _open_edition(comp, users) -> None:
    admin = users["administrator"]
    now = datetime.now(UTC)
    edition = services.create_edition(
        comp,
        actor=admin,
        title="2026",
        nominations_open_on=_at(2026, 1, 15),
        nominations_close_on=_at(max(now.year, 2026) + 1, 3, 31),
        results_on=_at(max(now.year, 2026) + 1, 9, 9),
        eligibility_rules=(
            "Учёный таджикского происхождения, работающий за рубежом, с публикациями за последние пять лет; "
            "государственные служащие не номинируются. / A scientist of Tajik origin working abroad, with "
            "publications in the last five years; civil servants are not nominated."
        ),
        categories=["Естественные науки / Natural sciences", "Гуманитарные науки / Humanities"],
        criteria=CRITERIA,
        public_vote=True,
        jury_weight=70,
        voter_min_account_days=30,
    )
    services.transition(edition, "open_nominations", actor=admin)
    services.nominate(
        edition,
        actor=users["member2"],
        category=edition.categories[0],
        nominee_kind="person",
        person=users["member3"],
        statement=(
            "Давлат Каримов ведёт исследования водных ресурсов Памира в Стамбульском техническом "
            "университете и бесплатно консультирует проекты фонда по водоснабжению."
        ),
    )


def load(ctx: dict) -> None:
    users = ctx.get("users") or {}
    needed = ("administrator", "administrator2", "treasurer", "reviewer", "reviewer2", "auditor")
    if any(users.get(k) is None for k in (*needed, "member", "member2", "member3")):
        return
    comps = {c.slug: c for c in services.ensure_plan_competitions()}
    if not _exists(comps["best-cultural-centre"], "2025"):
        _finished_edition(comps["best-cultural-centre"], users, demo_organisations(users))
    if not _exists(comps["best-scientist"], "2026"):
        _open_edition(comps["best-scientist"], users)
    db.session.flush()
