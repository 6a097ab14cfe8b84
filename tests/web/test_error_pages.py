"""Error pages speak the visitor's language and lead back; no stack trace reaches anyone."""


def test_a_missing_page_in_japanese_and_english(client, seeded):
    page = client.get("/no-such-page?lang=ja")
    assert page.status_code == 404
    text = page.get_data(as_text=True)
    assert "このページは存在しません。" in text and 'href="/"' in text
    english = client.get("/no-such-page?lang=en").get_data(as_text=True)
    assert "This page does not exist." in english and "Not Found" not in english


def test_a_refused_method_and_an_api_error_keep_one_shape(client, seeded):
    assert "このページではその操作はできません。" in client.put("/donate").get_data(as_text=True)
    body = client.get("/webhooks/stripe").get_json()
    assert body["status"] == 405 and set(body) == {"code", "status", "message", "errors"}
