"""Logs are JSON lines with the request's id, and carry no donor's address, text or token."""
import json
import logging

from fund.core import logs, mail
from fund.core.models import OutboundEmail

TOKEN = "eyJyIjoxLCJuIjoiMjAyNi0wMDAwMDEifQ.ZvYz1A.abcdefghijklmnopqrstuvwxyz012345"


def test_a_request_log_line_is_json_with_its_id_and_no_token(app):
    with app.test_request_context(f"/r/{TOKEN}?lang=ja", headers={"X-Request-ID": "req-12345678"}):
        app.preprocess_request()
        record = logging.LogRecord("fund.test", logging.INFO, __file__, 1, "receipt opened",
                                   None, None)
        line = json.loads(logs.JsonFormatter().format(record))
    assert line["request_id"] == "req-12345678" and line["message"] == "receipt opened"
    assert line["path"] == "/r/…" and TOKEN not in json.dumps(line) and "lang" not in line["path"]


def test_every_response_names_its_request_id(client):
    mine = client.get("/healthz", headers={"X-Request-ID": "lb-abcdef012345"})
    assert mine.headers["X-Request-ID"] == "lb-abcdef012345"
    made = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert made.headers["X-Request-ID"] not in ("", "<script>")


def test_production_never_logs_a_mail_to_a_donor(app, ctx, caplog, monkeypatch):
    # Alembic's fileConfig (the test database's upgrade) disables the loggers it finds.
    monkeypatch.setattr(logging.getLogger("fund.core.mail"), "disabled", False)
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "FUND_ENV", "production")
    message = OutboundEmail(id=7, to_address="hanako@example.jp", subject="寄附のお礼",
                            body="量子 花子 様", kind="thanks")
    with caplog.at_level(logging.INFO):
        mail._send(message)
    text = caplog.text
    assert "mail 7" in text
    assert "hanako@example.jp" not in text and "量子" not in text and "寄附のお礼" not in text
