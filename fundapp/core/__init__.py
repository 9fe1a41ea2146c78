"""The core: the layout, the home page, language switching, error pages, security defaults,
money and the domain errors that every other package uses."""


def init_app(app):
    from . import demo, errors_views, i18n, i18n_cli, security, views

    app.jinja_env.add_extension("jinja2.ext.do")
    security.init_app(app)
    i18n.init_app(app)
    errors_views.init_app(app)
    app.register_blueprint(views.bp)
    app.cli.add_command(i18n_cli.i18n_cli)
    app.cli.add_command(demo.demo_cli)
