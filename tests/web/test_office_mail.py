"""Mail the office can see: each message as sent, logged apart from sent, the catch-all."""
import smtplib
import threading
from email.message import EmailMessage

from fund.core import jobs, mail
from fund.core.extensions import db
from fund.core.models import OutboundEmail
from tests.factories import DonorFactory
from tests.support.mail_catchall import KeepEveryMessage
from tests.support.services import free_port


def _queue(**fields):
    message = mail.queue(to="hanako@example.jp", subject="件名 <テスト>", kind="test",
                         body="本文です。\nhttps://fund.example/r/abc", donor=DonorFactory(),
                         html='<p>本文です。<a href="https://fund.example/r/abc">証明書</a>'
                              '<script>alert(1)</script></p>', **fields)
    db.session.commit()
    return message


def test_the_outbox_shows_a_mail_as_it_was_sent(client, sign_in, ctx, smtp_server):
    message = _queue()
    mail.deliver_committed()
    sign_in("office")
    listing = client.get("/office/mail/").get_data(as_text=True)
    assert "件名 &lt;テスト&gt;" in listing and 'class="status">送信済み<' in listing
    page = client.get(f"/office/mail/{message.id}").get_data(as_text=True)
    assert 'class="mail mail-text">本文です。' in page
    assert '<a href="https://fund.example/r/abc" rel="noopener noreferrer"' in page
    assert page.count("https://fund.example/r/abc</a>") == 1  # text and HTML link listed once
    assert f'src="/office/mail/{message.id}/html" sandbox=""' in page
    html = client.get(f"/office/mail/{message.id}/html")
    assert html.headers["Content-Security-Policy"].startswith("sandbox; default-src 'none'")
    assert "<script>" in html.get_data(as_text=True)  # shown as sent, never run: sandboxed


def test_logged_is_not_sent(app, client, sign_in, ctx, smtp_server):
    saved = app.config["MAIL_SERVER"]
    app.config["MAIL_SERVER"] = None
    try:
        message = _queue()
        mail.deliver_committed()
    finally:
        app.config["MAIL_SERVER"] = saved
    sign_in("office")
    page = client.get(f"/office/mail/{message.id}?lang=en").get_data(as_text=True)
    assert 'class="status">Written to the log only<' in page
    assert "the donor did not receive it" in page
    only_logged = client.get("/office/mail/?status=logged").get_data(as_text=True)
    assert f'href="/office/mail/{message.id}"' in only_logged
    assert "/office/mail/" not in client.get("/office/mail/?status=sent").get_data(
        as_text=True).split("<tbody>")[1]


def test_failed_mail_is_sent_again_from_the_outbox(app, client, sign_in, ctx, smtp_server):
    saved = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1
    try:
        message = _queue()
        mail.deliver_committed()
    finally:
        app.config["MAIL_PORT"] = saved
    user = sign_in("office")
    assert 'class="status">失敗<' in client.get("/office/mail/").get_data(as_text=True)
    client.post("/office/mail/retry", data={"csrf_token": user.csrf})
    smtp_server.wait_for(1)
    db.session.expire_all()
    assert db.session.get(OutboundEmail, message.id).status == "sent"


def test_the_inline_scheduler_sends_queued_mail_without_a_worker(app, ctx, smtp_server):
    mail.queue(to="taro@example.jp", subject="waiting", body="b", kind="test")
    db.session.commit()  # queued and never delivered by its service
    stop = threading.Event()
    saved = app.config["INLINE_BEAT_MAX_SECONDS"]
    app.config["INLINE_BEAT_MAX_SECONDS"] = 1
    thread = jobs.start_inline_beat(app, stop)
    try:
        [received] = smtp_server.wait_for(1)
    finally:
        stop.set()
        thread.join(timeout=10)
        app.config["INLINE_BEAT_MAX_SECONDS"] = saved
    assert received["Subject"] == "waiting" and not thread.is_alive()


def test_the_local_catch_all_keeps_each_mail_for_the_office(app, client, sign_in, ctx, tmp_path):
    from aiosmtpd.controller import Controller
    port = free_port()
    controller = Controller(KeepEveryMessage(tmp_path), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@qst.example", "b@example.jp", "こんにちは"
        message.set_content("テキスト")
        message.add_alternative("<p>HTML版</p>", subtype="html")
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.send_message(message)
    finally:
        controller.stop()
    [kept] = list(tmp_path.glob("*.eml"))
    app.config["MAIL_CATCHALL_DIR"] = str(tmp_path)
    try:
        sign_in("office")
        listing = client.get("/office/mail/catch-all").get_data(as_text=True)
        assert "こんにちは" in listing and kept.name in listing
        page = client.get(f"/office/mail/catch-all/{kept.name}").get_data(as_text=True)
        assert "テキスト" in page and "part=html" in page
        html = client.get(f"/office/mail/catch-all/{kept.name}?part=html")
        assert "HTML版" in html.get_data(as_text=True)
        assert client.get("/office/mail/catch-all/..%2F..%2Fetc%2Fpasswd").status_code == 404
    finally:
        app.config["MAIL_CATCHALL_DIR"] = None
