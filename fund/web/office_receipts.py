"""Office receipt work: find a receipt, void it with a reason (as not eligible: the gift
is marked "no receipt"), mark one gift of an annual summary not eligible (the summary is
reissued without it), reissue it with a reason, issue one that is missing, send the
link again, issue an annual summary, lift a gift's "no receipt" mark."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from fund.core import audit
from fund.core.errors import ValidationFailed
from fund.core.extensions import db
from flask_babel import gettext as _
from fund.donors.models import Donor
from fund.giving.models import Donation
from fund.receipts import holds as receipt_holds
from fund.receipts import issuing as receipts
from fund.receipts import interim, january
from fund.receipts import office as receipt_office
from fund.receipts import rules as receipt_rules
from fund.receipts.models import Receipt
from fund.web import forms
from fund.web.auth import current_staff, guard

bp = Blueprint("office_receipts", __name__, url_prefix="/office/receipts")
bp.before_request(guard("office"))


def _receipt(receipt_id):
    return db.session.get(Receipt, receipt_id) or abort(404)


def _actor():
    return audit.staff(current_staff())


@bp.get("/")
def search():
    q = (request.args.get("q") or "").strip()
    query = db.select(Receipt).order_by(Receipt.id.desc()).limit(100)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(Receipt.number.like(like) | Receipt.donor_name.like(like))
    rows = db.session.execute(query).scalars().all()
    return render_template("office/receipts.html", rows=rows, q=q, staff=current_staff())


@bp.get("/<int:receipt_id>")
def detail(receipt_id):
    receipt = _receipt(receipt_id)
    revisions = db.session.execute(db.select(Receipt).where(
        Receipt.series_year == receipt.series_year, Receipt.sequence == receipt.sequence)
        .order_by(Receipt.revision)).scalars().all()
    return render_template("office/receipt_detail.html", receipt=receipt, revisions=revisions,
                           latest=receipts.latest_revision(receipt), staff=current_staff())


@bp.get("/<int:receipt_id>.pdf")
def pdf(receipt_id):
    receipt = _receipt(receipt_id)
    return Response(receipts.pdf_bytes(receipt), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="receipt-{receipt.number}.pdf"'})


@bp.post("/<int:receipt_id>/void")
def void(receipt_id):
    receipt = _receipt(receipt_id)
    ineligible = request.form.get("ineligible") == "yes"
    receipt_office.void_and_tell(receipt=receipt, reason=request.form.get("reason", ""),
                                 actor=_actor(), ineligible=ineligible)
    flash(f"Receipt {receipt.number} is void; the donor was told why."
          + (" The gift is marked \"no receipt\"." if ineligible else ""))
    return redirect(url_for(".detail", receipt_id=receipt.id))


@bp.post("/<int:receipt_id>/gifts/<int:donation_id>/not-eligible")
def gift_not_eligible(receipt_id, donation_id):
    """One gift of an annual summary is not eligible: reissue the summary without it."""
    summary = _receipt(receipt_id)
    donation = db.session.get(Donation, donation_id) or abort(404)
    new = receipt_office.not_eligible_in_summary(
        summary=summary, donation=donation, reason=request.form.get("reason", ""),
        actor=_actor())
    if new is None:
        flash(f"Receipt {summary.number} is void (its only gift is not eligible); the "
              "donor was told why.")
        return redirect(url_for(".detail", receipt_id=summary.id))
    flash(f"Gift #{donation.id} is marked \"no receipt\"; the summary was reissued "
          f"without it as {new.number} and the donor was sent the new link.")
    return redirect(url_for(".detail", receipt_id=new.id))


@bp.post("/<int:receipt_id>/reissue")
def reissue(receipt_id):
    if (request.form.get("amount") or "").strip():
        # The amount follows refunds and disputes; a typed one could certify money never kept.
        raise ValidationFailed("A reissue states what remains of the gift after refunds and "
                               "disputes; an amount cannot be typed. Refund first, then reissue.",
                               errors={"amount": ["not allowed"]})
    new = receipt_office.reissue_and_send(receipt=_receipt(receipt_id), actor=_actor(),
                                          reason=request.form.get("reason", ""))
    flash(f"Reissued as {new.number}; the donor was sent the new link.")
    return redirect(url_for(".detail", receipt_id=new.id))


@bp.post("/<int:receipt_id>/send")
def send(receipt_id):
    receipt = receipt_office.send_again(receipt=_receipt(receipt_id))
    flash(f"The link to {receipt.number} was sent (see Mail for the outcome).")
    return redirect(url_for(".detail", receipt_id=receipt.id))


@bp.post("/issue")
def issue():
    donation_id = forms.form({"donation_id": forms.Number()})["donation_id"]
    donation = db.session.get(Donation, donation_id) if donation_id is not None else None
    if donation is None:
        raise ValidationFailed("No donation with that number.", errors={"donation_id": ["unknown"]})
    receipt = receipt_office.issue_and_send(donation=donation, actor=_actor())
    flash(f"Receipt {receipt.number} issued and sent.")
    return redirect(url_for(".detail", receipt_id=receipt.id))


@bp.post("/annual")
def annual():
    typed = forms.form({"donor_id": forms.Number(), "year": forms.Number()})
    donor = db.session.get(Donor, typed["donor_id"]) if typed["donor_id"] is not None else None
    if donor is None or typed["year"] is None:
        raise ValidationFailed("Give a donor number and a year.")
    summary = receipt_office.annual_and_send(donor=donor, year=typed["year"], actor=_actor())
    flash(f"Annual receipt {summary.number} issued and sent.")
    return redirect(url_for(".detail", receipt_id=summary.id))


@bp.get("/interim/<int:donor_id>.pdf")
def interim_statement(donor_id):
    """This year's gifts so far (途中経過), marked as not a receipt."""
    donor = db.session.get(Donor, donor_id) or abort(404)
    lang = "en" if request.args.get("lang") == "en" else "ja"
    return Response(interim.interim_pdf(donor=donor, lang=lang), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="interim-{donor.id}.pdf"',
                             "Cache-Control": "private, no-store"})


@bp.get("/runs")
def runs():
    """The season's runs (January summaries, filing reminders) with their progress."""
    return render_template("office/receipt_runs.html", runs=january.all_runs(),
                           due=january.last_finished_year(), staff=current_staff())


@bp.post("/runs/january")
def start_january():
    year = forms.form({"year": forms.Number()})["year"]
    if year is None:
        raise ValidationFailed("Give the year whose annual receipts to issue.",
                               errors={"year": ["required"]})
    january.start(year=year)
    flash(f"The annual receipts of {year} are being issued and mailed; this page shows "
          "how far it has got.")
    return redirect(url_for(".runs"))


@bp.post("/donations/<int:donation_id>/lift-no-receipt")
def lift_no_receipt(donation_id):
    """Lift a gift's "no receipt" mark: a reason and a ticked confirmation, audited."""
    donation = db.session.get(Donation, donation_id) or abort(404)
    receipt_rules.lift_no_receipt(donation=donation, reason=request.form.get("reason", ""),
                                  confirmed=request.form.get("confirm") == "yes", actor=_actor())
    flash(f"Gift #{donation.id} may have a receipt again; issue it below if it is due.")
    return redirect(url_for("office.donation", donation_id=donation.id))


@bp.get("/holds")
def holds():
    """Receipts held because a character of the donor's name or address cannot be printed."""
    return render_template("office/receipt_holds.html", rows=receipt_holds.open_holds(),
                           staff=current_staff())


@bp.post("/holds/<int:hold_id>/release")
def release_hold(hold_id):
    receipt = receipt_office.release_and_send(hold_id=hold_id, actor=_actor())
    flash(_("Receipt %(number)s issued and sent.", number=receipt.number))
    return redirect(url_for(".detail", receipt_id=receipt.id))
