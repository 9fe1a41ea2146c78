"""Payments demo data: the sample bank details live in ``services.DEMO_BANK_DETAILS`` (clearly
marked SAMPLE); the receipts of the demo are recorded and confirmed by ``fundapp.funding.demo``,
through the services, because each pays for a demo backing."""


def load(ctx):
    from .services import DEMO_BANK_DETAILS

    ctx["bank_details"] = DEMO_BANK_DETAILS
