"""Bank transfer instructions move from the shop settings to the Payments page: a band
that had typed some keeps taking transfers."""

from django.db import migrations


def forwards(apps, schema_editor):
    ShopSettings = apps.get_model("shop", "ShopSettings")
    PaymentSettings = apps.get_model("payments", "PaymentSettings")
    for row in ShopSettings.objects.exclude(manual_payment_instructions=""):
        found, _created = PaymentSettings.objects.get_or_create(artist_id=row.artist_id)
        if not found.bank_instructions:
            found.bank_instructions = row.manual_payment_instructions
            found.bank_enabled = True
            found.save(update_fields=["bank_instructions", "bank_enabled"])


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0002_payment_settings"),
        ("shop", "0003_remove_offer_numbers_issued"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
