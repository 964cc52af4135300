"""On PostgreSQL the database itself keeps the ledger append-only: a trigger refuses any
UPDATE or DELETE of a movement, except the one change Django makes when a user is
deleted (their rows keep everything but the link to them)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION stock_movement_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'stock_movement is append-only: record a correcting movement';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS stock_movement_append_only ON stock_movement;
CREATE TRIGGER stock_movement_append_only BEFORE UPDATE OR DELETE ON stock_movement
    FOR EACH ROW EXECUTE FUNCTION stock_movement_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS stock_movement_append_only ON stock_movement;
DROP FUNCTION IF EXISTS stock_movement_append_only();
"""


def _create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def _drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("stock", "0001_initial")]

    operations = [migrations.RunPython(_create, _drop)]
