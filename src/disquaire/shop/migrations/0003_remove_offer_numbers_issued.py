from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0002_alter_offer_options_alter_offeroption_options_and_more"),
        # The counts were copied to orders.EditionCounter first.
        ("orders", "0005_editioncounter"),
    ]

    operations = [
        migrations.RemoveField(model_name="offer", name="numbers_issued"),
    ]
