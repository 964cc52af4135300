"""Download codes: making them, redeeming them, refusing guesses, printing them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from disquaire.delivery.cards import code_batch_pdf
from disquaire.delivery.codes import (
    ALPHABET,
    code_batch_create,
    code_batch_csv,
    code_display,
    code_redeem,
)
from disquaire.delivery.models import CodeBatch, DownloadCode, Entitlement
from tests.delivery.conftest import ready_release
from tests.factories import ArtistFactory

pytestmark = pytest.mark.django_db


def batch_for(size: int = 3, **kwargs) -> CodeBatch:  # type: ignore[no-untyped-def]
    return code_batch_create(release=ready_release(tracks=2), size=size, **kwargs)


def first_code(batch: CodeBatch) -> DownloadCode:
    return DownloadCode.objects.filter(batch=batch).order_by("pk").first()  # type: ignore[return-value]


def redeem_url(batch: CodeBatch) -> str:
    return f"/redeem/{batch.artist.slug}/"


def check(client: Client, url: str, code: str, ip: str = "203.0.113.7"):  # type: ignore[no-untyped-def]
    return client.post(url, {"code": code}, REMOTE_ADDR=ip)


def ticket_of(response) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'name="ticket" value="([^"]+)"', response.content.decode())
    assert match, response.content.decode()
    return match.group(1)


def test_a_batch_of_600_codes_are_distinct_long_and_free_of_look_alikes() -> None:
    batch = batch_for(size=600)
    codes = list(batch.codes.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 600
    assert all(len(c) == 12 and set(c) <= set(ALPHABET) for c in codes)
    assert not set("01OI") & set(ALPHABET)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code_display(codes[0]))


def test_a_valid_code_then_an_email_opens_the_download_page() -> None:
    batch = batch_for()
    code = first_code(batch)
    client = Client()
    # Typed in lower case with spaces: still the same code.
    asked = check(client, redeem_url(batch), code_display(code.code).lower().replace("-", " "))
    assert asked.status_code == 200
    assert batch.release.title in asked.content.decode()
    # Not "no-referrer": browsers would post the form with "Origin: null" (CSRF failure).
    assert asked["Referrer-Policy"] == "same-origin"
    done = client.post(redeem_url(batch), {"ticket": ticket_of(asked), "email": "Fan@Example.org"})
    assert done.status_code == 302
    assert done["Location"].startswith("/downloads/")
    entitlement = Entitlement.objects.get()
    assert (entitlement.email, entitlement.release_id) == ("fan@example.org", batch.release_id)
    assert entitlement.source == "code"
    page = client.get(done["Location"])
    assert page.status_code == 200
    assert mail.outbox[-1].to == ["fan@example.org"]
    assert "http://testserver/downloads/" in str(mail.outbox[-1].body)
    code.refresh_from_db()
    assert code.uses == 1


def test_the_same_address_redeeming_again_does_not_use_the_code_twice() -> None:
    batch = batch_for(uses_per_code=2)
    code = first_code(batch)
    first = code_redeem(code_id=code.pk, email="fan@example.org")
    again = code_redeem(code_id=code.pk, email="FAN@example.org")
    assert first.pk == again.pk
    code.refresh_from_db()
    assert code.uses == 1


def test_a_used_code_says_it_was_used_and_where_the_music_is() -> None:
    batch = batch_for()
    code = first_code(batch)
    code_redeem(code_id=code.pk, email="first@example.org")
    response = check(Client(), redeem_url(batch), code.code)
    assert response.status_code == 410
    assert "already been used" in response.content.decode()


def test_an_expired_code_says_it_expired() -> None:
    batch = batch_for(expires_at=timezone.now() - dt.timedelta(days=1))
    response = check(Client(), redeem_url(batch), first_code(batch).code)
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_an_unknown_code_says_it_is_unknown_and_how_to_type_it() -> None:
    batch = batch_for()
    response = check(Client(), redeem_url(batch), "ABCD-EFGH-JKLM")
    assert response.status_code == 400
    assert "We do not know this code" in response.content.decode()


def test_another_artists_code_is_unknown_on_this_artists_page_but_works_on_the_instance_page() -> (
    None
):
    batch = batch_for()
    other = ArtistFactory()
    assert check(Client(), f"/redeem/{other.slug}/", first_code(batch).code).status_code == 400
    assert check(Client(), "/redeem/", first_code(batch).code).status_code == 200


def test_guessing_codes_from_one_address_is_stopped_even_for_a_real_code(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DISQUAIRE_REDEEM_ATTEMPTS_PER_IP = 5
    batch = batch_for()
    client = Client()
    guesses = [check(client, "/redeem/", f"AAAA-BBBB-{n:04d}".replace("0", "Z")) for n in range(5)]
    assert [r.status_code for r in guesses] == [400] * 5
    stopped = check(client, "/redeem/", first_code(batch).code)
    assert stopped.status_code == 429
    assert "Too many attempts" in stopped.content.decode()
    # Another address is not affected.
    assert check(client, "/redeem/", first_code(batch).code, ip="198.51.100.9").status_code == 200


def test_attempts_on_one_code_are_limited_whatever_the_address(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DISQUAIRE_REDEEM_ATTEMPTS_PER_CODE = 3
    batch = batch_for()
    code = first_code(batch).code
    results = [
        check(Client(), "/redeem/", code, ip=f"198.51.100.{n}").status_code for n in range(4)
    ]
    assert results == [200, 200, 200, 429]


def test_the_csv_lists_every_code_with_its_redeem_link() -> None:
    batch = batch_for(size=5, uses_per_code=3)
    code_redeem(code_id=first_code(batch).pk, email="fan@example.org")
    rows = list(csv.DictReader(io.StringIO(code_batch_csv(batch=batch))))
    assert len(rows) == 5
    assert rows[0]["uses"] == "1" and rows[0]["uses_allowed"] == "3"
    assert rows[0]["redeem_url"] == (
        f"http://testserver/redeem/{batch.artist.slug}/?code={rows[0]['code']}"
    )
    assert {r["code"].replace("-", "") for r in rows} == set(
        batch.codes.values_list("code", flat=True)
    )


def test_the_pdf_has_one_page_per_ten_cards(tmp_path: Path) -> None:
    batch = batch_for(size=25)
    pdf = code_batch_pdf(batch=batch)
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 3
    out = tmp_path / "cards.pdf"
    call_command("codes-pdf", str(batch.pk), str(out))
    written = out.read_bytes()
    assert written.startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page\b(?!s)", written)) == 3


def test_redeeming_with_news_ticked_asks_to_follow_the_band_with_consent_code() -> None:
    from disquaire.fans.models import ConsentSource, Follower, FollowerState

    batch = batch_for()
    client = Client()
    asked = check(client, redeem_url(batch), first_code(batch).code)
    client.post(
        redeem_url(batch), {"ticket": ticket_of(asked), "email": "fan@example.org", "news": "on"}
    )
    follower = Follower.objects.get()
    assert follower.artist == batch.release.artist
    assert follower.state == FollowerState.PENDING  # until the fan confirms by email
    assert follower.consent_source == ConsentSource.CODE
    assert follower.consent_text.startswith("Send me news from the band")
    assert any("/library/follow/confirm/" in str(m.body) for m in mail.outbox)


def test_redeeming_without_news_ticked_follows_nothing() -> None:
    from disquaire.fans.models import Follower

    batch = batch_for()
    client = Client()
    asked = check(client, redeem_url(batch), first_code(batch).code)
    client.post(redeem_url(batch), {"ticket": ticket_of(asked), "email": "fan@example.org"})
    assert not Follower.objects.exists()
