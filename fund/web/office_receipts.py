"""Office receipt work: find a receipt, void it with a reason, reissue it,
issue one that is missing, send the link again, issue an annual summary."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from fund.core import audit
from fund.core.errors import ValidationFailed
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving.models import Donation
from fund.receipts import issuing as receipts
from fund.receipts import interim, january
from fund.receipts import office as receipt_office
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
    receipt_office.void_and_tell(receipt=receipt, reason=request.form.get("reason", ""),
                                 actor=_actor())
    flash(f"Receipt {receipt.number} is void; the donor was told why.")
    return redirect(url_for(".detail", receipt_id=receipt.id))


@bp.post("/<int:receipt_id>/reissue")
def reissue(receipt_id):
    amount = forms.form({"amount": forms.Yen()})["amount"]
    new = receipt_office.reissue_and_send(receipt=_receipt(receipt_id), actor=_actor(),
                                          amount=amount)
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
