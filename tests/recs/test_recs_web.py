"""The recommendations page and its forms through the real app (FastAPI TestClient, lifespan
included) over a real SQLite store and a saved index with HashEncoder vectors (the fixtures:
tests/recs/conftest.py)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from paperwire.settings import Settings
from paperwire.store import Store, feedback
from paperwire.web import auth
from tests.support import listsweb
from tests.support.listsweb import sign_in
from tests.support.recsdata import HOSTILE_TITLE, PER_TOPIC, pk_of, vote

SIGNIN = "/signin?next=/recommendations"


def csrf(client: TestClient) -> str:
    return listsweb.csrf(client, "/recommendations")


def post(client: TestClient, url: str, **form: str) -> object:
    return client.post(url, data=form, follow_redirects=False)


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/recommendations", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == SIGNIN
    token = csrf_of_any_page(client)
    for url, form in (
        ("/paper-feedback", {"paper": "2607.00001", "signal": "not-interested"}),
        ("/recommendations/reset", {}),
    ):
        response = client.post(url, data={**form, "csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == SIGNIN


def csrf_of_any_page(client: TestClient) -> str:
    """An anonymous visitor's form token: the page behind /signin may not exist yet, so take the
    token straight from the signer, as a form would carry it, with a cookie to match."""
    client.get("/")
    nonce = "anonymous-nonce"
    client.cookies.set(auth.CSRF_COOKIE, nonce)
    settings: Settings = client.app.state.site.settings  # type: ignore[attr-defined]
    return str(auth.serializer(settings, "csrf").dumps(nonce))


def test_empty_page_explains_how_to_get_recommendations(
    client: TestClient, settings: Settings, store: Store
) -> None:
    sign_in(client, settings, store, "empty@example.org")
    page = client.get("/recommendations")
    assert page.status_code == 200
    assert "upvote or bookmark papers to get recommendations" in page.text
    assert 'action="/recommendations/reset"' in page.text


def test_page_lists_recommendations_with_reasons_escaped(
    client: TestClient, settings: Settings, store: Store
) -> None:
    uid = sign_in(client, settings, store, "protein@example.org")
    for n in (1, 2, 3):
        vote(store, uid, pk_of(store, n))
    page = client.get("/recommendations")
    assert page.status_code == 200
    assert page.text.count('class="reason"') == 20
    assert "Why: close to “" in page.text and "; terms: " in page.text
    assert page.text.count('name="signal" value="not-interested"') == 20
    assert "<script>alert" not in page.text  # the hostile protein paper's title, escaped
    assert "Protein &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; folding" in page.text
    # Liking only the hostile paper puts its title into every reason: escaped there too.
    client.cookies.clear()
    vote(store, sign_in(client, settings, store, "hostile@example.org"), pk_of(store, PER_TOPIC))
    page = client.get("/recommendations")
    assert "close to “Protein &lt;script&gt;" in page.text
    assert HOSTILE_TITLE not in page.text


def test_not_interested_then_undo(client: TestClient, settings: Settings, store: Store) -> None:
    uid = sign_in(client, settings, store, "marks@example.org")
    vote(store, uid, pk_of(store, 1))
    token = csrf(client)
    first = re.findall(r'name="paper" value="([^"]+)"', client.get("/recommendations").text)[0]
    response = post(
        client, "/paper-feedback", paper=first, signal="not-interested", csrf_token=token
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == f"/recommendations?marked={first}"  # type: ignore[attr-defined]
    assert feedback.not_interested(store, uid) == [pk_of(store, int(first.split(".")[1]))]
    page = client.get(f"/recommendations?marked={first}")
    assert "is marked not interested" in page.text
    assert 'name="signal" value="undo"' in page.text
    listed = re.findall(r'value="([^"]+)">\s*<input [^>]*value="not-interested"', page.text)
    assert len(listed) == 20 and first not in listed  # gone from the list, another in its place
    response = post(client, "/paper-feedback", paper=first, signal="undo", csrf_token=token)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert feedback.not_interested(store, uid) == []


def test_reset_empties_the_page(client: TestClient, settings: Settings, store: Store) -> None:
    uid = sign_in(client, settings, store, "reset@example.org")
    vote(store, uid, pk_of(store, 1))
    feedback.mark_not_interested(store, uid, pk_of(store, 2))
    assert 'class="reason"' in client.get("/recommendations").text
    response = post(client, "/recommendations/reset", csrf_token=csrf(client))
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/recommendations?reset=1"  # type: ignore[attr-defined]
    page = client.get("/recommendations?reset=1")
    assert "Your profile was reset" in page.text
    assert 'class="reason"' not in page.text
    assert "upvote or bookmark papers to get recommendations" in page.text
    assert feedback.not_interested(store, uid) == []


def test_posts_without_a_good_csrf_token_are_refused(
    client: TestClient, settings: Settings, store: Store
) -> None:
    uid = sign_in(client, settings, store, "csrf@example.org")
    csrf(client)  # the cookie is there; the form field is not, or is forged
    for form in ({}, {"csrf_token": "forged"}):
        response = post(client, "/paper-feedback", paper="2607.00001", **form)
        assert response.status_code == 403  # type: ignore[attr-defined]
        response = post(client, "/recommendations/reset", **form)
        assert response.status_code == 403  # type: ignore[attr-defined]
    assert feedback.not_interested(store, uid) == []


def test_bad_feedback_is_a_clear_4xx(client: TestClient, settings: Settings, store: Store) -> None:
    sign_in(client, settings, store, "bad@example.org")
    token = csrf(client)
    cases = [
        ({"paper": "9999.99999", "signal": "not-interested"}, 404, "no paper"),
        ({"paper": "2607.00001", "signal": "love"}, 400, "not one of"),
        ({"paper": "   ", "signal": "not-interested"}, 400, "say which paper"),
        ({"signal": "not-interested"}, 400, "paper"),
        ({"paper": "x" * 300, "signal": "not-interested"}, 400, "paper"),
    ]
    for form, status, message in cases:
        response = client.post("/paper-feedback", data={**form, "csrf_token": token})
        assert response.status_code == status, (form, response.text[:300])
        assert message in response.text
        assert "Traceback" not in response.text
