"""The shop's mailing list (shop.Subscriber) becomes the fans' followers.

Each subscriber is copied with its id (links mailed before keep naming the same row),
its dates, confirmed or pending as it was, consent source "legacy" (the form of the
former mailing list: its wording was not recorded), in the artist's language.
"""

from django.core.management.color import no_style
from django.db import migrations

LEGACY_WORDING = "(mailing list before consents were recorded)"


def forwards(apps, schema_editor):
    Subscriber = apps.get_model("shop", "Subscriber")
    Follower = apps.get_model("fans", "Follower")
    rows = []
    for subscriber in Subscriber.objects.select_related("artist").order_by("pk").iterator():
        rows.append(
            Follower(
                pk=subscriber.pk,
                artist_id=subscriber.artist_id,
                email=subscriber.email.strip().lower(),
                state="confirmed" if subscriber.confirmed_at else "pending",
                language=subscriber.artist.default_language or "en",
                consent_source="legacy",
                consent_at=subscriber.created_at,
                consent_text=LEGACY_WORDING,
                consent_where="",
                confirmed_at=subscriber.confirmed_at,
                created_at=subscriber.created_at,
            )
        )
    if not rows:
        return
    joined = {row.pk: row.created_at for row in rows}
    Follower.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    # auto_now_add stamped them (and these objects) "now": the subscription's own date
    # is what it was.
    for row in rows:
        row.created_at = joined[row.pk]
    Follower.objects.bulk_update(rows, ["created_at"], batch_size=500)
    connection = schema_editor.connection
    for sql in connection.ops.sequence_reset_sql(no_style(), [Follower]):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    Subscriber = apps.get_model("shop", "Subscriber")
    Follower = apps.get_model("fans", "Follower")
    for follower in Follower.objects.filter(consent_source="legacy").iterator():
        Subscriber.objects.get_or_create(
            artist_id=follower.artist_id,
            email=follower.email,
            defaults={"confirmed_at": follower.confirmed_at},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("fans", "0005_followers_updates"),
        ("shop", "0003_remove_offer_numbers_issued"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
