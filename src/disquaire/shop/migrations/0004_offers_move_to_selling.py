"""Offers, options, shipping zones and shop settings now belong to ``selling`` (its 0001):
``shop`` forgets them without touching their tables."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("selling", "0001_initial"),
        ("payments", "0003_bank_instructions_from_shop_settings"),
        ("orders", "0008_offers_move_to_selling"),
        ("shop", "0003_remove_offer_numbers_issued"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="offeroption",
                    name="offer",
                ),
                migrations.RemoveField(
                    model_name="shippingzone",
                    name="artist",
                ),
                migrations.RemoveField(
                    model_name="shopsettings",
                    name="artist",
                ),
                migrations.DeleteModel(
                    name="Offer",
                ),
                migrations.DeleteModel(
                    name="OfferOption",
                ),
                migrations.DeleteModel(
                    name="ShippingZone",
                ),
                migrations.DeleteModel(
                    name="ShopSettings",
                ),
            ],
            database_operations=[],
        ),
    ]
