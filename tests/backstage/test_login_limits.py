"""Guessing passwords: failed sign-ins (backstage and admin) and reset requests are
limited per client and per account, with the same answer for known and unknown ones."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "the-real-velvet-password-7"


def _user(email: str = "band@example.org", **fields: Any) -> Any:
    user = UserFactory(username=email, email=email, **fields)
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(client: Client, email: str, password: str, ip: str = "198.51.100.7") -> Any:
    return client.post(
        reverse("backstage:login"), {"username": email, "password": password}, REMOTE_ADDR=ip
    )


def test_guessing_one_accounts_password_stops_even_for_the_right_one(settings: Any) -> None:
    settings.BACKSTAGE_LOGIN_FAILURES_PER_EMAIL = 3
    _user()
    client = Client()
    for n in range(3):
        assert (
            _login(client, "band@example.org", f"guess-{n}", ip=f"198.51.100.{n}").status_code
            == 200
        )
    refused = _login(client, "band@example.org", PASSWORD, ip="203.0.113.50")
    assert refused.status_code == 429
    assert "Too many failed attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_known_and_unknown_addresses_get_the_same_answers(settings: Any) -> None:
    settings.BACKSTAGE_LOGIN_FAILURES_PER_EMAIL = 2
    _user()
    answers = {}
    for email in ("band@example.org", "nobody@example.org"):
        client = Client()
        seen = [_login(client, email, "wrong-guess").status_code for _ in range(3)]
        answers[email] = seen
    assert answers["band@example.org"] == answers["nobody@example.org"] == [200, 200, 429]


def test_one_client_guessing_many_accounts_is_stopped(settings: Any) -> None:
    settings.BACKSTAGE_LOGIN_FAILURES_PER_IP = 3
    _user()  # not a fresh install
    client = Client()
    for n in range(3):
        assert _login(client, f"user{n}@example.org", "guess").status_code == 200
    assert _login(client, "other@example.org", "guess").status_code == 429
    # Another client is not concerned.
    assert _login(Client(), "other@example.org", "guess", ip="203.0.113.9").status_code == 200


def test_the_admin_sign_in_has_the_same_limits(settings: Any) -> None:
    settings.BACKSTAGE_LOGIN_FAILURES_PER_EMAIL = 2
    _user(email="op@example.org", is_staff=True, is_superuser=True)
    client = Client()
    url = reverse("admin:login")
    for _ in range(2):
        client.post(url, {"username": "op@example.org", "password": "guess"})
    response = client.post(url, {"username": "op@example.org", "password": PASSWORD})
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_requests_are_limited_per_address_alike_for_all(settings: Any) -> None:
    settings.BACKSTAGE_PASSWORD_RESET_PER_EMAIL = 2
    _user()
    for email in ("band@example.org", "nobody@example.org"):
        client = Client()
        codes = [
            client.post(reverse("backstage:password_reset"), {"email": email}).status_code
            for _ in range(3)
        ]
        assert codes == [302, 302, 429], email
    assert len(mail.outbox) == 2  # only the real account is mailed, twice


def test_password_reset_requests_are_limited_per_client(settings: Any) -> None:
    settings.BACKSTAGE_PASSWORD_RESET_PER_IP = 2
    _user()
    client = Client()
    codes = [
        client.post(reverse("backstage:password_reset"), {"email": f"a{n}@example.org"}).status_code
        for n in range(3)
    ]
    assert codes == [302, 302, 429]
