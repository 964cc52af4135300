"""Offers, their options, shipping zones and shop settings move from ``shop`` to ``selling``.

Only Django's idea of them moves: the tables keep their names (``db_table``) and rows, so
nothing is written to the database but the content types, renamed so that permissions and
the admin's history follow the models."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

MOVED = ("offer", "offeroption", "shippingzone", "shopsettings")


def _content_types_move(apps, schema_editor, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def content_types_to_selling(apps, schema_editor):
    _content_types_move(apps, schema_editor, "shop", "selling")


def content_types_to_shop(apps, schema_editor):
    _content_types_move(apps, schema_editor, "selling", "shop")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("shop", "0003_remove_offer_numbers_issued"),
        ("catalog", "0005_track_encode_seconds"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Offer",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("digital", "digital release"),
                                    ("track", "single track"),
                                    ("physical", "physical item"),
                                    ("bundle", "physical item with the digital release"),
                                ],
                                default="digital",
                                max_length=10,
                                verbose_name="kind",
                            ),
                        ),
                        ("title", models.CharField(max_length=200, verbose_name="title")),
                        (
                            "includes",
                            models.TextField(
                                blank=True,
                                help_text="One item per line.",
                                verbose_name="what it includes",
                            ),
                        ),
                        (
                            "position",
                            models.PositiveSmallIntegerField(default=0, verbose_name="position"),
                        ),
                        (
                            "pricing",
                            models.CharField(
                                choices=[
                                    ("fixed", "fixed price"),
                                    ("pwyw", "name your price"),
                                    ("free", "free for an email address"),
                                ],
                                default="fixed",
                                max_length=8,
                                verbose_name="pricing",
                            ),
                        ),
                        (
                            "price_minor",
                            models.PositiveIntegerField(
                                default=0, verbose_name="price (minor units)"
                            ),
                        ),
                        (
                            "minimum_minor",
                            models.PositiveIntegerField(
                                default=0, verbose_name="minimum (minor units)"
                            ),
                        ),
                        (
                            "suggested_minor",
                            models.PositiveIntegerField(
                                blank=True, null=True, verbose_name="suggested amount (minor units)"
                            ),
                        ),
                        (
                            "stock",
                            models.PositiveIntegerField(
                                blank=True,
                                help_text="Empty: unlimited. With options, each option has its own stock.",
                                null=True,
                                validators=[django.core.validators.MinValueValidator(0)],
                                verbose_name="units for sale",
                            ),
                        ),
                        (
                            "numbered",
                            models.BooleanField(
                                default=False,
                                help_text="Each unit gets its number.",
                                verbose_name="numbered edition",
                            ),
                        ),
                        ("active", models.BooleanField(default=True, verbose_name="on sale")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "artist",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="offers",
                                to="catalog.artist",
                            ),
                        ),
                        (
                            "release",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="offers",
                                to="catalog.release",
                            ),
                        ),
                        (
                            "track",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="offers",
                                to="catalog.track",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "offer",
                        "verbose_name_plural": "offers",
                        "db_table": "shop_offer",
                        "ordering": ["artist_id", "release_id", "position", "pk"],
                    },
                ),
                migrations.CreateModel(
                    name="OfferOption",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("label", models.CharField(max_length=60, verbose_name="label")),
                        (
                            "position",
                            models.PositiveSmallIntegerField(default=0, verbose_name="position"),
                        ),
                        (
                            "stock",
                            models.PositiveIntegerField(
                                blank=True, null=True, verbose_name="units for sale"
                            ),
                        ),
                        (
                            "offer",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="options",
                                to="selling.offer",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "option",
                        "verbose_name_plural": "options",
                        "db_table": "shop_offeroption",
                        "ordering": ["offer_id", "position", "pk"],
                    },
                ),
                migrations.CreateModel(
                    name="ShippingZone",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        (
                            "countries",
                            models.JSONField(
                                default=list, help_text="ISO codes", verbose_name="countries"
                            ),
                        ),
                        (
                            "first_item_minor",
                            models.PositiveIntegerField(
                                default=0, verbose_name="first item (minor units)"
                            ),
                        ),
                        (
                            "additional_item_minor",
                            models.PositiveIntegerField(
                                default=0, verbose_name="each additional item (minor units)"
                            ),
                        ),
                        (
                            "artist",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="shipping_zones",
                                to="catalog.artist",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "shipping zone",
                        "verbose_name_plural": "shipping zones",
                        "db_table": "shop_shippingzone",
                        "ordering": ["artist_id", "name"],
                    },
                ),
                migrations.CreateModel(
                    name="ShopSettings",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "ship_from_country",
                            models.CharField(
                                blank=True,
                                help_text="ISO code, e.g. FR",
                                max_length=2,
                                verbose_name="ships from (country)",
                            ),
                        ),
                        (
                            "vat_note",
                            models.CharField(
                                blank=True,
                                help_text="Shown under totals, e.g. “Prices include 20 % VAT”.",
                                max_length=300,
                                verbose_name="VAT note",
                            ),
                        ),
                        (
                            "manual_payment_instructions",
                            models.TextField(
                                blank=True,
                                help_text="Shown to buyers who pay by bank transfer or cash.",
                                verbose_name="bank transfer instructions",
                            ),
                        ),
                        (
                            "artist",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="shop_settings",
                                to="catalog.artist",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "shop settings",
                        "verbose_name_plural": "shop settings",
                        "db_table": "shop_shopsettings",
                    },
                ),
                migrations.AddConstraint(
                    model_name="offer",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("kind", "track"), _negated=True),
                            ("track__isnull", False),
                            _connector="OR",
                        ),
                        name="offer_track_kind_has_track",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(content_types_to_selling, content_types_to_shop)
            ],
        ),
    ]
