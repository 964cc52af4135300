"""The audit log as the band reads it: what each action is called, what changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from disquaire.core.models import ActivityEntry

ACTIONS = {
    "member.invite": _("Invited a member"),
    "member.join": _("Joined the band"),
    "member.role": _("Changed a member's role"),
    "member.remove": _("Removed a member"),
    "release.delete": _("Deleted a release"),
    "track.delete": _("Deleted a track"),
    "offer.create": _("Created an offer"),
    "offer.update": _("Changed an offer"),
    "offer.delete": _("Deleted an offer"),
    "codes.create": _("Made download codes"),
    "shipping_zone.save": _("Saved a shipping zone"),
    "shipping_zone.delete": _("Deleted a shipping zone"),
    "shop_settings.update": _("Changed the shop settings"),
    "payments.stripe_connect": _("Connected Stripe"),
    "payments.stripe_webhook": _("Saved the Stripe webhook secret"),
    "payments.stripe_disconnect": _("Disconnected Stripe"),
    "payments.bank_transfer": _("Saved the bank transfer details"),
    "payments.test_mode_on": _("Turned test mode on"),
    "payments.test_mode_off": _("Turned test mode off"),
    "orders.test_delete": _("Deleted the test orders"),
}

# Bookkeeping columns nobody needs to read in a history.
HIDDEN = {"created_at", "updated_at", "position", "artist_id"}


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class HistoryLine:
    entry: ActivityEntry
    label: str
    who: str
    changes: list[Change]


def _shown(value: Any) -> Any:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return value


def history_line(entry: ActivityEntry) -> HistoryLine:
    """One entry with its action named and its changed fields listed."""
    before, after = entry.before or {}, entry.after or {}
    changes = [
        Change(field=key, before=_shown(before.get(key)), after=_shown(after.get(key)))
        for key in sorted(set(before) | set(after))
        if key not in HIDDEN and before.get(key) != after.get(key)
    ]
    return HistoryLine(
        entry=entry,
        label=str(ACTIONS.get(entry.action, entry.action)),
        who=entry.actor.removeprefix("backstage:"),
        changes=changes,
    )
