"""The Public Fund's books: a double-entry, append-only ledger that anyone can verify.

Owns the chart of accounts (the fund's own accounts and one restricted account per project),
journal entries and their legs, balances kept on the accounts, two-phase (pending) transfers, the
Merkle log over sealed entries and the fund's signed checkpoints.

Invariants: every entry balances per currency; posted entries and legs are never updated or
deleted (corrections are reversing entries; the database refuses UPDATE/DELETE); a stored balance
always equals the sum of its account's legs; a no-negative account (every project account) never
goes below zero, reservations counted; every entry gets a gapless sequence number in commit order
and is covered by a signed checkpoint. ``flask ledger verify`` checks all of it.

Callers: any domain that moves money calls ``fundapp.ledger.services`` inside its own transaction
(the services flush, never commit). Reading is public: ``/api/v1/ledger/…``.
"""


def init_app(app):
    from fundapp.extensions import csrf

    from . import api, cli, labels, sealing

    app.register_blueprint(api.bp)
    # witnesses are programs without a session: a cosignature proves itself by its signature
    csrf.exempt(api.cosignatures)
    app.jinja_env.globals["account_name"] = labels.account_name
    app.jinja_env.globals["ledger_receipt_evidence"] = api.receipt_evidence
    app.jinja_env.globals["account_type_label"] = labels.account_type_label
    app.jinja_env.globals["entry_kind_label"] = labels.entry_kind_label
    app.jinja_env.globals["chart_name"] = labels.chart_name
    labels.register_phrases()
    app.cli.add_command(cli.ledger_cli)
    sealing.init_app(app)
