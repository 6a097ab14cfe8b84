import pytest
from tests.browser.test_donate_in_chromium import browser  # noqa
pytestmark = pytest.mark.browser

@pytest.mark.parametrize("lang", ["ja", "en"])
def test_shots(browser, live_server, seeded, lang):
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="ja-JP")
    page = ctx.new_page()
    page.goto(f"{live_server.url}/donate?to=campaign:airborne-virus-laser-2026&lang={lang}")
    page.screenshot(path=f"/tmp/shots/donate-{lang}.png", full_page=True)
    page.goto(f"{live_server.url}/campaigns/airborne-virus-laser-2026?lang={lang}")
    page.screenshot(path=f"/tmp/shots/campaign-{lang}.png", full_page=True)
    ctx.close()
