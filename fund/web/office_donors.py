"""/office/donors: find donors, read one donor's story, correct contact details, 名寄せ."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fund.core import audit
from fund.core.errors import FundError, NotFound
from fund.core.extensions import db
from fund.core.i18n import locale
from fund.donors import services as donors
from fund.donors.models import Donor
from fund.office import donor_merge, donor_pages
from fund.web import forms
from fund.web.auth import current_staff, guard
from fund.web.office_access import READERS, office_only

bp = Blueprint("office_donors", __name__, url_prefix="/office/donors")
bp.before_request(guard(*READERS))

CONTACT_ARGS = {"name": forms.Text(200), "name_kana": forms.Text(200),
                "company_name": forms.Text(200), "representative": forms.Text(200),
                "email": forms.Text(254), "phone": forms.Text(32), "postal_code": forms.Text(16),
                "address": forms.Text(500), "locale": forms.Choice(("ja", "en"))}
CONSENTS = ("wants_news", "wants_reports", "publish_name")


def _donor(donor_id):
    donor = db.session.get(Donor, donor_id)
    if donor is None:
        raise NotFound(_("This donor does not exist."))
    return donor


@bp.get("/")
def index():
    args = forms.query({"q": forms.Text(200), "page": forms.Number()})
    rows, more = donor_pages.find(args["q"], page=args["page"] or 1)
    return render_template("office/donors.html", rows=rows, more=more, q=args["q"],
                           page=args["page"] or 1)


@bp.get("/duplicates")
@office_only
def duplicates():
    return render_template("office/duplicates.html", groups=donors.likely_duplicates())


@bp.get("/<int:donor_id>")
def detail(donor_id):
    donor = _donor(donor_id)
    if donor.merged_into_id:
        flash(_("This donor was merged into donor #%(id)s.", id=donor.merged_into_id))
        return redirect(url_for("office_donors.detail", donor_id=donor.merged_into_id))
    return render_template("office/donor.html", story=donor_pages.story(donor),
                           duplicates=donors.duplicates_of(donor))


@bp.route("/<int:donor_id>/edit", methods=["GET", "POST"])
@office_only
def edit(donor_id):
    donor = _donor(donor_id)
    if request.method == "GET":
        return render_template("office/donor_edit.html", donor=donor, form=None, errors={})
    try:
        changes = forms.form(CONTACT_ARGS)
        changes = {key: value for key, value in changes.items() if key in request.form}
        for consent in CONSENTS:
            changes[consent] = request.form.get(consent) == "yes"
        changes["phone"] = changes.get("phone") or None
        donors.update_contact(donor=donor, changes=changes, actor=audit.staff(current_staff()),
                              lang=locale())
    except FundError as err:
        db.session.rollback()
        return render_template("office/donor_edit.html", donor=_donor(donor_id),
                               form=request.form, errors=err.errors, error=err.message), err.status
    flash(_("The donor's details are saved."))
    return redirect(url_for("office_donors.detail", donor_id=donor.id))


@bp.get("/<int:donor_id>/merge")
@office_only
def merge_preview(donor_id):
    """Preview: the donor of the page is kept, `?other=` is merged into it."""
    kept = _donor(donor_id)
    other = forms.query({"other": forms.Number(required=True)})["other"]
    try:
        found = donor_merge.preview(kept=kept, merged=_donor(other), lang=locale())
    except FundError as err:
        flash(err.message)
        return redirect(url_for("office_donors.detail", donor_id=kept.id))
    return render_template("office/donor_merge.html", preview=found)


@bp.post("/<int:donor_id>/merge")
@office_only
def merge(donor_id):
    kept = _donor(donor_id)
    other = forms.form({"other": forms.Number(required=True)})["other"]
    try:
        found = donor_merge.merge(kept=kept, merged=_donor(other),
                                  actor=audit.staff(current_staff()), lang=locale())
    except FundError as err:
        db.session.rollback()
        flash(err.message)
        return redirect(url_for("office_donors.detail", donor_id=donor_id))
    flash(_("Donor #%(merged)s is merged into this donor: %(gifts)s gifts moved.",
            merged=other, gifts=found.gifts))
    return redirect(url_for("office_donors.detail", donor_id=donor_id))
