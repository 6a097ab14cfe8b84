"""Debian's Chromium through Playwright, and the accessibility check every public page passes."""
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
# A phone (the smallest common width) and a desktop.
WIDTHS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}
# Two runs of each journey: Japanese on a phone, English on a desktop.
JOURNEYS = [("ja", "phone"), ("en", "desktop")]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: `make test` installs it with apt")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--no-first-run"])
        yield instance
        instance.close()


@pytest.fixture
def open_page(browser):
    """open_page(lang, width): a fresh browser context whose Accept-Language is `lang`."""
    contexts = []

    def make(lang="ja", width="phone"):
        context = browser.new_context(
            locale="ja-JP" if lang == "ja" else "en-GB", viewport=WIDTHS[width],
            accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page
    yield make
    for context in contexts:
        context.close()


def assert_accessible(page):
    """axe-core (bundled by axe-playwright-python, nothing fetched) finds nothing serious."""
    from axe_playwright_python.sync_playwright import Axe
    results = Axe().run(page).response
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
           for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{page.url}: {bad}"
