"""QST Future Fund (QST未来基金): donations, receipts and the office's ledger."""
import logging
from pathlib import Path

from flask import Flask

from fund import config as config_module


def create_app(config=None):
    """Application factory: configuration from the environment, then `config` on top."""
    app = Flask(__name__, template_folder="../templates", instance_relative_config=True)
    app.config.update(config_module.from_environment())
    if config:
        app.config.update(config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))

    if app.config.get("TRUSTED_PROXIES"):
        # Behind nginx/a load balancer: client addresses (rate limits) come from X-Forwarded-For.
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from fund.extensions import csrf, db, migrate
    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.BASE_DIR / "migrations"))
    csrf.init_app(app)

    from fund import errors, i18n
    i18n.register(app)
    errors.register_error_handlers(app)

    from fund.money import format_yen
    app.jinja_env.filters["yen"] = format_yen

    from fund.views import office, public, webhooks
    app.register_blueprint(public.bp)
    app.register_blueprint(office.bp)
    app.register_blueprint(webhooks.bp)
    from fund.views import office_pledges
    app.register_blueprint(office_pledges.bp)  # monthly supporters (office)
    from fund.views import accountant, office_receipts
    app.register_blueprint(accountant.bp)  # the accountant's desk (receipts)
    app.register_blueprint(office_receipts.bp)  # void / reissue receipts (office)
    csrf.exempt(webhooks.bp)  # Stripe signs its requests instead.

    from fund.views.auth import current_staff

    @app.context_processor
    def staff_in_templates():
        # Staff pages show who is signed in; a template never has to be passed it.
        return {"staff": current_staff()}

    from fund import cli
    cli.register(app)

    import fund.models  # noqa: F401  (every model known to Alembic and the app)
    from fund.services import receipts
    receipts.startup_check(app)  # logs loudly when no Japanese font: no receipts then
    return app
