"""Demo Council decisions (idempotent by number), with minutes as a small public PDF."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import select

from fundapp.extensions import db
from fundapp.files.services import store_bytes

from .models import CouncilDecision, ExchangeRate

MINUTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

# somoni for one unit, as the National Bank of Tajikistan might have set them (demo figures)
RATES = {"USD": "10.95", "EUR": "11.85", "RUB": "0.1215", "KZT": "0.0213"}

DECISIONS = [
    {
        "number": "3/2026",
        "days_ago": 40,
        "agenda_item": "Лоиҳаҳои ҳамватанон аз 50 000 сомонӣ боло: боми мактаб дар Кӯлоб, хатти об дар Айнӣ",
        "summary": "Шӯрои ҳамоҳангсозӣ лоиҳаҳои рӯзномаро дастгирӣ мекунад ва аз Хазина хоҳиш мекунад, "
        "ки маъракаҳои онҳоро бо пардохт аз рӯи марҳилаҳо нашр намояд.",
        "votes": (9, 1, 1),
    },
    {
        "number": "1/2026",
        "days_ago": 300,
        "agenda_item": "Лоиҳаҳои тандурустӣ ва энергетика дар ВМКБ ва НТМ",
        "summary": "Тасдиқ шуд: таъмири дармонгоҳ дар Хоруғ, нерӯгоҳи хурди барқи обӣ дар Ванҷ, "
        "бозори деҳқонӣ дар Фархор.",
        "votes": (8, 0, 3),
    },
]


def load(ctx: dict) -> None:

    admin = (ctx.get("users") or {}).get("administrator")
    decisions = []
    for spec in DECISIONS:
        decision = db.session.scalar(select(CouncilDecision).where(CouncilDecision.number == spec["number"]))
        if decision is None:
            votes = spec["votes"]
            decision = CouncilDecision(
                number=spec["number"],
                decided_on=date.today() - timedelta(days=spec["days_ago"]),
                agenda_item=spec["agenda_item"],
                summary=spec["summary"],
                votes_for=votes[0],
                votes_against=votes[1],
                votes_abstained=votes[2],
                recorded_by_id=getattr(admin, "id", None),
            )
            decision.minutes_file = store_bytes(
                MINUTES, f"council-{spec['number'].replace('/', '-')}.pdf", uploaded_by=admin, is_public=True
            )
            db.session.add(decision)
            db.session.flush()
        decisions.append(decision)
    ctx["council_decisions"] = decisions
    if admin is not None:
        for currency, rate in RATES.items():
            if db.session.scalar(select(ExchangeRate.id).where(ExchangeRate.currency == currency)) is None:
                value = Fraction(rate)
                db.session.add(
                    ExchangeRate(
                        currency=currency,
                        somoni_numerator=value.numerator,
                        somoni_denominator=value.denominator,
                        valid_from=date.today() - timedelta(days=365),
                        source="НБТ, қурби расмӣ",
                        recorded_by_id=admin.id,
                    )
                )
        db.session.flush()
