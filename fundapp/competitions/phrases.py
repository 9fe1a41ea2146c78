"""The competitions' generated ledger text in the reader's language.

A prize's journal entry keeps its memo in one canonical English form for ever (it is sealed into
the Merkle log); pages rebuild it in the reader's language through ``fundapp.core.phrases``. The
prize fund's account keeps its English chart name and is shown through the catalogs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# The account name given to ``ledger.define_account``; listed here so the catalogs translate it.
PRIZE_FUND_NAME = "Competition prize fund"
ACCOUNT_NAMES = (_l("Competition prize fund"),)

PRIZE_MEMO = "Prize {prize} of competition {competition}, edition {edition}, place {place}"
DEMO_GIFT_MEMO = "Gift to the competition prize fund (demo)"

MEMOS = (
    (
        PRIZE_MEMO,
        _l("Prize %(prize)s of competition %(competition)s, edition %(edition)s, place %(place)s"),
    ),
    (DEMO_GIFT_MEMO, _l("Gift to the competition prize fund (demo)")),
)

# The ties the portal knows between a juror and a nomination, written in English into a recusal
# (``jury.known_conflicts``; several are joined with "; ").
TIES = (
    ("nominator", _l("nominator")),
    ("nominee", _l("nominee")),
    ("same organisation as the nominee", _l("same organisation as the nominee")),
    ("same project team as the nominee", _l("same project team as the nominee")),
    ("member of the nominated organisation", _l("member of the nominated organisation")),
    ("member of the nominating organisation", _l("member of the nominating organisation")),
)


def register() -> None:
    from fundapp.core import phrases

    for canonical, message in MEMOS + TIES:
        phrases.register(canonical, message)
