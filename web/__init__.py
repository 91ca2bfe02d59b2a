"""Flask front end: HTML pages and the JSON API over the ledger's application services."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from app import paging
from app.bootstrap import Services, bootstrap
from app.config import ensure_secret_key, load_settings
from web import idempotency, json_provider, limits, markdown, security, templating
from web.context import kept_count, refuse_writes_as_of

csrf = CSRFProtect()


def create_app(test_config: dict[str, Any] | None = None,
               services: Services | None = None) -> Flask:
    """Build the Flask app; ``test_config`` may override settings and Flask config."""
    config = dict(test_config or {})
    app = Flask(__name__)
    app.jinja_environment = templating.LedgerEnvironment  # before anything renders
    if services is None:
        settings = load_settings(**{k: config.pop(k) for k in
                                    ("database_url", "instance_path", "password_cost")
                                    if k in config})
        services = bootstrap(settings)
    app.config.from_mapping(
        SECRET_KEY=ensure_secret_key(services.settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    json_provider.init_app(app)
    paging.count_with(kept_count)  # a list's total kept while no read model moves
    app.extensions["govledger"] = services
    limits.init_app(app, services.settings.max_body_bytes)  # before anything reads a body
    csrf.init_app(app)
    security.init_app(app, services.settings)
    markdown.init_app(app)
    templating.init_app(app)
    _register(app)
    return app


def _register(app: Flask) -> None:
    from web import api as json_api
    from web import errors, health, home, timezones
    from web.api import health as api_health
    from web.api import openapi
    from web.audit import api as api_audit
    from web.audit import pages as audit
    from web.ccb import api as api_ccb
    from web.ccb import pages as ccb
    from web.changes import api
    from web.changes import pages as changes
    from web.notifications import api as api_notifications
    from web.notifications import feeds, inbound
    from web.oncall import api as api_oncall
    from web.oncall import pages as oncall
    from web.people import api as api_people
    from web.people import auth
    from web.people import pages as people
    from web.programme import api as api_programme
    from web.programme import pages as programme
    from web.rehearsals import api as api_rehearsals
    from web.rehearsals import pages as rehearsals
    from web.reviews import action_items as actions
    from web.reviews import action_items_api as api_actions
    from web.reviews import api as api_reviews
    from web.reviews import pages as reviews

    errors.init_app(app)
    timezones.init_app(app)
    auth.init_app(app)
    idempotency.init_app(app)  # after the signed-in person is known
    app.before_request(refuse_writes_as_of)
    json_api.init_app(app, (api.bp, api_actions.bp, api_reviews.bp, api_rehearsals.bp,
                            api_oncall.bp, api_ccb.bp, api_audit.bp, api_people.bp,
                            api_programme.bp, api_notifications.bp, api_health.bp), csrf)
    app.extensions["govledger_api"].register_blueprint(inbound.bp)  # outside the bearer guard
    csrf.exempt(inbound.bp)
    for blueprint in (home.bp, health.bp, auth.bp, changes.bp, people.bp, openapi.bp, actions.bp,
                      reviews.bp, rehearsals.bp, oncall.bp, ccb.bp, audit.bp,
                      programme.bp, feeds.bp):
        app.register_blueprint(blueprint)
