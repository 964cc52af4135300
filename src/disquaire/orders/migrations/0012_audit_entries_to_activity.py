"""Orders' history moves to the one audit log (``core.ActivityEntry``).

Each ``AuditEntry`` row that names an order becomes an activity entry of the order's
artist, keyed by the order (``order_id``), its time, actor, action and object kept, the
state it left in ``before`` (``{"state": ...}``), the state it reached and its data in
``after``; then the row is deleted, so each step is told once. Rows that name no order
(the table's, the referral settings') stay where they are. Going back moves the entries
that name an order back into ``AuditEntry``.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

BATCH = 2000


def forward(apps: Any, schema_editor: Any) -> None:
    AuditEntry = apps.get_model("orders", "AuditEntry")
    ActivityEntry = apps.get_model("core", "ActivityEntry")
    rows = AuditEntry.objects.filter(order__isnull=False).order_by("pk")
    while True:
        batch = list(rows.values("pk", "order__artist_id", *FIELDS)[:BATCH])
        if not batch:
            return
        ActivityEntry.objects.bulk_create(
            ActivityEntry(
                created_at=row["created_at"],
                artist_id=row["order__artist_id"],
                order_id=row["order_id"],
                actor=row["actor"],
                action=row["action"],
                object_type=row["object_type"],
                object_id=row["object_id"],
                before={"state": row["from_state"]} if row["from_state"] else {},
                after={
                    **(row["data"] or {}),
                    **({"state": row["to_state"]} if row["to_state"] else {}),
                },
            )
            for row in batch
        )
        AuditEntry.objects.filter(pk__in=[row["pk"] for row in batch]).delete()


FIELDS = (
    "created_at",
    "order_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "from_state",
    "to_state",
    "data",
)


def backward(apps: Any, schema_editor: Any) -> None:
    AuditEntry = apps.get_model("orders", "AuditEntry")
    ActivityEntry = apps.get_model("core", "ActivityEntry")
    Order = apps.get_model("orders", "Order")
    # Keep each entry's own time (this historical model is this migration's alone).
    AuditEntry._meta.get_field("created_at").auto_now_add = False
    entries = ActivityEntry.objects.filter(order_id__isnull=False)
    known = set(Order.objects.values_list("pk", flat=True))
    moved = []
    for entry in entries.order_by("created_at", "pk").iterator():
        if entry.order_id not in known:
            continue
        after = dict(entry.after or {})
        to_state = str(after.pop("state", ""))
        moved.append(
            AuditEntry(
                created_at=entry.created_at,
                order_id=entry.order_id,
                actor=entry.actor,
                action=entry.action,
                object_type=entry.object_type,
                object_id=entry.object_id,
                from_state=str((entry.before or {}).get("state", "")),
                to_state=to_state,
                data=after,
            )
        )
    AuditEntry.objects.bulk_create(moved, batch_size=BATCH)
    entries.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0011_offer_stock_to_items"),
        ("core", "0003_activityentry_order_id"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="order",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.CASCADE,
                related_name="legacy_audit_entries",
                to="orders.order",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
