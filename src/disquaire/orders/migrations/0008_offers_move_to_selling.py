"""The order tables' references now name ``selling``'s offers: the same tables, so state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_order_is_test"),
        ("selling", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="editioncounter",
                    name="offer",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="edition_counter",
                        serialize=False,
                        to="selling.offer",
                    ),
                ),
                migrations.AlterField(
                    model_name="editionunit",
                    name="offer",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="edition_units",
                        to="selling.offer",
                    ),
                ),
                migrations.AlterField(
                    model_name="orderline",
                    name="offer",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="order_lines",
                        to="selling.offer",
                    ),
                ),
                migrations.AlterField(
                    model_name="orderline",
                    name="option",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="order_lines",
                        to="selling.offeroption",
                    ),
                ),
                migrations.AlterField(
                    model_name="reservation",
                    name="offer",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reservations",
                        to="selling.offer",
                    ),
                ),
                migrations.AlterField(
                    model_name="reservation",
                    name="option",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reservations",
                        to="selling.offeroption",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
