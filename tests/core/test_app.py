"""The application boots, serves its home page and protects itself."""


def test_home_is_public_and_has_strict_headers(client):
    """Is / served without login, with a CSP that forbids inline code and framing?"""
    r = client.get("/")
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"]


def test_unknown_page_is_a_friendly_404(client):
    """Does a missing page get our 404 page rather than a bare error?"""
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert b"Hamvatan" in r.data or "Ҳамватан".encode() in r.data


def test_language_switch_is_remembered(client):
    """After choosing Russian, do later pages come in Russian?"""
    r = client.post("/language", data={"lang": "ru", "next": "/"})
    assert r.status_code == 302
    assert client.get("/").headers.get("Content-Language", "ru") == "ru"
    assert 'lang="ru"' in client.get("/").get_data(as_text=True)


def test_language_switch_does_not_redirect_offsite(client):
    """Can the language switch be used as an open redirect? No."""
    r = client.post("/language", data={"lang": "en", "next": "https://evil.example/"})
    assert r.headers["Location"] in ("/", "http://localhost/")
