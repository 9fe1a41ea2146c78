"""Competitions and awards for the diaspora: the Plan's five competitions (editable data), their
editions (categories, eligibility rules, nomination window, jury, rubric, optional public vote,
results date, prizes), nominations with the nominee's consent, the jury's conflict declarations
and scores, the public vote, the Merkle-logged tally with a signed checkpoint, and prizes paid
through the ledger.

Invariants: one category per nominee per edition and one vote per account per category (database
unique constraints); a juror scores only after declaring no conflict, and is recused automatically
where the portal knows of a tie; ballots, tally entries and checkpoints are append-only (database
triggers); the published results are exactly what recounting the published tally gives; a money
prize is paid from the prize fund by a treasurer other than the administrator who asked for it.
Who may call: routes and the demo; other domains read ``figures``.
"""

from fundapp.files.services import register_access_rule


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from fundapp.core.views import register_nav

    from . import cli, jury, phrases, routes

    phrases.register()

    app.register_blueprint(routes.bp)
    app.cli.add_command(cli.group)
    register_access_rule(jury.evidence_access_rule)
    register_nav(app, "competitions.mine", _l("My competitions"), ("member",))
    register_nav(app, "competitions.admin_index", _l("Competitions"), routes.READERS)
