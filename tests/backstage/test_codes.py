"""Backstage download codes: making a batch, its CSV and PDF, how many were redeemed."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from disquaire.delivery.codes import code_batch_create, code_redeem
from disquaire.delivery.models import CodeBatch
from tests.backstage.conftest import Band

pytestmark = pytest.mark.django_db


def _url(name: str, band: Band, **kwargs: Any) -> str:
    return reverse(f"backstage:{name}", kwargs={"artist": band.artist.slug, **kwargs})


def test_batch_is_made_with_size_uses_expiry_and_label(band: Band) -> None:
    day = timezone.localdate() + timedelta(days=30)
    response = band.client.post(
        _url("code_batches", band),
        {
            "release": band.release.pk,
            "size": "25",
            "uses_per_code": "2",
            "expires_on": day.isoformat(),
            "label": "Tour CDs",
        },
    )
    assert response.status_code == 302
    batch = CodeBatch.objects.get()
    assert (batch.codes.count(), batch.uses_per_code, batch.label) == (25, 2, "Tour CDs")
    assert batch.expires_at is not None
    assert timezone.localtime(batch.expires_at).date() == day


def test_another_artists_release_is_not_offered(band: Band, stranger: Band) -> None:
    response = band.client.post(
        _url("code_batches", band),
        {"release": stranger.release.pk, "size": "5", "uses_per_code": "1"},
    )
    assert response.status_code == 200 and not CodeBatch.objects.exists()


def test_expiry_in_the_past_is_refused(band: Band) -> None:
    response = band.client.post(
        _url("code_batches", band),
        {
            "release": band.release.pk,
            "size": "5",
            "uses_per_code": "1",
            "expires_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200 and not CodeBatch.objects.exists()


def test_list_counts_redeemed_codes(band: Band) -> None:
    batch = code_batch_create(release=band.release, size=3, label="Gig")
    code_redeem(code_id=batch.codes.first().pk, email="fan@example.org")  # type: ignore[union-attr]
    page = band.client.get(_url("code_batches", band)).content.decode()
    assert f'id="batch-{batch.pk}"' in page
    assert '<td class="num tabular">3</td>' in page
    assert '<td class="num tabular">1</td>' in page


def test_csv_and_pdf_downloads(band: Band) -> None:
    batch = code_batch_create(release=band.release, size=4)
    response = band.client.get(_url("code_batch_csv", band, batch_id=batch.pk))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 4 and "attachment" in response["Content-Disposition"]
    pdf = band.client.get(_url("code_batch_pdf", band, batch_id=batch.pk))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
