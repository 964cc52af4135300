import django.db.models.deletion
from django.db import migrations, models


def counters_from_offers(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Each numbered offer's count of numbers handed out moves to its own row."""
    Offer = apps.get_model("shop", "Offer")
    EditionCounter = apps.get_model("orders", "EditionCounter")
    EditionCounter.objects.bulk_create(
        EditionCounter(offer_id=pk, issued=issued)
        for pk, issued in Offer.objects.filter(numbers_issued__gt=0).values_list(
            "pk", "numbers_issued"
        )
    )


def offers_from_counters(apps, schema_editor):  # type: ignore[no-untyped-def]
    Offer = apps.get_model("shop", "Offer")
    EditionCounter = apps.get_model("orders", "EditionCounter")
    for counter in EditionCounter.objects.all():
        Offer.objects.filter(pk=counter.offer_id).update(numbers_issued=counter.issued)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_alter_editionunit_options_alter_orderline_options"),
        ("shop", "0002_alter_offer_options_alter_offeroption_options_and_more"),
    ]

    operations = [
        migrations.CreateModel(
            name="EditionCounter",
            fields=[
                (
                    "offer",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="edition_counter",
                        serialize=False,
                        to="shop.offer",
                    ),
                ),
                ("issued", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(counters_from_offers, offers_from_counters),
    ]
