"""The shop settings' bank transfer instructions go: they were copied to the Payments page
(``payments.0003``), which is the one the order page and the checkout read."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("selling", "0002_offeritem"),
        ("payments", "0003_bank_instructions_from_shop_settings"),
    ]

    operations = [
        migrations.RemoveField(model_name="shopsettings", name="manual_payment_instructions"),
    ]
