"""Pages, one blueprint per audience: public, office, accountant, webhooks."""


def register(app):
    """Register every blueprint; each guards its own audience (`before_request`)."""
    from fund.core.extensions import csrf
    from fund.web import (accountant, donor, office, office_pledges, office_receipts, public,
                          webhooks)
    from fund.web import destinations, health, media, security, staff_account
    from fund.web.auth import current_staff

    app.register_blueprint(public.bp)
    app.register_blueprint(donor.bp)  # donor self-service (/my/)
    app.register_blueprint(office.bp)
    app.register_blueprint(office_pledges.bp)  # monthly supporters (office)
    app.register_blueprint(office_receipts.bp)  # void / reissue receipts (office)
    app.register_blueprint(accountant.bp)  # the accountant's desk (receipts)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(staff_account.bp)  # second factor of staff sign-in
    app.register_blueprint(health.bp)  # /healthz for the load balancer
    app.register_blueprint(media.bp)  # /media/<id>: campaign and project pictures
    app.register_blueprint(destinations.bp)  # /campaigns/<slug>, /projects/<slug>
    csrf.exempt(webhooks.bp)  # Stripe signs its requests instead.
    security.register(app)

    @app.context_processor
    def staff_in_templates():
        # Staff pages show who is signed in; a template never has to be passed it.
        return {"staff": current_staff()}
