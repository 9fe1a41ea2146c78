"""The core: the layout, the home page, language switching, error pages, security defaults,
money and the domain errors that every other package uses."""

import os


def init_app(app):
    from . import demo, errors_views, i18n, i18n_cli, params, phrases, security, views

    params.init_app(app)  # before any route is added

    # Behind a load balancer, trust its X-Forwarded-For/-Proto (for rate limits per client and
    # secure cookies) — only as many hops as there really are proxies. X-Forwarded-Host is never
    # trusted: links are built on PUBLIC_BASE_URL, and the Host is checked against TRUSTED_HOSTS.
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or os.environ.get("TRUSTED_PROXY_HOPS") or 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    app.jinja_env.add_extension("jinja2.ext.do")
    security.init_app(app)
    i18n.init_app(app)
    phrases.init_app(app)
    errors_views.init_app(app)
    app.register_blueprint(views.bp)
    app.cli.add_command(i18n_cli.i18n_cli)
    app.cli.add_command(demo.demo_cli)
