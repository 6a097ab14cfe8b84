"""Pages, one blueprint per audience: public, office, accountant, webhooks."""


def register(app):
    """Register every blueprint; each guards its own audience (`before_request`)."""
    from fund.core.extensions import csrf
    from fund.web import (accountant, accountant_journal, donor, office, office_audit,
                          office_campaigns, office_dashboard, office_donors, office_mail,
                          office_money, office_pledges, office_receipts, office_reconcile,
                          office_statements,
                          public, staff_text, webhooks)
    from fund.web import destinations, health, media, security, staff_account, verify
    from fund.web.auth import current_staff

    app.register_blueprint(public.bp)
    app.register_blueprint(donor.bp)  # donor self-service (/my/)
    app.register_blueprint(office.bp)  # sign-in, donations, refunds, disputes
    app.register_blueprint(office_dashboard.bp)  # /office/: the year at a glance
    app.register_blueprint(office_donors.bp)  # donors, contact details, 名寄せ
    app.register_blueprint(office_campaigns.bp)  # campaigns and projects
    app.register_blueprint(office_mail.bp)  # the outbox and the local catch-all
    app.register_blueprint(office_audit.bp)  # the audit log
    app.register_blueprint(office_pledges.bp)  # monthly supporters (office)
    app.register_blueprint(office_receipts.bp)  # void / reissue receipts (office)
    app.register_blueprint(office_money.bp)  # gifts outside Stripe, corporate pledges (office)
    app.register_blueprint(office_reconcile.bp)  # bank statements, Stripe, 勘定科目 (office)
    app.register_blueprint(office_statements.bp)  # funds' balances and statements (office, accountant)
    app.register_blueprint(accountant.bp)  # the accountant's desk (receipts)
    app.register_blueprint(accountant_journal.bp)  # the fiscal year's 仕訳帳 (accountant)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(staff_account.bp)  # second factor of staff sign-in
    app.register_blueprint(health.bp)  # /healthz for the load balancer
    app.register_blueprint(media.bp)  # /media/<id>: campaign and project pictures
    app.register_blueprint(destinations.bp)  # /campaigns/<slug>, /projects/<slug>
    app.register_blueprint(verify.bp)  # /verify/<token>: the QR code on every receipt
    csrf.exempt(webhooks.bp)  # Stripe signs its requests instead.
    security.register(app)
    staff_text.register(app)  # |jst and |status for every staff page

    @app.context_processor
    def staff_in_templates():
        # Staff pages show who is signed in; a template never has to be passed it.
        return {"staff": current_staff()}
