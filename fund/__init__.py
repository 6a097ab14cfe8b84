"""QST Future Fund (QST未来基金): donations, receipts and the office's ledger."""
from pathlib import Path

from flask import Flask

from fund.core import config as config_module

# Every package's models, so that the app and Alembic see the whole schema.
MODEL_MODULES = ("fund.core.models", "fund.staff.models", "fund.donors.models",
                 "fund.campaigns.models", "fund.payments.models", "fund.giving.models",
                 "fund.receipts.models", "fund.receipts.run_models", "fund.office.models",
                 "fund.ledger.models", "fund.accounting.models")
# Modules that connect signal receivers, register webhook handlers or jobs on import.
WIRING_MODULES = ("fund.core.mail", "fund.campaigns.rewards", "fund.payments.webhooks",
                  "fund.payments.refunds", "fund.payments.disputes", "fund.payments.instructions",
                  "fund.payments.sync", "fund.giving.settlement", "fund.giving.refund_notice",
                  "fund.giving.totals", "fund.giving.pledges", "fund.receipts.reactions",
                  "fund.receipts.bulk", "fund.receipts.january", "fund.receipts.reminders",
                  "fund.receipts.notices", "fund.office.facts",
                  "fund.office.reports", "fund.office.deadlines",
                  "fund.ledger.bookings")


def create_app(config=None):
    """Application factory: configuration from the environment, then `config` on top."""
    app = Flask(__name__, template_folder="../templates", instance_relative_config=True)
    app.config.update(config_module.from_environment())
    if config:
        app.config.update(config)
    config_module.check(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    from fund.core import logs
    logs.register(app)

    if app.config.get("TRUSTED_PROXIES"):
        # Behind nginx/a load balancer: client addresses (rate limits) come from X-Forwarded-For.
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    import importlib
    for name in MODEL_MODULES + WIRING_MODULES:
        importlib.import_module(name)

    from fund.core.extensions import csrf, db, migrate
    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.BASE_DIR / "migrations"))
    csrf.init_app(app)

    from fund.core import errors, i18n
    i18n.register(app)
    errors.register_error_handlers(app)

    from fund.core.i18n import jst_date, long_date
    from fund.core.money import format_yen
    app.jinja_env.filters["yen"] = format_yen
    app.jinja_env.filters["jst_date"] = jst_date
    app.jinja_env.filters["long_date"] = long_date

    from fund.core.bidi import isolate
    app.jinja_env.filters["isolate"] = isolate

    from fund import web
    web.register(app)

    from fund import cli
    cli.register(app)

    from fund.receipts import issuing
    issuing.startup_check(app)  # logs loudly when no Japanese font: no receipts then

    if app.config.get("INLINE_BEAT") and not app.config.get("CELERY_BROKER_URL"):
        from fund.core import jobs
        jobs.start_inline_beat(app)  # `make run`: periodic tasks without a worker
    return app
