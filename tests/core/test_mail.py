"""The outbox: HTML beside the text, 'logged' apart from 'sent', mails rendered per language."""
from fund.core import mail, signals
from fund.core.audit import SYSTEM
from fund.core.extensions import db
from fund.core.models import MailStatus, OutboundEmail
from tests.factories import DonorFactory, RefundFactory, paid_gift


def test_an_html_mail_goes_out_as_multipart_alternative(ctx, smtp_server):
    donor = DonorFactory()
    message = mail.queue(to="taro@example.jp", subject="件名", body="本文 https://example.jp/a",
                         html="<p>本文 <a href='https://example.jp/a'>link</a></p>", kind="test",
                         donor=donor)
    db.session.commit()
    assert mail.deliver_committed() == (1, 0)
    [received] = smtp_server.wait_for(1)
    assert received.get_content_type() == "multipart/alternative"
    assert received.get_body(("plain",)).get_content().strip() == "本文 https://example.jp/a"
    assert "<a href='https://example.jp/a'>" in received.get_body(("html",)).get_content()
    row = db.session.get(OutboundEmail, message.id)
    assert (row.status, row.attempts, row.donor_id) == (MailStatus.SENT, 1, donor.id)
    assert row.message_id == received["Message-ID"]


def test_a_text_only_mail_stays_plain(ctx, smtp_server):
    mail.queue(to="taro@example.jp", subject="s", body="text only", kind="test")
    db.session.commit()
    mail.deliver_committed()
    [received] = smtp_server.wait_for(1)
    assert received.get_content_type() == "text/plain"


def test_without_a_mail_server_a_mail_is_logged_not_sent(app, ctx, smtp_server):
    saved = app.config["MAIL_SERVER"]
    app.config["MAIL_SERVER"] = None
    try:
        message = mail.queue(to="taro@example.jp", subject="s", body="logged body", kind="test")
        db.session.commit()
        assert mail.deliver_committed() == (1, 0)
    finally:
        app.config["MAIL_SERVER"] = saved
    row = db.session.get(OutboundEmail, message.id)
    assert row.status == MailStatus.LOGGED and row.sent_at is not None
    assert smtp_server.messages == []
    # A logged mail is done: the retry job does not send it again.
    assert mail.deliver() == (0, 0)


def test_a_mail_server_that_is_down_leaves_the_mail_failed_for_a_retry(app, ctx, smtp_server):
    saved = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there
    try:
        message = mail.queue(to="taro@example.jp", subject="s", body="b", kind="test")
        db.session.commit()
        assert mail.deliver_committed() == (0, 1)
    finally:
        app.config["MAIL_PORT"] = saved
    row = db.session.get(OutboundEmail, message.id)
    assert row.status == MailStatus.FAILED and row.last_error
    assert mail.deliver() == (1, 0)
    db.session.expire_all()
    assert (row.status, row.attempts) == (MailStatus.SENT, 2)


def test_render_gives_subject_text_and_escaped_html_in_the_donors_language(ctx):
    gift = paid_gift(DonorFactory(name="<b>量子</b> 花子"), amount=5000)
    context = dict(donation=gift, donor=gift.donor, refunded=2000, remaining=3000,
                   had_receipt=True, method="card")
    ja = mail.render("refund", "ja", **context)
    en = mail.render("refund", "en", **context)
    assert ja.subject == "【QST未来基金】ご寄附のうち¥2,000を返金しました"
    assert en.subject == "QST Future Fund: we have refunded ¥2,000 of your gift"
    assert "<b>量子</b> 花子" in ja.text and "¥3,000" in ja.text
    assert "&lt;b&gt;量子&lt;/b&gt;" in ja.html and "<b>量子</b>" not in ja.html
    assert '<html lang="en">' in en.html and "card you paid with" in en.html
    assert not ja.text.startswith("\n")


def test_the_donor_is_mailed_when_a_refund_succeeds(ctx, smtp_server):
    gift = paid_gift(DonorFactory(locale="en", email="hana@example.jp"), amount=5000)
    refund = RefundFactory(payment=gift.payments[0], amount=1500)
    signals.refund_succeeded.send(refund, actor=SYSTEM)
    db.session.commit()
    mail.deliver_committed()
    [received] = smtp_server.wait_for(1)
    assert received["To"] == "hana@example.jp"
    assert received["Subject"] == "QST Future Fund: we have refunded ¥1,500 of your gift"
    assert "¥3,500" in received.get_body(("plain",)).get_content()
    row = db.session.query(OutboundEmail).one()
    assert (row.kind, row.donation_id, row.donor_id) == ("refund", gift.id, gift.donor_id)
