"""The demo band's record shop."""

from __future__ import annotations

import pytest

from disquaire.consignment.demo import DEMO_SHOP, demo_consignment_create
from disquaire.consignment.models import Shop
from disquaire.consignment.selectors import shop_summary
from tests.factories import ArtistFactory, ReleaseFactory

pytestmark = pytest.mark.django_db


def test_demo_band_has_a_shop_with_a_report_and_a_statement() -> None:
    artist = ArtistFactory()
    album = ReleaseFactory(artist=artist)
    demo_consignment_create(artist=artist, album=album)
    demo_consignment_create(artist=artist, album=album)  # idempotent
    shop = Shop.objects.get(artist=artist)
    assert shop.name == DEMO_SHOP and shop.public
    statement = shop.statements.get()
    assert (statement.units, statement.due_minor) == (3, 3 * 1125)  # 15.00 − 25 %
    summary = shop_summary(shop=shop)
    assert (summary.out, summary.sold, summary.unsettled_minor) == (5, 5, 2 * 1125)
