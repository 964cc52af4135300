"""What only a browser shows of the band's desk: on a phone, in French (the longest
words), nothing sticks out past the screen's edge."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from disquaire.catalog.models import Membership
from tests.factories import ArtistFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_desk_fits_a_phone_screen_in_french(new_page: Any, live_server: Any) -> None:
    user = UserFactory()
    artist = ArtistFactory(name="Les Cousins Mécaniques")
    MembershipFactory(artist=artist, user=user, role=Membership.Role.OWNER)
    client = Client()
    client.force_login(user)
    page = new_page(
        viewport={"width": 390, "height": 844},
        locale="fr-FR",
        extra_http_headers={"Accept-Language": "fr-FR"},
    )
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/backstage/")
    assert page.locator("#figures-title").inner_text() == "Ventes et écoutes"
    overflow = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map((el) => el.tagName + '.' + el.className)"""
    )
    assert overflow == []
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
