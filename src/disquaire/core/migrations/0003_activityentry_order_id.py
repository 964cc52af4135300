"""An activity entry may tell a step of an order's history (``order_id``)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_activity_log"),
    ]

    operations = [
        migrations.AddField(
            model_name="activityentry",
            name="order_id",
            field=models.BigIntegerField(blank=True, db_index=True, null=True),
        ),
    ]
