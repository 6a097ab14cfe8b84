"""Where the PDF of each receipt is kept, exactly as issued, and how it is served.

A receipt's PDF is rendered once, when it is issued (and once more, stamped
無効, when it is voided); those bytes are written once to a backend and every
download serves them, checked against their SHA-256. A download never renders
the row again, so an edit of the row in SQL cannot change what the donor, the
office or the accountant receives.

Backends (``RECEIPT_STORAGE``):
- ``db`` (default): the bytes live in ``receipt_file.data``; they are backed up
  with the database and protected by its trigger (no UPDATE, no DELETE).
- ``s3``: an S3-compatible bucket (``RECEIPT_S3_BUCKET``, ``RECEIPT_S3_PREFIX``,
  ``RECEIPT_S3_ENDPOINT_URL``; credentials as boto3 finds them). Objects are
  written with ``If-None-Match: *`` so an existing key is never overwritten;
  enable Object Lock (compliance mode) on the bucket to make them write-once
  for the bucket's owner too. The row keeps the key and the SHA-256. The key
  is the receipt's number, the file's kind and its hash, so bytes of another
  render never meet it. An object is written inside the transaction that
  issues the receipt; if that transaction (or the savepoint it was written
  in) rolls back, the objects it wrote are deleted again (`_forget_written`),
  so no orphan stays in the bucket for a receipt that does not exist; what a
  process killed mid-transaction (or a bucket down at rollback) leaves is
  found by `orphans` and removed by `flask fund receipts orphans --delete`.

A mismatch between the bytes and their SHA-256 (or the receipt row's) refuses
the download (`FileTampered`), writes an audit entry, shows on the office
dashboard under "Needs a person" (`mismatches`) and mails the office
(RECEIPT_ALERT_EMAIL, else FUND_CONTACT_EMAIL) once per receipt, however
often the download is tried again.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import re
from datetime import timedelta
from types import SimpleNamespace

from flask import current_app, render_template
from sqlalchemy import event
from sqlalchemy.orm import Session

from fund.core import audit, clock, mail
from fund.core.errors import FundError, ReceiptUnavailable
from fund.core.extensions import db
from fund.receipts.models import Receipt, ReceiptFile, ReceiptStatus

log = logging.getLogger(__name__)

MISMATCH_ACTION = "receipt.file_mismatch"
# The office's mail about a mismatch, and the audit entry that says it went (once a receipt).
ALERT_KIND = "receipt_file_alert"
ALERTED_ACTION = "receipt.file_mismatch_mailed"


class FileTampered(ReceiptUnavailable):
    """The stored PDF no longer matches its SHA-256: it is not served."""

    code = "receipt_file_mismatch"


class StorageMisconfigured(FundError):
    status = 503
    code = "receipt_storage"


def kind_of(receipt):
    return "void" if receipt.status == ReceiptStatus.VOID else "issued"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- backends --------------------------------------------------------------------

class DatabaseStorage:
    """The bytes in the receipt_file row itself."""

    name = "db"

    def put(self, row: ReceiptFile, data: bytes) -> bool:
        row.data = data
        return False  # nothing outside the transaction to clean up

    def get(self, row: ReceiptFile) -> bytes:
        return row.data or b""


class S3Storage:
    """An S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Cloudflare R2 …)."""

    name = "s3"

    def __init__(self, *, bucket, prefix="", endpoint_url=None, client=None):
        if not bucket:
            raise StorageMisconfigured("RECEIPT_STORAGE=s3 needs RECEIPT_S3_BUCKET.")
        self.bucket, self.prefix = bucket, prefix or ""
        if client is None:
            try:
                import boto3
            except ImportError as err:
                raise StorageMisconfigured(
                    "RECEIPT_STORAGE=s3 needs the boto3 package (pip install boto3).") from err
            client = boto3.client("s3", endpoint_url=endpoint_url or None)
        self.client = client

    def key(self, row: ReceiptFile) -> str:
        # The hash is in the key: a number handed back by a rolled-back transaction
        # is issued again with other bytes, and must not meet the orphan object.
        receipt = row.receipt
        return (f"{self.prefix}{receipt.series_year}/{receipt.number}-{row.kind}-"
                f"{row.sha256[:16]}.pdf")

    def put(self, row: ReceiptFile, data: bytes) -> bool:
        """Write the object once; True if this call created it, False if it was there."""
        key = self.key(row)
        try:
            # Never overwrite: a second write of the same key is refused by the bucket.
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data,
                                   ContentType="application/pdf", IfNoneMatch="*",
                                   ChecksumAlgorithm="SHA256")
            created = True
        except Exception:
            # Already there (a killed attempt's object): fine if it is these very bytes.
            try:
                existing = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except Exception:
                existing = None
            if existing != data:
                raise
            created = False
        row.location = f"s3://{self.bucket}/{key}"
        return created

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def objects(self):
        """Every object under the prefix, a page (up to 1,000) at a time: lists of
        {"Key", "LastModified", "Size"} as ListObjectsV2 gives them."""
        token = None
        while True:
            page = self.client.list_objects_v2(
                Bucket=self.bucket, Prefix=self.prefix,
                **({"ContinuationToken": token} if token else {}))
            yield page.get("Contents", [])
            if not page.get("IsTruncated"):
                return
            token = page["NextContinuationToken"]

    def get(self, row: ReceiptFile) -> bytes:
        bucket, _, key = row.location.removeprefix("s3://").partition("/")
        return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()


def backend():
    """The configured backend (built once per configuration)."""
    cfg = current_app.config
    name = (cfg.get("RECEIPT_STORAGE") or "db").lower()
    if name == "db":
        return DatabaseStorage()
    if name == "s3":
        return _s3(cfg.get("RECEIPT_S3_BUCKET"), cfg.get("RECEIPT_S3_PREFIX") or "",
                   cfg.get("RECEIPT_S3_ENDPOINT_URL"))
    raise StorageMisconfigured(f"RECEIPT_STORAGE must be db or s3, not {name!r}.")


@functools.lru_cache(maxsize=4)
def _s3(bucket, prefix, endpoint_url):
    return S3Storage(bucket=bucket, prefix=prefix, endpoint_url=endpoint_url)


def _backend_for(row):
    current = backend()
    if current.name == row.backend:
        return current
    if row.backend == "db":
        return DatabaseStorage()
    cfg = current_app.config
    return _s3(cfg.get("RECEIPT_S3_BUCKET"), cfg.get("RECEIPT_S3_PREFIX") or "",
               cfg.get("RECEIPT_S3_ENDPOINT_URL"))


# --- writing ---------------------------------------------------------------------

def stored(receipt, kind=None):
    """The ReceiptFile of `receipt` (of its current kind by default), or None."""
    return db.session.execute(db.select(ReceiptFile).where(
        ReceiptFile.receipt_id == receipt.id,
        ReceiptFile.kind == (kind or kind_of(receipt)))).scalar_one_or_none()


def keep(receipt, data: bytes, kind=None) -> str:
    """Store `data` once as the receipt's file of `kind` (no commit); returns its SHA-256.

    A receipt has one file per kind: a second write is refused, whatever it holds.
    """
    kind = kind or kind_of(receipt)
    if stored(receipt, kind) is not None:
        raise FundError(f"Receipt {receipt.number} already has its {kind} file; "
                        "stored receipt files are never rewritten.", code="file_exists")
    store = backend()
    row = ReceiptFile(receipt=receipt, receipt_id=receipt.id, kind=kind, sha256=digest(data),
                      size=len(data), backend=store.name)
    if store.put(row, data):
        _remember_written(store, row.location.removeprefix(f"s3://{store.bucket}/"))
    db.session.add(row)
    db.session.flush()
    return row.sha256


# --- objects written by a transaction that does not commit -------------------------

WRITTEN = "fund.receipts.written_objects"


def _remember_written(store, key):
    """Note an object this transaction (or its innermost savepoint) created."""
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(WRITTEN, {}).setdefault(transaction, []).append((store, key))


@event.listens_for(Session, "after_commit")
def _keep_written(session):
    written = session.info.get(WRITTEN)
    if not written:
        return
    if not session.in_nested_transaction():
        session.info.pop(WRITTEN, None)  # committed: the rows now name these objects
        return
    # A savepoint released: what it wrote now stands or falls with its parent.
    savepoint = session.get_nested_transaction()
    objects = written.pop(savepoint, None)
    if objects:
        written.setdefault(savepoint.parent, []).extend(objects)


@event.listens_for(Session, "after_transaction_end")
def _forget_written(session, transaction):
    """A transaction or savepoint ended without committing (rolled back, or the session
    closed): delete the objects it wrote, which no row will ever name."""
    written = session.info.get(WRITTEN)
    if not written:
        return
    for store, key in written.pop(transaction, []):
        try:
            store.delete(key)
        except Exception:  # the bucket is down: the orphan stays, named in the log
            log.exception("receipt object %s left in bucket %s after a rollback", key,
                          store.bucket)
    if not written:
        session.info.pop(WRITTEN, None)


# --- serving ---------------------------------------------------------------------

def read(receipt, kind=None) -> bytes:
    """The stored bytes, checked: refuses (and alerts the office) on any mismatch."""
    kind = kind or kind_of(receipt)
    row = stored(receipt, kind)
    if row is None:
        raise ReceiptUnavailable(
            f"The file of receipt {receipt.number} is not stored yet; the office has to "
            "issue it again.", code="receipt_file_missing")
    return checked(receipt, row)


def checked(receipt, row) -> bytes:
    """The bytes of `row` (a ReceiptFile of `receipt`) if they match both SHA-256s."""
    kind = row.kind
    expected = receipt.void_sha256 if kind == "void" else receipt.sha256
    try:
        data = _backend_for(row).get(row)
    except FundError:
        raise
    except Exception as err:  # the bucket is down or the object is gone
        log.exception("receipt %s: stored file unreadable", receipt.number)
        raise ReceiptUnavailable(f"The file of receipt {receipt.number} cannot be read "
                                 "right now; try again later.", code="receipt_storage") from err
    actual = digest(data)
    if actual != row.sha256 or (expected and actual != expected):
        _alert(receipt, kind, row, actual, expected)
        raise FileTampered(
            f"The stored file of receipt {receipt.number} does not match its SHA-256, so it "
            "is not served. The fund office has been told and will issue a checked copy.")
    return data


def report(receipt, data, kind=None):
    """Tell the office that a render of a legacy row no longer matches its SHA-256."""
    kind = kind or kind_of(receipt)
    expected = receipt.void_sha256 if kind == "void" else receipt.sha256
    _alert(receipt, kind, SimpleNamespace(sha256=expected or ""), digest(data), expected)


def refuse(receipt, data, kind=None):
    """Refuse bytes that do not match the receipt's SHA-256 (a legacy row re-rendered)."""
    report(receipt, data, kind)
    raise FileTampered(
        f"Receipt {receipt.number} no longer matches the SHA-256 recorded when it was "
        "issued, so it is not served. The fund office has been told and will issue a "
        "checked copy.")


def _alert(receipt, kind, row, actual, expected):
    """An audit entry the office's dashboard shows, kept even though the download fails,
    and the first time for this receipt a mail to the office."""
    log.error("receipt %s: stored %s file has SHA-256 %s, expected %s", receipt.number, kind,
              actual, row.sha256)
    audit.record(audit.SYSTEM, MISMATCH_ACTION, receipt, number=receipt.number, kind=kind,
                 found=actual, stored=row.sha256, receipt_sha256=expected)
    _mail_office_once(receipt, kind, actual, row.sha256, expected)
    db.session.commit()
    mail.deliver_committed()


def _mail_office_once(receipt, kind, actual, stored_sha, expected):
    """Queue the office's mail about this receipt unless one was queued before (no commit)."""
    from fund.core.models import AuditEntry

    # Two refused downloads at once queue one mail: the receipt row orders them.
    db.session.execute(db.select(Receipt.id).where(Receipt.id == receipt.id).with_for_update())
    already = db.session.execute(db.select(AuditEntry.id).where(
        AuditEntry.action == ALERTED_ACTION, AuditEntry.subject_type == "receipt",
        AuditEntry.subject_id == receipt.id).limit(1)).first()
    if already is not None:
        return None
    cfg = current_app.config
    to = cfg.get("RECEIPT_ALERT_EMAIL") or cfg["FUND_CONTACT_EMAIL"]
    base = (cfg.get("PUBLIC_BASE_URL") or "").rstrip("/")
    body = render_template("office/mail_alerts/receipt_file.txt", receipt=receipt, kind=kind,
                           actual=actual, stored_sha=stored_sha, expected=expected,
                           link=f"{base}/office/receipts/{receipt.id}")
    message = mail.queue(
        to=to, kind=ALERT_KIND, body=body,
        subject=f"[QST未来基金] 受領証明書 {receipt.number}: SHA-256 不一致 / "
                f"receipt {receipt.number}: stored file fails its SHA-256 check")
    audit.record(audit.SYSTEM, ALERTED_ACTION, receipt, number=receipt.number, to=to)
    return message


def mismatches(now=None, days=30):
    """Receipts whose stored file failed its check in the last `days` days (newest first)."""
    from fund.core.models import AuditEntry

    since = (now or clock.now()) - timedelta(days=days)
    ids = db.session.execute(
        db.select(AuditEntry.subject_id).where(AuditEntry.action == MISMATCH_ACTION,
                                               AuditEntry.subject_type == "receipt",
                                               AuditEntry.at >= since)
        .group_by(AuditEntry.subject_id)).scalars().all()
    ids = [int(i) for i in ids if i is not None]
    if not ids:
        return []
    return db.session.execute(db.select(Receipt).where(Receipt.id.in_(ids))
                              .order_by(Receipt.id.desc())).scalars().all()


# --- objects no row names (a process killed mid-transaction, a bucket down at rollback) ---

# The part of a key after the prefix: year/number-kind-hash.pdf (S3Storage.key).
_KEY = re.compile(r"^\d{4}/(?P<number>[0-9A-Za-z-]+)-(?P<kind>issued|void)-[0-9a-f]{16}\.pdf$")


def orphans(older_than=timedelta(hours=24), now=None):
    """Receipt objects in the configured bucket that no receipt_file row names, last
    written more than `older_than` ago, as (key, last_modified, size).

    A younger object may belong to a transaction that is still issuing its receipt,
    so it is never called an orphan. Objects under the prefix whose key is not
    shaped like ours are not ours to judge and are passed over. The rows are read
    a listing page at a time, by receipt number (an index), whatever the bucket's size.
    """
    store = backend()
    if store.name != "s3":
        raise StorageMisconfigured("Receipt files are kept in the database "
                                   "(RECEIPT_STORAGE=db): there is no bucket to sweep.")
    cutoff = (now or clock.now()) - older_than
    for page in store.objects():
        ours, numbers = [], set()
        for item in page:
            shape = _KEY.match(item["Key"].removeprefix(store.prefix))
            if shape and item["LastModified"] < cutoff:
                ours.append(item)
                numbers.add(shape["number"])
        if not ours:
            continue
        named = set(db.session.execute(
            db.select(ReceiptFile.location).join(Receipt, Receipt.id == ReceiptFile.receipt_id)
            .where(Receipt.number.in_(numbers), ReceiptFile.backend == "s3")).scalars())
        for item in ours:
            if f"s3://{store.bucket}/{item['Key']}" not in named:
                yield item["Key"], item["LastModified"], item.get("Size", 0)


def delete_orphan(key):
    """Delete one object `orphans` listed; False if the bucket refused (Object Lock)."""
    store = backend()
    try:
        store.delete(key)
    except Exception:  # a locked object, a bucket down: the caller says so
        log.warning("receipt object %s in bucket %s could not be deleted", key, store.bucket,
                    exc_info=True)
        return False
    log.info("receipt object %s deleted from bucket %s: no receipt names it", key, store.bucket)
    return True
