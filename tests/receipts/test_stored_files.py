"""Receipts are served exactly as issued: stored bytes, checked, never re-rendered."""
import hashlib
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from fund.core.extensions import db
from fund.core.models import AuditEntry, OutboundEmail
from fund.receipts import issuing as receipts
from fund.receipts import links, storage
from fund.receipts.models import Receipt, ReceiptFile
from tests.receipts.helpers import ACTOR, donor, paid_gift, pdf_text


def _issue(gift):
    receipt = receipts.issue_for_donation(donation=gift, actor=ACTOR)
    db.session.commit()
    return receipt


def _flat(value):
    return "".join(value.split())


def _behind_the_triggers(sql, **params):
    """Run `sql` as someone with database access would, around our PostgreSQL triggers."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    db.session.execute(text(sql), params)
    db.session.commit()
    db.session.expire_all()


def test_an_edit_of_the_row_in_sql_does_not_change_what_is_served(client, sign_in):
    receipt = _issue(paid_gift(donor(name="量子 花子", address="千葉県千葉市稲毛区穴川4-9-1"),
                               amount=5000))
    issued = receipt.sha256
    _behind_the_triggers("UPDATE receipt SET donor_name = '別人 太郎', amount = 500000 "
                         "WHERE id = :id", id=receipt.id)
    assert db.session.get(Receipt, receipt.id).donor_name == "別人 太郎"

    served = [client.get(f"/r/{links.receipt_token(receipt)}")]
    sign_in("accountant")
    served.append(client.get(f"/accountant/receipts/{receipt.id}.pdf"))
    for response in served:
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        body = _flat(pdf_text(response.data))
        assert "量子花子" in body and "¥5,000" in body
        assert "別人" not in body and "500,000" not in body
        assert hashlib.sha256(response.data).hexdigest() == issued


def test_tampered_bytes_are_refused_and_the_office_is_told(client, sign_in):
    receipt = _issue(paid_gift(donor(name="量子 花子")))
    row = storage.stored(receipt)
    forged = row.data.replace(b"%%EOF", b"%%EOF\n% forged")
    assert forged != row.data
    _behind_the_triggers("UPDATE receipt_file SET data = :data WHERE id = :id",
                         data=forged, id=row.id)

    response = client.get(f"/r/{links.receipt_token(receipt)}")
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert receipt.number in page and "SHA-256" in page
    assert b"%PDF" not in response.data

    alert = db.session.execute(db.select(AuditEntry).where(
        AuditEntry.action == storage.MISMATCH_ACTION)).scalar_one()
    assert alert.subject_id == receipt.id
    assert alert.data["found"] == hashlib.sha256(forged).hexdigest()
    assert alert.data["stored"] == receipt.sha256

    sign_in("office")
    dashboard = client.get("/office/").get_data(as_text=True)
    assert "attention-receipt_file_mismatch" in dashboard and receipt.number in dashboard
    assert client.get(f"/office/receipts/{receipt.id}.pdf").status_code == 503


def _office_alerts():
    return db.session.execute(db.select(OutboundEmail).filter_by(kind=storage.ALERT_KIND)
                              .order_by(OutboundEmail.id)).scalars().all()


def _forge(receipt):
    row = storage.stored(receipt)
    _behind_the_triggers("UPDATE receipt_file SET data = :data WHERE id = :id",
                         data=row.data.replace(b"%%EOF", b"%%EOF\n% forged"), id=row.id)


def test_a_mismatch_mails_the_office_once_per_receipt(client, app, sign_in, monkeypatch):
    monkeypatch.setitem(app.config, "RECEIPT_ALERT_EMAIL", "office-alerts@qst.example")
    first = _issue(paid_gift(donor(name="量子 花子")))
    second = _issue(paid_gift(donor(name="量子 次郎")))
    for receipt in (first, second):
        _forge(receipt)
    for _ in range(3):  # the donor tries again and again
        assert client.get(f"/r/{links.receipt_token(first)}").status_code == 503
    sign_in("accountant")
    assert client.get(f"/accountant/receipts/{first.id}.pdf").status_code == 503
    alert, = _office_alerts()
    assert alert.to_address == "office-alerts@qst.example" and alert.donor_id is None
    assert first.number in alert.subject and "SHA-256" in alert.subject
    assert first.sha256 in alert.body and f"/office/receipts/{first.id}" in alert.body
    assert alert.body.startswith(f"受領証明書 {first.number} の保存ファイル（issued）が SHA-256 と")
    assert f"The stored issued file of receipt {first.number} does not match" in alert.body
    assert f"保存時の SHA-256 / stored:      {first.sha256}" in alert.body
    assert "{{" not in alert.body and "{#" not in alert.body
    assert alert.status in ("sent", "logged")  # delivered, not left in the outbox
    # Each receipt once: another tampered receipt is its own alert.
    assert client.get(f"/accountant/receipts/{second.id}.pdf").status_code == 503
    assert second.number in _office_alerts()[1].subject
    assert len(_office_alerts()) == 2
    # Every refusal is still in the audit log.
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).where(
        AuditEntry.action == storage.MISMATCH_ACTION)) == 5


def test_the_office_address_defaults_to_the_contact_address(ctx, app):
    receipt = _issue(paid_gift())
    _forge(receipt)
    with pytest.raises(storage.FileTampered):
        receipts.pdf_bytes(receipt)
    assert _office_alerts()[0].to_address == app.config["FUND_CONTACT_EMAIL"]


def test_a_void_is_its_own_stamped_document_and_the_issued_file_stays(ctx):
    receipt = _issue(paid_gift(donor(name="量子 花子")))
    issued = storage.stored(receipt, "issued").data
    receipts.void(receipt=receipt, reason="寄附の対象外", actor=ACTOR)
    files = db.session.execute(db.select(ReceiptFile).where(
        ReceiptFile.receipt_id == receipt.id).order_by(ReceiptFile.id)).scalars().all()
    assert [f.kind for f in files] == ["issued", "void"]
    assert files[0].data == issued and hashlib.sha256(issued).hexdigest() == receipt.sha256
    voided = receipts.pdf_bytes(receipt)
    assert hashlib.sha256(voided).hexdigest() == receipt.void_sha256 == files[1].sha256
    text_ = _flat(pdf_text(voided))
    voided_on = receipt.voided_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert "無効" in text_ and "無効とした日" in text_
    assert f"{voided_on.year}年{voided_on.month}月{voided_on.day}日" in text_


def test_a_file_is_written_once(ctx):
    receipt = _issue(paid_gift())
    with pytest.raises(Exception, match="never rewritten"):
        storage.keep(receipt, b"%PDF-1.7 another")
    db.session.rollback()
    assert storage.stored(receipt).sha256 == receipt.sha256


def test_a_receipt_issued_before_files_were_stored_gets_its_file_only_if_it_matches(ctx):
    kept = _issue(paid_gift(donor(name="量子 花子")))
    edited = _issue(paid_gift(donor(name="量子 次郎")))
    for receipt in (kept, edited):  # as they were before this release
        _behind_the_triggers("DELETE FROM receipt_file WHERE receipt_id = :id", id=receipt.id)
    _behind_the_triggers("UPDATE receipt SET amount = 500000 WHERE id = :id", id=edited.id)

    data = receipts.pdf_bytes(kept)
    assert hashlib.sha256(data).hexdigest() == kept.sha256
    assert storage.stored(kept) is not None
    with pytest.raises(storage.FileTampered):
        receipts.pdf_bytes(edited)
    assert storage.stored(edited) is None
    assert db.session.execute(db.select(AuditEntry).where(
        AuditEntry.action == storage.MISMATCH_ACTION)).scalar_one().subject_id == edited.id


class FakeBucket:
    """What an S3 client answers, for the calls storage makes (put with If-None-Match)."""

    page_size = 1000  # ListObjectsV2's MaxKeys default

    def __init__(self):
        self.objects, self.calls, self.written = {}, [], {}
        self.refuse_deletes = False

    def put_object(self, *, Bucket, Key, Body, IfNoneMatch, **_):
        self.calls.append(("put", Bucket, Key, IfNoneMatch))
        if IfNoneMatch == "*" and (Bucket, Key) in self.objects:
            raise RuntimeError("PreconditionFailed")
        self.objects[(Bucket, Key)] = Body
        self.written[(Bucket, Key)] = datetime.now(timezone.utc)

    def get_object(self, *, Bucket, Key):
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)])}

    def delete_object(self, *, Bucket, Key):
        self.calls.append(("delete", Bucket, Key))
        if self.refuse_deletes:
            raise RuntimeError("AccessDenied: object is WORM protected")
        self.objects.pop((Bucket, Key), None)

    def list_objects_v2(self, *, Bucket, Prefix="", ContinuationToken=None):
        keys = sorted(k for b, k in self.objects if b == Bucket and k.startswith(Prefix))
        start = int(ContinuationToken or 0)
        shown = keys[start:start + self.page_size]
        page = {"IsTruncated": start + self.page_size < len(keys),
                "Contents": [{"Key": k, "LastModified": self.written[(Bucket, k)],
                              "Size": len(self.objects[(Bucket, k)])} for k in shown]}
        if page["IsTruncated"]:
            page["NextContinuationToken"] = str(start + self.page_size)
        self.calls.append(("list", Bucket, Prefix, ContinuationToken))
        return page

    def age(self, hours):
        """Every object written `hours` earlier than it was."""
        for where in self.written:
            self.written[where] -= timedelta(hours=hours)


@pytest.fixture
def bucket(app, monkeypatch):
    """RECEIPT_STORAGE=s3 on the FakeBucket."""
    fake = FakeBucket()
    monkeypatch.setitem(app.config, "RECEIPT_STORAGE", "s3")
    monkeypatch.setitem(app.config, "RECEIPT_S3_BUCKET", "receipts-test")
    monkeypatch.setattr(storage, "_s3", lambda b, p, e: storage.S3Storage(
        bucket=b, prefix=p, client=fake))
    return fake


def _keys(bucket):
    return sorted(key for _, key in bucket.objects)


def test_a_rolled_back_payment_leaves_no_object_in_the_bucket(ctx, bucket):
    gift = paid_gift(donor(name="量子 花子"))
    receipt = receipts.issue_for_donation(donation=gift, actor=ACTOR)
    key = storage.stored(receipt).location.removeprefix("s3://receipts-test/")
    assert _keys(bucket) == [key]
    db.session.rollback()  # the payment's transaction fails after the receipt was stored
    assert _keys(bucket) == [] and ("delete", "receipts-test", key) in bucket.calls
    assert db.session.scalar(db.select(db.func.count(Receipt.id))) == 0

    # Issued again (the number came back to the series): written anew and kept.
    again = _issue(paid_gift(donor(name="量子 花子")))
    assert again.number == receipt.number
    assert _keys(bucket) == [storage.stored(again).location.removeprefix("s3://receipts-test/")]
    assert hashlib.sha256(receipts.pdf_bytes(again)).hexdigest() == again.sha256


def test_a_rolled_back_savepoint_deletes_only_what_it_wrote(ctx, bucket):
    receipt = _issue(paid_gift())
    issued = _keys(bucket)
    with pytest.raises(RuntimeError):
        with db.session.begin_nested():  # as a receiver does inside a refund's transaction
            receipts.mark_void(receipt, "テスト", ACTOR)
            assert len(bucket.objects) == 2
            raise RuntimeError("the receiver failed")
    assert _keys(bucket) == issued
    with db.session.begin_nested():  # a savepoint that is released: its object stays …
        receipts.mark_void(receipt, "テスト", ACTOR)
    db.session.commit()  # … once the transaction commits
    assert len(bucket.objects) == 2 and storage.stored(receipt, "void") is not None
    assert hashlib.sha256(receipts.pdf_bytes(receipt)).hexdigest() == receipt.void_sha256


def test_a_session_closed_without_commit_deletes_its_objects(ctx, bucket):
    receipts.issue_for_donation(donation=paid_gift(), actor=ACTOR)
    assert len(bucket.objects) == 1
    db.session.close()  # a request torn down after an error nobody rolled back
    assert bucket.objects == {}


def test_an_object_the_transaction_did_not_write_is_not_deleted(ctx, bucket):
    gift = paid_gift()
    receipt = receipts.issue_for_donation(donation=gift, actor=ACTOR)
    kept = dict(bucket.objects)
    db.session.commit()
    # A leftover with the very bytes a later attempt writes (a killed process's object)
    # is accepted by that attempt and left alone when it rolls back.
    row = storage.stored(receipt)
    s3 = storage.S3Storage(bucket="receipts-test", prefix="receipts/", client=bucket)
    assert s3.put(row, bucket.objects[next(iter(bucket.objects))]) is False
    db.session.rollback()
    assert bucket.objects == kept


def _orphans(app, *args):
    return app.test_cli_runner().invoke(args=["fund", "receipts", "orphans", *args])


def test_an_object_a_killed_issue_left_is_swept_and_named_receipts_are_not(ctx, app, bucket):
    bucket.page_size = 2  # the listing comes in pages, as a large bucket's does
    kept = [_issue(paid_gift(donor(name=f"量子 {n}"))) for n in ("一郎", "二郎", "三郎")]
    receipts.void(receipt=kept[0], reason="寄附の対象外", actor=ACTOR)
    db.session.commit()
    # Issuing dies after the object is written and the bucket is down when the
    # transaction rolls back: the object stays and no row names it.
    bucket.refuse_deletes = True
    lost = receipts.issue_for_donation(donation=paid_gift(), actor=ACTOR)
    orphan = storage.stored(lost).location.removeprefix("s3://receipts-test/")
    db.session.rollback()
    bucket.refuse_deletes = False
    # Not ours to judge: something else under the prefix, and another prefix's object.
    bucket.objects[("receipts-test", "receipts/README.txt")] = b"notes"
    bucket.objects[("receipts-test", "other/2026/2026-000001-issued-0123456789abcdef.pdf")] = b"x"
    for where in bucket.objects:
        bucket.written.setdefault(where, datetime.now(timezone.utc))
    assert len(bucket.objects) == 7

    # Young, it may belong to a receipt being issued right now: not listed.
    result = _orphans(app)
    assert result.exit_code == 0 and "0 objects no receipt names" in result.output
    bucket.age(hours=25)
    result = _orphans(app)
    assert result.exit_code == 0, result.output
    assert orphan in result.output and "1 objects no receipt names" in result.output
    assert [c for c in bucket.calls if c[0] == "list"][-1][3] is not None  # read every page
    assert not any(c[0] == "delete" and c[2] != orphan for c in bucket.calls)

    result = _orphans(app, "--delete")
    assert result.exit_code == 0, result.output
    assert f"deleted {orphan}" in result.output and "1 of 1" in result.output
    assert ("receipts-test", orphan) not in bucket.objects and len(bucket.objects) == 6
    assert "0 objects" in _orphans(app).output
    for receipt in kept:  # every receipt still serves its files, issued and void
        db.session.expire_all()
        receipt = db.session.get(Receipt, receipt.id)
        assert hashlib.sha256(receipts.pdf_bytes(receipt)).hexdigest() == receipt.current_sha256
    assert storage.stored(kept[0], "issued") is not None


def test_a_delete_the_bucket_refuses_is_reported_and_the_object_kept(ctx, app, bucket):
    bucket.refuse_deletes = True
    lost = receipts.issue_for_donation(donation=paid_gift(), actor=ACTOR)
    orphan = storage.stored(lost).location.removeprefix("s3://receipts-test/")
    db.session.rollback()
    bucket.age(hours=48)
    result = _orphans(app, "--delete", "--older-than-hours", "36")
    assert result.exit_code == 1
    assert f"kept    {orphan}" in result.output and "Object Lock" in result.output
    assert ("receipts-test", orphan) in bucket.objects
    assert "Traceback" not in result.output


def test_the_sweep_says_so_without_a_bucket(ctx, app):
    result = _orphans(app)
    assert result.exit_code == 1 and "RECEIPT_STORAGE=db" in result.output
    assert "Traceback" not in result.output


def test_the_s3_backend_keeps_the_bytes_in_the_bucket(ctx, app, monkeypatch):
    bucket = FakeBucket()
    monkeypatch.setitem(app.config, "RECEIPT_STORAGE", "s3")
    monkeypatch.setitem(app.config, "RECEIPT_S3_BUCKET", "receipts-test")
    monkeypatch.setattr(storage, "_s3", lambda b, p, e: storage.S3Storage(
        bucket=b, prefix=p, client=bucket))
    receipt = _issue(paid_gift(donor(name="量子 花子")))
    row = storage.stored(receipt)
    assert row.backend == "s3" and row.data is None
    key = f"receipts/{receipt.series_year}/{receipt.number}-issued-{receipt.sha256[:16]}.pdf"
    assert row.location == f"s3://receipts-test/{key}"
    assert bucket.calls == [("put", "receipts-test", key, "*")]
    assert hashlib.sha256(receipts.pdf_bytes(receipt)).hexdigest() == receipt.sha256

    # The same bytes again (a number handed back by a rollback, issued anew) are accepted;
    # other bytes under that key are refused by the bucket.
    s3 = storage.S3Storage(bucket="receipts-test", prefix="receipts/", client=bucket)
    s3.put(row, bucket.objects[("receipts-test", key)])
    with pytest.raises(RuntimeError, match="PreconditionFailed"):
        s3.put(row, b"%PDF other bytes")

    bucket.objects[("receipts-test", key)] += b"\n% changed in the bucket"
    with pytest.raises(storage.FileTampered):
        receipts.pdf_bytes(receipt)


def test_the_s3_backend_uses_boto3_with_a_conditional_put(ctx):
    botocore_stub = pytest.importorskip("botocore.stub")
    import boto3

    client = boto3.client("s3", region_name="ap-northeast-1", aws_access_key_id="x",
                          aws_secret_access_key="y")
    stubber = botocore_stub.Stubber(client)
    receipt = _issue(paid_gift())
    data = storage.stored(receipt).data
    key = f"r/{receipt.series_year}/{receipt.number}-issued-{receipt.sha256[:16]}.pdf"
    stubber.add_response("put_object", {}, {
        "Bucket": "b", "Key": key, "Body": data, "ContentType": "application/pdf",
        "IfNoneMatch": "*", "ChecksumAlgorithm": "SHA256"})
    with stubber:
        row = ReceiptFile(receipt=receipt, kind="issued", sha256=receipt.sha256, size=0)
        storage.S3Storage(bucket="b", prefix="r/", client=client).put(row, data)
    assert row.location == f"s3://b/{key}"


def test_the_sweep_pages_through_boto3s_listing(ctx):
    botocore_stub = pytest.importorskip("botocore.stub")
    import boto3

    client = boto3.client("s3", region_name="ap-northeast-1", aws_access_key_id="x",
                          aws_secret_access_key="y")
    stubber = botocore_stub.Stubber(client)
    when = datetime(2026, 1, 5, tzinfo=timezone.utc)
    stubber.add_response("list_objects_v2", {
        "IsTruncated": True, "NextContinuationToken": "page-2", "KeyCount": 1,
        "Contents": [{"Key": "r/2026/a.pdf", "LastModified": when, "Size": 3}]},
        {"Bucket": "b", "Prefix": "r/"})
    stubber.add_response("list_objects_v2", {"IsTruncated": False, "KeyCount": 0},
                         {"Bucket": "b", "Prefix": "r/", "ContinuationToken": "page-2"})
    with stubber:
        pages = list(storage.S3Storage(bucket="b", prefix="r/", client=client).objects())
    stubber.assert_no_pending_responses()
    assert [[item["Key"] for item in page] for page in pages] == [["r/2026/a.pdf"], []]


@pytest.mark.pg_only
def test_postgresql_refuses_edits_of_printed_fields_and_stored_files(ctx):
    receipt = _issue(paid_gift(donor(name="量子 花子")))
    for sql in ("UPDATE receipt SET donor_name = '別人' WHERE id = :id",
                "UPDATE receipt SET amount = 500000 WHERE id = :id",
                "UPDATE receipt SET donor_address = 'x' WHERE id = :id",
                "UPDATE receipt SET number = '2026-999999' WHERE id = :id",
                "UPDATE receipt SET issued_on = '2020-01-01' WHERE id = :id",
                "UPDATE receipt SET sha256 = repeat('0', 64) WHERE id = :id",
                "UPDATE receipt_line SET amount = 1 WHERE receipt_id = :id",
                "UPDATE receipt_file SET data = 'x' WHERE receipt_id = :id",
                "UPDATE receipt_file SET sha256 = repeat('0', 64) WHERE receipt_id = :id",
                "DELETE FROM receipt_file WHERE receipt_id = :id"):
        with pytest.raises(DBAPIError, match="cannot change|write-once"):
            db.session.execute(text(sql), {"id": receipt.id})
        db.session.rollback()
    # Status changes stay possible: a void, and the first open of the link.
    receipts.void(receipt=receipt, reason="テスト", actor=ACTOR)
    db.session.execute(text("UPDATE receipt SET opened_at = now() WHERE id = :id"),
                       {"id": receipt.id})
    db.session.commit()
    with pytest.raises(DBAPIError, match="cannot change"):
        db.session.execute(text("UPDATE receipt SET status = 'valid' WHERE id = :id"),
                           {"id": receipt.id})
    db.session.rollback()
    assert db.session.get(Receipt, receipt.id).status == "void"
    assert db.session.get(Receipt, receipt.id).issued_on != date(2020, 1, 1)


def test_store_files_stores_older_receipts_and_refuses_edited_ones(ctx, app):
    kept = _issue(paid_gift(donor(name="量子 花子")))
    edited = _issue(paid_gift(donor(name="量子 次郎")))
    pending = receipts.issue_for_donation(donation=paid_gift(), actor=ACTOR, with_hash=False)
    db.session.commit()
    for receipt in (kept, edited):
        _behind_the_triggers("DELETE FROM receipt_file WHERE receipt_id = :id", id=receipt.id)
    _behind_the_triggers("UPDATE receipt SET donor_name = '別人' WHERE id = :id", id=edited.id)

    result = app.test_cli_runner().invoke(args=["fund", "receipts", "store-files"])
    assert result.exit_code == 1, result.output
    assert "2 receipt files stored" in result.output and edited.number in result.output
    db.session.expire_all()
    assert storage.stored(kept).sha256 == kept.sha256
    assert storage.stored(edited) is None
    pending = db.session.get(Receipt, pending.id)
    assert pending.sha256 and storage.stored(pending).sha256 == pending.sha256
