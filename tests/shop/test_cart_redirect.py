"""After a refused addition the cart goes back to a page of this site, never elsewhere."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("target", ["/\\evil.example/", "//evil.example/", "/\\/evil.example"])
def test_a_next_pointing_off_site_sends_back_to_the_cart(client: Client, target: str) -> None:
    response = client.post("/cart/add/", {"offer": "999999", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/cart/"


def test_a_next_on_this_site_is_followed(client: Client) -> None:
    response = client.post("/cart/add/", {"offer": "999999", "next": "/some/page/"})
    assert response["Location"] == "/some/page/"
