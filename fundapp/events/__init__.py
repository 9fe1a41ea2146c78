"""Information and cultural events: conferences, workshops, creative evenings, youth and
children's events, national celebrations, online sessions — held by the fund's staff or by a
verified diaspora organisation, registrations with guests and a waiting list, door check-in,
calendars, reports, certificates of attendance, and the figures the Plan's monitoring reads.

Invariants: an event's seats taken (people plus their guests, confirmed) never exceed its
capacity — every change to seats locks the event row first; the waiting list is promoted strictly
in the order people joined it; an online link is shown only to people registered; a draft is
seen only by its organisers and staff; every change of state goes through ``services`` and is
audited. Other domains read figures through ``fundapp.events.figures`` only.
"""


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from fundapp.core.views import register_nav

    from . import cli, display, routes

    app.register_blueprint(routes.bp)
    app.cli.add_command(cli.events_cli)
    app.jinja_env.globals["featured_celebration"] = routes.featured_celebration
    app.jinja_env.globals["event_when"] = display.event_when
    register_nav(app, "events.manage", _l("My events"), ("member",))
