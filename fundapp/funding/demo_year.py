"""The demo's year of backing: a few hundred compatriots in many countries give to the campaigns of
the past twelve months, by bank and by money transfer (in roubles too), pledge with saved cards,
and get their money back when a campaign is cancelled. Everything is scheduled on the demo's
timeline (``core.demo.schedule``) and runs through the services, on the clock of its day."""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select

from fundapp.accounts.models import User
from fundapp.accounts.services import hash_password
from fundapp.core.db import utcnow
from fundapp.core.demo import schedule
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.payments import services as payments
from fundapp.proposals.demo import CANCELLED_AFTER_DAYS

from . import donations, pledges, refunds, settlement
from .models import Donation

BACKERS = 260
BACKER_DOMAIN = "backers.demo.hamvatan.tj"
# where the demo's backers live, with weights: most compatriots abroad work in Russia
COUNTRIES = [
    ("RU", "Москва", 40), ("RU", "Санкт-Петербург", 10), ("RU", "Екатеринбург", 5), ("RU", "Новосибирск", 3),
    ("KZ", "Алматы", 8), ("UZ", "Тошкент", 3), ("KG", "Бишкек", 3), ("TR", "Истанбул", 5),
    ("AE", "Дубай", 4), ("KR", "Сеул", 4), ("US", "Нью-Йорк", 4), ("DE", "Берлин", 3),
    ("GB", "Лондон", 2), ("PL", "Варшава", 2), ("LT", "Вилнюс", 1), ("FR", "Париж", 1),
    ("TJ", "Душанбе", 2),
]  # fmt: skip
FIRST = [
    "Фаррух", "Зарина", "Давлат", "Манижа", "Бахтиёр", "Нигора", "Рустам", "Шаҳноза", "Аббос", "Мадина",
    "Фирӯз", "Гулнора", "Исмоил", "Малика", "Ҷамшед", "Тахмина", "Сорбон", "Парвина", "Умед", "Дилноза",
    "Комрон", "Сайёра", "Алишер", "Мунира", "Далер", "Ширин", "Баҳодур", "Фарангис", "Суҳроб", "Мавҷуда",
]  # fmt: skip
LAST = [
    "Раҳимов", "Назаров", "Каримов", "Саидов", "Шарипов", "Исмоилов", "Ғафуров", "Қодиров", "Ҳакимов",
    "Юсуфов", "Мирзоев", "Азизов", "Одинаев", "Сафаров", "Бобоев", "Ҷӯраев", "Холов", "Шукуров",
]  # fmt: skip
# what one gives, in somoni, with weights
GIFTS = [(100, 14), (150, 8), (200, 16), (300, 14), (500, 18), (700, 5), (1000, 12), (1500, 4), (2000, 5),
         (3000, 2), (5000, 2)]  # fmt: skip
RUB_PER_SOMONI_CENTS = {0: 0.1180, 1: 0.1195, 2: 0.1210, 3: 0.1225}  # the rouble drifts over the year
# the share of its goal each campaign of the year raised
# (a donation campaign closes the moment it has received its goal: the last gift tips it over)
RAISED = {"completed": 1.0, "implementing": 1.0, "funded": 1.0, "cancelled": 0.08, "fundraising": 0.46}
PLEDGED = {"unsuccessful": 0.44, "fundraising": 0.38}


def _female(first: str) -> bool:
    return first.endswith("а") or first in {"Ширин", "Фарангис", "Мавҷуда"}


def _backers(ctx, rng: random.Random) -> list:
    existing = list(
        db.session.scalars(select(User).where(User.email.like(f"%@{BACKER_DOMAIN}")).order_by(User.id))
    )
    if existing:
        return existing
    # the demo's backers do not sign in: nobody knows the password behind this hash
    unusable = hash_password(secrets.token_urlsafe(32))
    weights = [w for *_p, w in COUNTRIES]
    people = []
    for n in range(1, BACKERS + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if _female(first) and not last.endswith("а"):
            last += "а"
        country, city, _w = rng.choices(COUNTRIES, weights)[0]
        user = User(
            email=f"backer{n:03d}@{BACKER_DOMAIN}",
            password_hash=unusable,
            full_name=f"{first} {last}",
            public_name=first,
            show_name_publicly=rng.random() < 0.5,
            country_of_residence=country,
            city_of_residence=city,
            languages="тоҷикӣ, русский",
            email_confirmed_at=utcnow(),
            preferred_language=rng.choice(["tg", "tg", "ru"]),
        )
        db.session.add(user)
        people.append(user)
    db.session.flush()
    return people


def _gift(rng: random.Random) -> int:
    return rng.choices([g for g, _w in GIFTS], [w for _g, w in GIFTS])[0] * 100


def _moments(rng: random.Random, start: datetime, end: datetime, n: int) -> list[datetime]:
    """``n`` moments between start and end, more of them at the start and near the end of a campaign
    (as campaigns go), in waking hours."""
    span = (end - start).total_seconds()
    out = []
    for _ in range(n):
        x = rng.betavariate(0.7, 0.9)
        at = start + timedelta(seconds=x * span)
        at = at.replace(hour=rng.randint(7, 22), minute=rng.randint(0, 59), second=rng.randint(0, 59))
        out.append(min(max(at, start), end))
    return sorted(out)


def transfer(
    ctx,
    reference: str,
    amount: Money,
    transfer_ref: str,
    sender: str = "Фаррух Раҳимов",
    *,
    rate=None,
    method="bank",
):
    """The backer's transfer arrives: one treasurer records it, a second confirms (the ledger moves)."""
    users = ctx["users"]
    receipt = payments.record_offline_receipt(
        actor=users["treasurer"],
        method=method,
        operator="Амонатбонк" if method == "bank" else "Корти Милли",
        transfer_reference=transfer_ref,
        sender_name=sender,
        amount_text=str(amount.to_decimal()),
        currency=amount.currency,
        received_on=utcnow().date(),
        backing_reference=reference,
        fx_rate_text=rate,
    )
    payments.confirm_offline_receipt(receipt, actor=users.get("treasurer2") or users["administrator"])
    return receipt


def _donation_events(ctx, rng, project, backer, amount_minor: int, at: datetime, n: int) -> None:
    """A donation promised at ``at`` and paid one to three days later, in somoni or in roubles."""
    rubles = backer.country_of_residence == "RU" and rng.random() < 0.35
    method = "mto" if rubles or rng.random() < 0.3 else "bank"
    named = backer.show_name_publicly
    arrives = at + timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 5))
    ref = f"{'KM' if method == 'mto' else 'AMN'}-{arrives:%y%m%d}-{n:04d}"

    def promise():
        d = donations.start_donation(
            project,
            amount=Money(amount_minor, project.currency),
            method=method,
            email=None,
            backer=backer,
            public_name=backer.display_name if named else None,
        )

        def pay():
            if rubles and project.currency == "TJS":
                rate = RUB_PER_SOMONI_CENTS[arrives.month % 4]
                rub = Money(round(amount_minor / rate), "RUB")
                transfer(ctx, d.reference_code, rub, ref, backer.full_name, rate=f"{rate:.4f}", method=method)
            else:
                transfer(ctx, d.reference_code, d.amount, ref, backer.full_name, method=method)

        schedule(ctx, arrives, pay)

    schedule(ctx, at, promise)


def _campaign(ctx, rng, people, project, share: float, *, until: datetime | None = None) -> None:
    start = project.campaign_starts_at + timedelta(hours=2)
    last = min(until or project.campaign_ends_at, project.campaign_ends_at) - timedelta(days=4)
    if last <= start:  # a campaign opened today has no past
        return
    target, gifts = int(project.goal_minor * share), []
    while sum(gifts) < target:
        gifts.append(_gift(rng))
    for n, (at, amount) in enumerate(zip(_moments(rng, start, last, len(gifts)), gifts, strict=True)):
        _donation_events(ctx, rng, project, rng.choice(people), amount, at, project.id * 1000 + n)


def _pledges(
    ctx, rng, people, project, share: float, *, until: datetime | None = None, by_transfer: bool = False
) -> list:
    """Pledges spread over the campaign, with saved cards or (``by_transfer``) to be paid by
    transfer when the campaign succeeds; returns the (backer, amount) of each."""
    start = project.campaign_starts_at + timedelta(hours=2)
    last = min(until or project.campaign_ends_at, project.campaign_ends_at) - timedelta(days=2)
    if last <= start:  # a campaign opened today has no past
        return []
    target, gifts = int(project.goal_minor * share), []
    while sum(gifts) < target:
        gifts.append(_gift(rng) * 3)
    backers = rng.sample(people, len(gifts))
    for n, (at, amount, backer) in enumerate(
        zip(_moments(rng, start, last, len(gifts)), gifts, backers, strict=True)
    ):

        def pledge(backer=backer, amount=amount, n=n):
            p = pledges.make_pledge(
                project,
                backer=backer,
                amount=Money(amount, project.currency),
                public_name=backer.display_name if backer.show_name_publicly else None,
                method="transfer" if by_transfer else "card",
            )
            if not by_transfer:
                p.stripe_customer_id = f"cus_demo_{p.id}"
                pledges.save_pledge_card(p, payment_method=f"pm_demo_{project.id}_{n}")

        schedule(ctx, at, pledge)
    return list(zip(backers, gifts, strict=True))


def _collect_by_transfer(ctx, rng, project, pledged: list) -> None:
    """After the campaign succeeded, most pledgers pay by transfer within the grace period (their
    reminders go out), two never do and their pledges lapse."""
    from . import offline_pledges
    from .models import Pledge

    closes = project.campaign_ends_at + timedelta(minutes=5)
    grace = offline_pledges.transfer_grace()
    for n, (backer, _amount) in enumerate(pledged):
        if n in (3, 11):
            continue  # never paid

        def pay(backer=backer, n=n):
            p = db.session.scalar(
                select(Pledge).where(Pledge.project_id == project.id, Pledge.backer_id == backer.id)
            )
            transfer(ctx, p.reference_code, p.amount, f"AMN-PL-{project.id}-{n:03d}", backer.full_name)

        schedule(ctx, closes + timedelta(days=rng.randint(1, grace.days - 1), hours=rng.randint(1, 8)), pay)
    schedule(ctx, closes + grace - timedelta(days=3), offline_pledges.send_reminders)
    schedule(ctx, closes + grace + timedelta(hours=2), offline_pledges.lapse_overdue)


def _settle(ctx, project) -> None:
    schedule(
        ctx, project.campaign_ends_at + timedelta(minutes=5), lambda: settlement.settle_campaign(project)
    )


def _refunds(ctx, project, cancel_at: datetime) -> None:
    """After a cancellation every received donation goes back, asked by one treasurer and
    confirmed by another."""
    users = ctx["users"]

    def give_back():
        received = db.session.scalars(
            select(Donation).where(Donation.project_id == project.id, Donation.state == "received")
        ).all()
        for n, d in enumerate(received, start=1):
            req = refunds.request_refund(
                d,
                actor=users["treasurer"],
                reason="Лоиҳа бекор шуд; маблағ ба ҳамватан баргардонида мешавад.",
                bank_reference=f"AMN-RF-{project.id}-{n:03d}",
            )
            refunds.confirm_refund(req, actor=users.get("treasurer2") or users["administrator"])

    schedule(ctx, cancel_at + timedelta(days=3), give_back)


def schedule_year(ctx) -> None:
    """Schedule the year's backings of the campaigns the proposals demo opened in the past."""
    users = ctx.get("users") or {}
    if not users.get("treasurer"):
        return
    if db.session.scalar(select(func.count(Donation.id))):
        return
    rng = random.Random(2026)
    people = _backers(ctx, rng)
    projects = ctx.get("projects") or {}
    for state in ("completed", "implementing", "funded"):
        for project in projects.get(state, []):
            if project.funding_model == "pledge":  # paid by transfer once the campaign succeeded
                pledged = _pledges(ctx, rng, people, project, RAISED[state], by_transfer=True)
                _settle(ctx, project)
                _collect_by_transfer(ctx, rng, project, pledged)
                continue
            _campaign(ctx, rng, people, project, RAISED[state])
            _settle(ctx, project)
    for project in projects.get("unsuccessful", []):
        _pledges(ctx, rng, people, project, PLEDGED["unsuccessful"])
        _settle(ctx, project)
    for project in projects.get("cancelled", []):
        cancel_at = project.campaign_starts_at + timedelta(days=CANCELLED_AFTER_DAYS)
        _campaign(ctx, rng, people, project, RAISED["cancelled"], until=cancel_at)
        _refunds(ctx, project, cancel_at)
    now = utcnow()
    for project in projects.get("fundraising", []):
        if project.funding_model == "donation":
            _campaign(ctx, rng, people, project, RAISED["fundraising"], until=now)
        elif project.funding_model == "pledge":
            _pledges(ctx, rng, people, project, PLEDGED["fundraising"], until=now)
