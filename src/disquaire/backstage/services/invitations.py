"""Invitations to join an artist: sent by mail as a signed link, read, accepted."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist, Membership
from disquaire.core.addresses import email_normalise
from disquaire.core.audit import activity_record
from disquaire.core.signing import TokenInvalid, token_make, token_read

INVITE_PURPOSE = "backstage.invite"


@dataclass(frozen=True)
class Invitation:
    artist: Artist
    email: str
    role: str


def _members_epoch(artist_id: int) -> int:
    return int(Artist.objects.filter(pk=artist_id).values_list("members_epoch", flat=True).get())


def invitation_send(*, artist: Artist, email: str, role: str, by: User) -> str:
    """Email ``email`` a signed link to join ``artist`` with ``role``; returns the link."""
    email = email_normalise(email)
    token = token_make(
        purpose=INVITE_PURPOSE,
        # The epoch as stored now (the caller's copy may predate a removal).
        payload={"a": artist.pk, "e": email, "r": role, "m": _members_epoch(artist.pk)},
        ttl_seconds=settings.BACKSTAGE_INVITATION_DAYS * 86400,
    )
    link = settings.SITE_URL + reverse("backstage:invitation", kwargs={"token": token})
    signup = settings.SITE_URL + reverse("backstage:signup")
    activity_record(
        artist_id=artist.pk,
        action="member.invite",
        object_type="invitation",
        label=email,
        after={"email": email, "role": role},
        actor=f"backstage:{by.email}",
    )
    send_mail(
        _("Join %(artist)s on its shop") % {"artist": artist.name},
        render_to_string(
            "backstage/emails/invitation.txt",
            {
                "artist": artist,
                "link": link,
                "by": by.email,
                "signup": signup,
                "days": settings.BACKSTAGE_INVITATION_DAYS,
            },
        ),
        None,
        [email],
    )
    return link


def invitation_read(*, token: str) -> Invitation:
    """The invitation in ``token`` (``TokenInvalid``/``TokenExpired``, ``Artist.DoesNotExist``)."""
    payload = token_read(purpose=INVITE_PURPOSE, token=token)
    role = payload["r"] if payload["r"] in Membership.Role.values else Membership.Role.MEMBER
    artist = Artist.objects.get(pk=payload["a"])
    if payload.get("m", 0) != artist.members_epoch:
        # Someone left or was removed since it was sent: the owners must invite again.
        raise TokenInvalid("invitation withdrawn")
    return Invitation(artist=artist, email=payload["e"], role=role)


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Make ``user`` a member; an invitation never lowers an owner to member."""
    if email_normalise(user.email) != invitation.email:
        raise PermissionError("this invitation was sent to another address")
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            artist=invitation.artist, user=user, defaults={"role": invitation.role}
        )
        before = {} if created else {"email": invitation.email, "role": membership.role}
        if not created and invitation.role == Membership.Role.OWNER:
            membership.role = Membership.Role.OWNER
            membership.save(update_fields=["role"])
        after = {"email": invitation.email, "role": membership.role}
        if before != after:
            activity_record(
                artist_id=invitation.artist.pk,
                action="member.join",
                obj=membership,
                label=invitation.email,
                before=before,
                after=after,
                actor=f"backstage:{user.email}",
            )
    return membership
