"""活動報告 by mail: once per report, to the supporters who did not opt out.

A supporter is a donor whose kept gifts to the campaign (or project) are
above zero (giving.totals' ScopeSupporter rows): a gift refunded in full is
no longer support. Donors who asked for no activity reports get none; the
report stays on the page for everyone.
"""
from flask import current_app

from fund.campaigns.models import ActivityReport, Campaign, Project
from fund.core import audit, clock, jobs, mail, signing
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving.models import ScopeSupporter

TASK = "fund.activity_report_mail"


def recipients(report):
    """The donors this report is mailed to."""
    scope, scope_id = report.owner_key
    return db.session.execute(
        db.select(Donor).join(ScopeSupporter, ScopeSupporter.donor_id == Donor.id)
        .where(ScopeSupporter.scope == scope, ScopeSupporter.scope_id == scope_id,
               ScopeSupporter.net > 0, Donor.wants_reports.is_(True),
               Donor.merged_into_id.is_(None))
        .order_by(Donor.id)).scalars().all()


def page_url(owner):
    """The public page of a campaign or project."""
    kind = "campaigns" if isinstance(owner, Campaign) else "projects"
    return signing.public_url(f"/{kind}/{owner.slug}")


@jobs.task(TASK)
def mail_report(report_id):
    """Queue the report for every supporter and send it; a second call sends nothing. Commits."""
    report = db.session.execute(
        db.select(ActivityReport).where(ActivityReport.id == report_id).with_for_update()
    ).scalar_one_or_none()
    if report is None or report.mailed_at is not None:
        db.session.rollback()
        return 0
    owner = (db.session.get(Campaign, report.campaign_id) if report.campaign_id
             else db.session.get(Project, report.project_id))
    url = page_url(owner)
    people = recipients(report)
    for donor in people:
        rendered = mail.render("activity_report", donor.locale, donor=donor, report=report,
                               owner=owner, page_url=url,
                               contact=current_app.config["MAIL_FROM"])
        mail.queue_rendered(rendered, to=donor.email, kind="activity_report", donor=donor)
    report.mailed_at = clock.now()
    audit.record(audit.SYSTEM, "activity_report.mailed", report, recipients=len(people))
    db.session.commit()
    mail.deliver_committed()
    return len(people)
