"""Demo data of the ledger: only the chart of accounts (the money itself comes from the funding
demo, posted through the services like real money)."""

from fundapp.ledger import services


def load(ctx: dict) -> None:
    for currency in ("TJS", "USD", "RUB"):
        for code in services.CHART:
            services.get_account(code, currency)
    ctx["ledger_accounts"] = sorted(services.CHART)
