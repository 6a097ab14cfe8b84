"""Public campaign pages kept for PUBLIC_PAGE_CACHE_SECONDS: stale by at most that bound,
and never the wrong page, state or language."""
from datetime import timedelta

import pytest
from freezegun import freeze_time

from fund.campaigns.models import Campaign
from fund.core import clock
from fund.core.extensions import db
from tests.web.test_destination_pages import PAGE, _gift


@pytest.fixture
def kept(app):
    """The cache on, as in production (10 s), and empty before and after the test."""
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 10
    app.extensions.pop("fund.pagecache", None)
    yield 10
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 0
    app.extensions.pop("fund.pagecache", None)


def _page(client, path=PAGE):
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_new_gift_shows_once_the_bound_has_passed(client, seeded, ctx, kept):
    campaign = db.session.query(Campaign).one()
    with freeze_time(clock.now()) as frozen:
        assert 'id="raised">¥0' in _page(client, f"{PAGE}?lang=ja")
        _gift(campaign, 10000, name="新規 支援者", message="がんばって", publish=True)
        frozen.tick(timedelta(seconds=kept - 1))
        stale = _page(client)
        assert 'id="raised">¥0' in stale and "新規 支援者" not in stale  # the kept page
        frozen.tick(timedelta(seconds=2))
        fresh = _page(client)
    assert 'id="raised">¥10,000' in fresh and 'class="supporters">1' in fresh
    assert "新規 支援者 様" in fresh and "がんばって" in fresh


def test_with_no_bound_every_request_reads_the_totals(client, seeded, ctx, kept, app):
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 0
    campaign = db.session.query(Campaign).one()
    assert 'id="raised">¥0' in _page(client)
    _gift(campaign, 3000, name="即時 反映")
    assert 'id="raised">¥3,000' in _page(client)


def test_each_language_has_its_own_entry(client, seeded, ctx, kept):
    japanese = _page(client, f"{PAGE}?lang=ja")
    english = _page(client, f"{PAGE}?lang=en")
    assert "The researcher" in english and "Jiro Hikari" in english and "研究者" not in english
    assert "光 次郎" in japanese and "The researcher" not in japanese
    # The language switch is rendered per request, outside the kept part.
    assert 'hreflang="ja"' in english and 'hreflang="en"' in japanese
    assert "光 次郎" in _page(client, f"{PAGE}?lang=ja")


def test_a_campaign_put_back_to_draft_is_gone_at_once_and_its_preview_is_not_kept(
        client, seeded, ctx, kept, sign_in):
    campaign = db.session.query(Campaign).one()
    assert 'id="raised">¥0' in _page(client)
    campaign.status = "draft"
    db.session.commit()
    assert client.get(PAGE).status_code == 404  # the kept published page is not served
    sign_in("office")
    assert 'id="raised">¥0' in _page(client)
    _gift(campaign, 5000, name="下書き 確認")
    assert 'id="raised">¥5,000' in _page(client)  # the staff preview is rendered afresh


def test_a_kept_page_still_shows_hostile_names_as_text(client, seeded, ctx, kept):
    campaign = db.session.query(Campaign).one()
    _gift(campaign, 3000, name='<script>alert("x")</script>', message="<img src=x onerror=alert(1)>",
          publish=True)
    for _ in range(2):  # made, then served from the cache
        page = _page(client, f"{PAGE}?lang=ja")
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; 様" in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_home_page_is_kept_per_language_and_shows_a_gift_once_the_bound_has_passed(
        client, seeded, ctx, kept):
    campaign = db.session.query(Campaign).one()
    card = f'id="campaign-{campaign.slug}"'
    with freeze_time(clock.now()) as frozen:
        japanese = _page(client, "/?lang=ja")
        assert card in japanese and 'class="raised">¥0' in japanese
        _gift(campaign, 10000, name="家 支援者")
        frozen.tick(timedelta(seconds=kept - 1))
        assert 'class="raised">¥0' in _page(client, "/?lang=ja")  # the kept part
        english = _page(client, "/?lang=en")  # another language, made now
        assert 'class="raised">¥10,000' in english and "Crowdfunding campaigns" in english
        assert 'hreflang="ja"' in english  # the header is rendered per request
        frozen.tick(timedelta(seconds=2))
        fresh = _page(client, "/?lang=ja")
    assert 'class="raised">¥10,000' in fresh and 'class="supporters">1' in fresh
    assert "Crowdfunding campaigns" not in fresh
