"""In a browser, without JavaScript help: follow from the band's page, confirm from the
mail, get an update, unsubscribe from its link."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from disquaire.fans import updates, updates_sending
from disquaire.fans.models import Follower, FollowerState
from tests.factories import ArtistFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_follow_confirm_then_unsubscribe_from_the_update(
    page: Any, live_server: Any, settings: Any
) -> None:
    settings.SITE_URL = live_server.url
    settings.DISQUAIRE_UPDATES_RATE = 0
    artist = ArtistFactory(name="Les Rats")
    page.goto(live_server.url + artist.get_absolute_url())
    box = page.locator(".follow-box")
    box.get_by_label("Your email address").fill("fan@example.org")
    box.get_by_role("button", name="Follow").click()
    expect(page.locator("h1")).to_contain_text("Check your inbox")

    (confirmation,) = mail.outbox
    link = re.search(r"(http://\S+/library/follow/confirm/\S+/)", confirmation.body)
    assert link
    page.goto(link.group(1))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("main")).to_contain_text("you will get news from Les Rats")
    assert Follower.objects.get().state == FollowerState.CONFIRMED

    update = updates.update_save(artist=artist, subject="New songs", body="Four of them.")
    updates.update_start(update=update)
    updates_sending.update_send(update_id=update.pk)
    news = mail.outbox[-1]
    assert news.subject == "New songs"
    unsubscribe = news.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe in news.body
    page.goto(unsubscribe)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.locator("main")).to_contain_text("will get no more mail from Les Rats")
    assert Follower.objects.get().state == FollowerState.UNSUBSCRIBED
