"""Each donor known once: their page, contact details corrected (audited), 名寄せ and merge."""
from datetime import date

import pytest

from fund.core.extensions import db
from fund.core.models import AuditEntry, OutboundEmail
from fund.donors import services as donors
from fund.donors.models import Donor
from fund.giving import totals
from fund.giving.models import Pledge, ScopeTotal
from fund.office.models import GiftFact
from fund.receipts.models import Receipt, ReceiptLine
from tests.factories import DonorFactory, paid_gift


def _receipt(donor, number, *, kind="single", gift=None, year=2026):
    receipt = Receipt(series_year=year, sequence=int(number[-3:]), number=number, kind=kind,
                      donor_id=donor.id, donor_kind=donor.kind, donor_name=donor.receipt_name,
                      donor_address=donor.address, amount=5000, received_on=date(year, 5, 10),
                      year=year, issuer_name="QST", issuer_address="千葉", issuer_representative="理事長",
                      issued_on=date(year, 5, 11))
    db.session.add(receipt)
    db.session.flush()
    if gift is not None:
        db.session.add(ReceiptLine(receipt_id=receipt.id, donation_id=gift.id, amount=gift.amount,
                                   received_on=receipt.received_on))
    return receipt


@pytest.fixture
def twins(ctx):
    """One person known twice: the name written two ways, the same phone."""
    first = DonorFactory(name="山田 太郎", name_kana="ヤマダ タロウ", email="taro@example.jp",
                         phone="090-1111-2222", wants_news=True)
    second = DonorFactory(name="山田　太郎", name_kana="ﾔﾏﾀﾞ ﾀﾛｳ", email="yamada@work.example",
                          phone="09011112222", address="東京都千代田区1-1", wants_news=False)
    old = paid_gift(second, 5000, message="応援しています")
    paid_gift(first, 3000)
    db.session.add(Pledge(donor=second, amount=1000, status="active"))
    receipt = _receipt(second, "2026-000007", gift=old)
    db.session.add(OutboundEmail(to_address=second.email, subject="お礼", body="b", kind="thanks",
                                 donor_id=second.id, status="sent"))
    db.session.commit()
    totals.rebuild()
    return first, second, old, receipt


def test_a_donors_page_tells_their_whole_story(client, sign_in, twins):
    first, second, old, receipt = twins
    sign_in("accountant")  # read only
    page = client.get(f"/office/donors/{second.id}").get_data(as_text=True)
    for seen in ("ﾔﾏﾀﾞ ﾀﾛｳ", "yamada@work.example", "応援しています", "2026-000007", "お礼",
                 f'/office/donations/{old.id}', "¥1,000"):
        assert seen in page, seen
    assert "Correct contact details" not in page and "連絡先を修正する" not in page
    assert client.get(f"/office/donors/{second.id}/edit").status_code == 403
    found = client.get("/office/donors/?q=やまだ").get_data(as_text=True)
    assert f"/office/donors/{first.id}" in found and f"/office/donors/{second.id}" in found


def test_contact_details_are_corrected_and_audited(client, sign_in, twins):
    _first, second, _old, receipt = twins
    user = sign_in("office")
    response = client.post(f"/office/donors/{second.id}/edit", data={
        "csrf_token": user.csrf, "name": "山田 太郎", "name_kana": "ヤマダ タロウ",
        "email": "ｙａｍａｄａ@work.example", "phone": "090-1111-2222",
        "postal_code": "〒１００－０００１", "address": "東京都千代田区千代田1-1", "locale": "en",
        "wants_reports": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (second.postal_code, second.email, second.locale) == ("100-0001", "yamada@work.example", "en")
    assert second.wants_reports and not second.wants_news
    entry = db.session.query(AuditEntry).filter_by(action="donor.contact_changed").one()
    assert entry.actor_id == str(user.user.id)
    assert entry.data["before"]["address"] == "東京都千代田区1-1"
    assert entry.data["after"]["postal_code"] == "100-0001"
    assert receipt.donor_address == "東京都千代田区1-1"  # the receipt keeps its snapshot


def test_bad_contact_details_are_refused_and_nothing_changes(client, sign_in, twins):
    _first, second, _old, _receipt = twins
    user = sign_in("office")
    response = client.post(f"/office/donors/{second.id}/edit", data={
        "csrf_token": user.csrf, "name": "", "email": "not-an-address", "postal_code": "12"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="postal_code-error"' in page
    db.session.expire_all()
    assert second.email == "yamada@work.example"
    assert db.session.query(AuditEntry).filter_by(action="donor.contact_changed").count() == 0


def test_likely_duplicates_are_found(client, sign_in, twins):
    first, second, _old, _receipt = twins
    DonorFactory(name="山田 太郎", phone="03-0000-0000", address="大阪府")  # only the name in common
    db.session.commit()
    assert [d.id for d in donors.duplicates_of(first)] == [second.id]
    groups = donors.likely_duplicates()
    assert [[d.id for d in group] for group in groups] == [[first.id, second.id]]
    sign_in("office")
    page = client.get("/office/donors/duplicates").get_data(as_text=True)
    assert f"/office/donors/{first.id}/merge?other={second.id}" in page


def test_a_merge_is_previewed_then_moves_gifts_and_pledges(client, sign_in, twins):
    first, second, old, receipt = twins
    fund_before = db.session.get(ScopeTotal, ("fund", 0))
    assert (fund_before.raised, fund_before.supporters) == (8000, 2)
    user = sign_in("office")
    preview = client.get(f"/office/donors/{first.id}/merge?other={second.id}&lang=en")
    text = preview.get_data(as_text=True)
    assert "1 gifts, 1 monthly pledges, 1 receipts, 1 mails" in text
    assert db.session.get(Donor, second.id).merged_into_id is None  # a preview changes nothing
    done = client.post(f"/office/donors/{first.id}/merge",
                       data={"csrf_token": user.csrf, "other": second.id})
    assert done.status_code == 302
    db.session.expire_all()
    assert old.donor_id == first.id and db.session.get(GiftFact, old.id).donor_id == first.id
    assert db.session.query(Pledge).one().donor_id == first.id
    assert receipt.donor_id == first.id and receipt.donor_name == "山田　太郎"  # snapshot kept
    assert db.session.get(Donor, second.id).merged_into_id == first.id
    assert first.wants_news is False  # the stricter consent
    fund_total = db.session.get(ScopeTotal, ("fund", 0))
    assert (fund_total.raised, fund_total.supporters) == (8000, 1)
    actions = {(a.action, a.subject_id) for a in db.session.query(AuditEntry)}
    assert ("donor.merged", first.id) in actions and ("donor.merged_into", second.id) in actions
    assert client.get(f"/office/donors/{second.id}").headers["Location"].endswith(
        f"/office/donors/{first.id}")


def test_merges_that_cannot_be_made_are_refused_and_change_nothing(client, sign_in, twins):
    first, second, old, _single = twins
    _receipt(first, "2026-000101", kind="annual")
    _receipt(second, "2026-000102", kind="annual")
    db.session.commit()
    user = sign_in("office")
    client.get("/office/?lang=en")
    for other, message in ((first.id, "A donor cannot be merged into itself."),
                           (second.id, "Both donors have a valid annual receipt for 2026")):
        response = client.post(f"/office/donors/{first.id}/merge", follow_redirects=True,
                               data={"csrf_token": user.csrf, "other": other})
        assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert old.donor_id == second.id and db.session.get(Donor, second.id).merged_into_id is None
    assert db.session.query(AuditEntry).filter(AuditEntry.action.like("donor.merged%")).count() == 0


def test_a_merged_donor_is_not_found_again_by_the_giving_form(ctx, twins):
    first, second, _old, _receipt = twins
    from fund.office import donor_merge
    from fund.core import audit
    donor_merge.merge(kept=first, merged=second, actor=audit.SYSTEM, lang="ja")
    assert donors.donors_with_email("yamada@work.example") == []
    again = donors.find_or_create({
        "email": "yamada@work.example", "donor_kind": "individual", "name": "山田　太郎",
        "name_kana": "", "postal_code": "", "address": "", "publish_name": False}, "ja")
    db.session.flush()
    assert again.id not in (first.id, second.id)
