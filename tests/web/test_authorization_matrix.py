"""Every route, walked with no login and with each staff role, against what each may do.

A route missing from MATRIX fails the test, so a new page cannot ship without
saying who may open it. "Refused" means 403, or a redirect to a sign-in page.
Signed links (receipt, pledge cancel, self-service) are tested with their own
objects in tests/receipts/test_receipt_links.py, tests/giving/test_monthly.py
and tests/giving/test_self_service.py: here a made-up token must never open one.
"""
import pytest

from fund.staff.services import create_staff
from tests.support.forms import csrf_token
from tests.support.staff import sign_in_through_forms

ROLES = ("anonymous", "office", "accountant", "admin")
EVERYONE = set(ROLES)
OFFICE = {"office", "admin"}
ACCOUNTANT = {"accountant", "admin"}
ADMIN = {"admin"}  # approving a request for money (never one's own)
READERS = OFFICE | ACCOUNTANT  # accountants read donations, donors and exports
NOBODY = set()  # needs a signature, a signed link or a donor session none of these has

# endpoint: (who may use it, a URL to request)
MATRIX = {
    "public.home": (EVERYONE, "/"),
    "public.donate_form": (EVERYONE, "/donate"),
    "public.donate": (EVERYONE, "/donate"),
    "public.donors": (EVERYONE, "/donors"),
    "public.postal_code": (EVERYONE, "/postal-codes/2638555.json"),
    "public.privacy": (EVERYONE, "/privacy"),
    "destinations.campaign": (EVERYONE, "/campaigns/airborne-virus-laser-2026"),
    "destinations.project": (EVERYONE, "/projects/quantum-scalpel-magnet"),
    "destinations.campaign_money": (EVERYONE, "/campaigns/airborne-virus-laser-2026/money"),
    "destinations.project_money": (EVERYONE, "/projects/quantum-scalpel-magnet/money"),
    "public.donate_check": (EVERYONE, "/donate/check"),
    "public.donate_language": (EVERYONE, "/donate/language"),
    "public.donate_again": (EVERYONE, "/donate/again/unknown"),
    "public.pay": (EVERYONE, "/donations/unknown/pay"),
    "public.thanks": (EVERYONE, "/thanks/unknown"),
    "public.authenticate": (EVERYONE, "/donations/unknown/authenticate"),
    "public.authentication_return": (EVERYONE, "/donations/unknown/return"),
    "public.cancel_pledge": (NOBODY, "/pledges/cancel/forged-token"),
    "public.receipt_pdf": (NOBODY, "/r/forged-token"),
    "public.renew_receipt_link": (NOBODY, "/r/forged-token/renew"),
    "verify.receipt": (NOBODY, "/verify/forged-token"),
    "public.stop_mail": (NOBODY, "/mail/stop/forged-token"),
    "health.healthz": (EVERYONE, "/healthz"),
    "staff_account.code": (NOBODY, "/office/login/code"),
    "staff_account.enrol": (NOBODY, "/office/login/enrol"),
    "staff_account.account": ({"office", "accountant", "admin"}, "/office/account/two-factor"),
    "media.image": (EVERYONE, "/media/1"),
    "static": (EVERYONE, "/static/none.css"),
    "webhooks.stripe_webhook": (NOBODY, "/webhooks/stripe"),
    "donor.sign_in": (EVERYONE, "/my/sign-in"),
    "donor.request_link": (EVERYONE, "/my/sign-in"),
    "donor.follow_link": (NOBODY, "/my/sign-in/forged-token"),
    "donor.home": (NOBODY, "/my/"),
    "donor.sign_out": (NOBODY, "/my/sign-out"),
    "donor.receipt_pdf": (NOBODY, "/my/receipts/1.pdf"),
    "donor.interim_statement": (NOBODY, "/my/donors/1/interim.pdf"),
    "donor.address": (NOBODY, "/my/donors/1/address"),
    "donor.mail_preferences": (NOBODY, "/my/donors/1/mail"),
    "donor.pledge_amount": (NOBODY, "/my/pledges/1/amount"),
    "donor.pledge_cancel": (NOBODY, "/my/pledges/1/cancel"),
    "donor.pledge_card": (NOBODY, "/my/pledges/1/card"),
    "office.login": (EVERYONE, "/office/login"),
    "office.logout": (EVERYONE, "/office/logout"),
    "office.donations": (READERS, "/office/donations"),
    "office.donations_csv": (READERS, "/office/donations.csv"),
    "office.donation": (READERS, "/office/donations/1"),
    "office.confirm_refund": (OFFICE, "/office/donations/1/refund/confirm"),
    "office.refund": (OFFICE, "/office/donations/1/refund"),
    "office.dispute_list": (OFFICE, "/office/disputes"),
    "office_dashboard.index": (READERS, "/office/"),
    "office_donors.index": (READERS, "/office/donors/"),
    "office_donors.detail": (READERS, "/office/donors/1"),
    "office_donors.edit": (OFFICE, "/office/donors/1/edit"),
    "office_donors.duplicates": (OFFICE, "/office/donors/duplicates"),
    "office_donors.merge_preview": (OFFICE, "/office/donors/1/merge"),
    "office_donors.merge": (OFFICE, "/office/donors/1/merge"),
    "office_mail.outbox": (OFFICE, "/office/mail/"),
    "office_mail.message": (OFFICE, "/office/mail/1"),
    "office_mail.message_html": (OFFICE, "/office/mail/1/html"),
    "office_mail.retry": (OFFICE, "/office/mail/retry"),
    "office_mail.catchall": (OFFICE, "/office/mail/catch-all"),
    "office_mail.catchall_message": (OFFICE, "/office/mail/catch-all/none.eml"),
    "office_audit.index": (OFFICE, "/office/audit/"),
    "office_campaigns.index": (OFFICE, "/office/campaigns/"),
    "office_campaigns.new_campaign": (OFFICE, "/office/campaigns/new"),
    "office_campaigns.campaign": (OFFICE, "/office/campaigns/1"),
    "office_campaigns.save_campaign": (OFFICE, "/office/campaigns/1"),
    "office_campaigns.campaign_state": (OFFICE, "/office/campaigns/1/state"),
    "office_campaigns.close_campaign": (OFFICE, "/office/campaigns/1/close"),
    "office_campaigns.stretch_goal": (OFFICE, "/office/campaigns/1/stretch"),
    "office_campaigns.save_tier": (OFFICE, "/office/campaigns/1/tiers"),
    "office_campaigns.new_project": (OFFICE, "/office/projects/new"),
    "office_campaigns.create_project": (OFFICE, "/office/projects/new"),
    "office_campaigns.project": (OFFICE, "/office/projects/1"),
    "office_campaigns.save_project": (OFFICE, "/office/projects/1"),
    "office_campaigns.project_state": (OFFICE, "/office/projects/1/state"),
    "office_campaigns.presets": (OFFICE, "/office/campaigns/1/presets"),
    "office_campaigns.add_image": (OFFICE, "/office/campaigns/1/images"),
    "office_campaigns.remove_image": (OFFICE, "/office/campaigns/1/images/1/remove"),
    "office_campaigns.post_report": (OFFICE, "/office/projects/1/reports"),
    "office_pledges.index": (OFFICE, "/office/pledges/"),
    "office_pledges.cancel": (OFFICE, "/office/pledges/1/cancel"),
    "office_receipts.search": (OFFICE, "/office/receipts/"),
    "office_receipts.detail": (OFFICE, "/office/receipts/1"),
    "office_receipts.pdf": (OFFICE, "/office/receipts/1.pdf"),
    "office_receipts.void": (OFFICE, "/office/receipts/1/void"),
    "office_receipts.reissue": (OFFICE, "/office/receipts/1/reissue"),
    "office_receipts.send": (OFFICE, "/office/receipts/1/send"),
    "office_receipts.issue": (OFFICE, "/office/receipts/issue"),
    "office_receipts.annual": (OFFICE, "/office/receipts/annual"),
    "office_receipts.interim_statement": (OFFICE, "/office/receipts/interim/1.pdf"),
    "office_receipts.runs": (OFFICE, "/office/receipts/runs"),
    "office_receipts.start_january": (OFFICE, "/office/receipts/runs/january"),
    "office_receipts.lift_no_receipt": (OFFICE, "/office/receipts/donations/1/lift-no-receipt"),
    "office_receipts.gift_not_eligible": (OFFICE, "/office/receipts/1/gifts/1/not-eligible"),
    "office_receipts.holds": (OFFICE, "/office/receipts/holds"),
    "office_receipts.release_hold": (OFFICE, "/office/receipts/holds/1/release"),
    "office_money.index": (OFFICE, "/office/money/"),
    "office_money.gifts": (OFFICE, "/office/money/gifts"),
    "office_money.new_gift": (OFFICE, "/office/money/gifts/new"),
    "office_money.record_gift": (OFFICE, "/office/money/gifts"),
    "office_money.pledges": (OFFICE, "/office/money/pledges"),
    "office_money.new_pledge": (OFFICE, "/office/money/pledges/new"),
    "office_money.create_pledge": (OFFICE, "/office/money/pledges"),
    "office_money.pledge": (OFFICE, "/office/money/pledges/1"),
    "office_money.record_instalment": (OFFICE, "/office/money/pledges/1/instalments/1"),
    "office_money.cancel_pledge": (OFFICE, "/office/money/pledges/1/cancel"),
    "office_statements.index": (READERS, "/office/ledger/statements/"),
    "office_statements.statement": (READERS,
                                    "/office/ledger/statements/project/quantum-scalpel-magnet?fy=2026"),
    "office_statements.statement_csv": (READERS, "/office/ledger/statements/general.csv?fy=2026"),
    "office_reconcile.bank": (OFFICE, "/office/money/bank"),
    "office_reconcile.import_statement": (OFFICE, "/office/money/bank/statements"),
    "office_reconcile.statement": (OFFICE, "/office/money/bank/statements/1"),
    "office_reconcile.match_line": (OFFICE, "/office/money/bank/lines/1/match"),
    "office_reconcile.dismiss_line": (OFFICE, "/office/money/bank/lines/1/dismiss"),
    "office_reconcile.bank_accounts": (OFFICE, "/office/money/bank/accounts"),
    "office_reconcile.save_bank_account": (OFFICE, "/office/money/bank/accounts"),
    "office_reconcile.stripe": (OFFICE, "/office/money/stripe"),
    "office_reconcile.import_stripe": (OFFICE, "/office/money/stripe/import"),
    "office_reconcile.import_report": (OFFICE, "/office/money/stripe/report"),
    "office_reconcile.payout": (OFFICE, "/office/money/stripe/payouts/1"),
    "office_reconcile.reconcile_payout": (OFFICE, "/office/money/stripe/payouts/1/reconcile"),
    "office_reconcile.mapping": (OFFICE, "/office/money/mapping"),
    "office_reconcile.save_mapping": (OFFICE, "/office/money/mapping"),
    "office_ledger.index": (READERS, "/office/ledger/"),
    "office_ledger.allocate_form": (OFFICE, "/office/ledger/allocate"),
    "office_ledger.allocate": (OFFICE, "/office/ledger/allocate"),
    "office_ledger.spend_form": (OFFICE, "/office/ledger/spend"),
    "office_ledger.spend": (OFFICE, "/office/ledger/spend"),
    "office_ledger.approve_allocation": (ADMIN, "/office/ledger/allocations/1/approve"),
    "office_ledger.reject_allocation": (ADMIN, "/office/ledger/allocations/1/reject"),
    "office_ledger.approve_spend": (ADMIN, "/office/ledger/spends/1/approve"),
    "office_ledger.reject_spend": (ADMIN, "/office/ledger/spends/1/reject"),
    "office_ledger.entry": (READERS, "/office/ledger/entries/1"),
    "office_ledger.confirm_reverse": (OFFICE, "/office/ledger/entries/1/reverse"),
    "office_ledger.reverse": (OFFICE, "/office/ledger/entries/1/reverse"),
    "office_ledger.invoice": (READERS, "/office/ledger/spends/1/invoice.pdf"),
    "accountant_journal.index": (ACCOUNTANT, "/accountant/journal/"),
    "accountant_journal.export": (ACCOUNTANT, "/accountant/journal/"),
    "accountant.index": (ACCOUNTANT, "/accountant/"),
    "accountant.receipt_pdf": (ACCOUNTANT, "/accountant/receipts/1.pdf"),
    "accountant.receipts_csv": (ACCOUNTANT, "/accountant/receipts.csv?year=2026"),
    "accountant.export": (ACCOUNTANT, "/accountant/exports"),
    "accountant.annual": (ACCOUNTANT, "/accountant/annual"),
    "accountant.issue": (ACCOUNTANT, "/accountant/issue"),
    "accountant.job": (ACCOUNTANT, "/accountant/jobs/1"),
    "accountant.job_status": (ACCOUNTANT, "/accountant/jobs/1.json"),
    "accountant.job_download": (ACCOUNTANT, "/accountant/jobs/1/download"),
}
SIGN_IN_PAGES = ("/office/login", "/my/sign-in")


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(MATRIX) == set(), "say who may use these routes"
    assert set(MATRIX) - endpoints == set()


def _refused(response, signed):
    """403 or a redirect to a sign-in page; for a route that needs a signature or a
    signed link, the forged one is also refused as 400, 404 or 410."""
    if response.status_code == 403 or (signed and response.status_code in (400, 404, 410)):
        return True
    return response.status_code == 302 and response.headers["Location"].split("?")[0].endswith(
        SIGN_IN_PAGES)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_routes(app, client, ctx, seeded, role):
    if role != "anonymous":
        user = create_staff(f"{role}-matrix@qst.example", role, role, "pw-matrix")
        assert sign_in_through_forms(client, user, "pw-matrix").status_code == 302
    token = csrf_token(client, "/donate")
    wrong = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("office.logout", "office.login"):
            continue  # signing out or in again would change the role under test
        allowed, url = MATRIX[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = (client.post(url, data={"csrf_token": token}) if method == "POST"
                        else client.get(url))
            assert response.status_code < 500, (rule.endpoint, method, response.status_code)
            if (role in allowed) == _refused(response, signed=allowed is NOBODY):
                wrong.append((rule.endpoint, method, response.status_code,
                              response.headers.get("Location")))
    assert wrong == []


def test_signing_out_ends_every_staff_route(client, sign_in):
    sign_in("admin")
    client.post("/office/logout", data={"csrf_token": csrf_token(client, "/office/")})
    for endpoint, (allowed, url) in MATRIX.items():
        if allowed in (OFFICE, ACCOUNTANT, READERS) and "/jobs/" not in url and url.endswith("/"):
            assert _refused(client.get(url), signed=False), url
