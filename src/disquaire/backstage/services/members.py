"""Artists and their members: creating an artist, changing roles, removing members."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils.text import slugify
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist, Membership
from disquaire.catalog.validators import RESERVED_SLUGS
from disquaire.core.audit import activity_record


def artist_slug_suggest(*, name: str) -> str:
    root = (slugify(name) or "artist")[:70].strip("-") or "artist"
    candidate = root if root not in RESERVED_SLUGS else f"{root}-1"
    counter = 1
    while Artist.objects.filter(slug=candidate).exists():
        counter += 1
        candidate = f"{root}-{counter}"
    return candidate


def artist_create(*, name: str, owner: User, slug: str = "") -> Artist:
    """A new artist with ``owner`` as its first member."""
    with transaction.atomic():
        artist = Artist.objects.create(
            name=name.strip(), slug=slug or artist_slug_suggest(name=name)
        )
        Membership.objects.create(artist=artist, user=owner, role=Membership.Role.OWNER)
    return artist


class MembershipRefused(Exception):
    """The change would leave the artist without an owner, or the asker may not make it."""


def _memberships_lock(artist_id: int) -> list[Membership]:
    """Every membership of the artist, locked (in key order: no deadlock between two
    owners changing roles at once)."""
    return list(Membership.objects.select_for_update().filter(artist_id=artist_id).order_by("pk"))


def _check_delay() -> None:
    """Between the owner count and the write; the concurrency test widens it."""


def _membership_change(
    *, artist: Artist, membership_id: int, by: User, role: str | None
) -> Membership | None:
    """Lock → check → write: ``role`` None removes the membership. Owners change anyone;
    a member may only remove themself. The artist always keeps one owner."""
    with transaction.atomic():
        memberships = _memberships_lock(artist.pk)
        target = next((m for m in memberships if m.pk == membership_id), None)
        asker = next((m for m in memberships if m.user_id == by.pk), None)
        if target is None or asker is None:
            raise Membership.DoesNotExist
        leaving = role is None and target.pk == asker.pk
        if asker.role != Membership.Role.OWNER and not leaving:
            raise MembershipRefused(_("Only an owner can change the members."))
        owners = {m.pk for m in memberships if m.role == Membership.Role.OWNER}
        if role != Membership.Role.OWNER:
            owners.discard(target.pk)
        else:
            owners.add(target.pk)
        _check_delay()
        if not owners:
            raise MembershipRefused(
                _("The artist needs at least one owner: make someone else owner first.")
            )
        before = {"email": target.user.email, "role": target.role}
        after = {} if role is None else {**before, "role": role}
        if after != before:
            activity_record(
                artist_id=artist.pk,
                action="member.remove" if role is None else "member.role",
                obj=target,
                label=target.user.email,
                before=before,
                after=after,
                actor=f"backstage:{by.email}",
            )
        if role is None:
            target.delete()
            Artist.objects.filter(pk=artist.pk).update(members_epoch=F("members_epoch") + 1)
            return None
        if target.role != role:
            target.role = role
            target.save(update_fields=["role"])
        return target


def membership_role_set(*, artist: Artist, membership_id: int, role: str, by: User) -> Membership:
    """An owner makes a member an owner, or an owner a member (never the last owner)."""
    if role not in Membership.Role.values:
        raise MembershipRefused(_("Unknown role."))
    changed = _membership_change(artist=artist, membership_id=membership_id, by=by, role=role)
    assert changed is not None
    return changed


def membership_remove(*, artist: Artist, membership_id: int, by: User) -> None:
    """An owner removes a member (or another owner); anyone may leave. The last owner
    cannot go. Invitations sent before stop working (the removed cannot come back
    with one)."""
    _membership_change(artist=artist, membership_id=membership_id, by=by, role=None)
