"""Backstage services: accounts, invitations, artists, resumable uploads, deleting
releases and tracks nobody has, and orders.

Catalogue changes go through ``disquaire.catalog.services``; what lives here is about the
dashboard itself (who may come in, files on their way).
"""

from __future__ import annotations

import csv
import hmac
import io
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError, RestrictedError
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.text import slugify
from django.utils.translation import gettext as _

from disquaire.audio import AudioError
from disquaire.backstage.models import Upload
from disquaire.catalog import services as catalog_services
from disquaire.catalog import sources
from disquaire.catalog.models import Artist, Membership, Release, Rendition, Track
from disquaire.catalog.validators import RESERVED_SLUGS
from disquaire.core.money import Money
from disquaire.core.ratelimit import rate_count, rate_hit
from disquaire.core.signing import TokenInvalid, token_make, token_read
from disquaire.delivery.selectors import release_given
from disquaire.orders.emails import order_shipped_send
from disquaire.orders.models import Order
from disquaire.orders.selectors import release_has_orders
from disquaire.orders.services import order_fulfil

VERIFY_PURPOSE = "backstage.verify"
INVITE_PURPOSE = "backstage.invite"
READ_BLOCK = 1024 * 1024


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class UploadRefused(Exception):
    """The file or chunk is refused; ``reason`` says why, for the band."""

    def __init__(self, reason: str, *, status: int = 400, received: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.received = received


# --- accounts -----------------------------------------------------------------------------


def _user_model() -> type[User]:
    model: type[User] = get_user_model()
    return model


def email_normalise(email: str) -> str:
    return email.strip().lower()


def login_limited(*, ip: str, email: str) -> bool:
    """Too many failed sign-ins from ``ip`` or for ``email`` in the current window."""
    return rate_count(scope="login-ip", value=ip) >= settings.BACKSTAGE_LOGIN_FAILURES_PER_IP or (
        bool(email)
        and rate_count(scope="login-email", value=email)
        >= settings.BACKSTAGE_LOGIN_FAILURES_PER_EMAIL
    )


def login_failure_record(*, ip: str, email: str) -> None:
    """Count one failed sign-in against ``ip`` and ``email``."""
    window = settings.BACKSTAGE_LOGIN_WINDOW
    rate_hit(scope="login-ip", value=ip, window=window)
    if email:
        rate_hit(scope="login-email", value=email, window=window)


def password_reset_limited(*, ip: str, email: str) -> bool:
    """Count one password-reset request (each mails someone); True past either limit."""
    window = settings.BACKSTAGE_PASSWORD_RESET_WINDOW
    by_ip = rate_hit(scope="reset-ip", value=ip, window=window)
    by_email = rate_hit(scope="reset-email", value=email_normalise(email), window=window)
    return (
        by_ip > settings.BACKSTAGE_PASSWORD_RESET_PER_IP
        or by_email > settings.BACKSTAGE_PASSWORD_RESET_PER_EMAIL
    )


def operator_needed() -> bool:
    """True on a fresh install: nobody can sign in yet."""
    return not _user_model().objects.exists()


SETUP_CODE_FILE = "setup-code"


def _setup_code_path() -> Path:
    return Path(settings.DATA_DIR) / SETUP_CODE_FILE


def setup_code_ensure() -> str | None:
    """The one-time code that creating the operator's account asks for, written once into
    the data dir (mode 0600) and printed by ``serve``; None once the operator exists.

    Only whoever installed the instance can read it (as Jupyter's token or Grafana's
    first password): the first visitor of a public server cannot claim it.
    """
    if not operator_needed():
        return None
    path = _setup_code_path()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    code = secrets.token_urlsafe(15)
    with os.fdopen(fd, "w") as handle:
        handle.write(code + "\n")
    return code


def setup_code_valid(code: str) -> bool:
    """``code`` is the current setup code (compared in constant time)."""
    expected = setup_code_ensure()
    return bool(expected) and hmac.compare_digest(code.strip().encode(), str(expected).encode())


def operator_create(*, email: str, password: str, setup_code: str) -> User:
    """The first account, which runs the instance (superuser); refused once anyone
    exists or without the setup code. The code is then removed: it served once."""
    if not setup_code_valid(setup_code):
        raise PermissionError("wrong setup code")
    with transaction.atomic():
        if not operator_needed():
            raise PermissionError("the operator already exists")
        email = email_normalise(email)
        user = _user_model().objects.create_superuser(
            username=email, email=email, password=password
        )
    _setup_code_path().unlink(missing_ok=True)
    return user


def _password_seal(user: User) -> str:
    """Ties a verification link to the password it was sent for: a later sign-up with
    the same address (a new password) makes earlier links useless."""
    return salted_hmac("disquaire.backstage.verify", user.password).hexdigest()[:20]


def user_signup(*, email: str, password: str, next_url: str = "") -> User:
    """A band member's account, inactive until the emailed link is followed.

    The answer never tells whether the address has an account. Signing up again with
    an address not yet confirmed sets the new password and sends a new link (whoever
    reads that mailbox decides; earlier links stop working), so nobody can hold an
    address hostage by signing up with it first. For an address with an account, its
    owner is mailed that someone tried, with the ways to sign in; nothing changes.
    """
    email = email_normalise(email)
    users = _user_model().objects
    user = users.filter(username=email).first()
    # An account that has signed in before is a real one, even if an operator has
    # since turned it off: a sign-up never changes it (nor turns it back on).
    if user is not None and (user.is_active or user.last_login is not None):
        send_mail(
            _("Someone tried to create an account with your address"),
            render_to_string(
                "backstage/emails/signup_existing.txt",
                {
                    "email": email,
                    "login": settings.SITE_URL + reverse("backstage:login"),
                    "reset": settings.SITE_URL + reverse("backstage:password_reset"),
                },
            ),
            None,
            [email],
        )
        return user
    if user is None:
        user = users.create_user(username=email, email=email, password=password, is_active=False)
    else:
        user.set_password(password)
        user.save(update_fields=["password"])
    token = token_make(
        purpose=VERIFY_PURPOSE,
        payload={"u": user.pk, "n": next_url, "p": _password_seal(user)},
        ttl_seconds=settings.BACKSTAGE_VERIFY_DAYS * 86400,
    )
    link = settings.SITE_URL + reverse("backstage:verify", kwargs={"token": token})
    send_mail(
        _("Confirm your email address"),
        render_to_string("backstage/emails/verify.txt", {"link": link, "email": email}),
        None,
        [email],
    )
    return user


@dataclass(frozen=True)
class Verification:
    """What a verification link says: whose account, where to go next, and whether
    following it now would activate the account (only then does it sign in)."""

    user: User
    next_url: str
    pending: bool


def user_verification_read(*, token: str) -> Verification:
    """Read a verification link without acting on it (the page a GET shows).

    Raises ``TokenInvalid``/``TokenExpired`` from ``disquaire.core.signing``; a link
    sent for an earlier password of a still unconfirmed account is invalid, and so is a
    link for an account an operator has turned off.
    """
    payload = token_read(purpose=VERIFY_PURPOSE, token=token)
    user = _user_model().objects.filter(pk=payload["u"]).first()
    if user is None:
        raise TokenInvalid("no such account")
    next_url = str(payload.get("n") or "")
    if user.is_active:
        return Verification(user=user, next_url=next_url, pending=False)
    if user.last_login is not None:
        raise TokenInvalid("account turned off")  # not ours to turn back on
    if not constant_time_compare(str(payload.get("p", "")), _password_seal(user)):
        raise TokenInvalid("superseded by a later sign-up")
    return Verification(user=user, next_url=next_url, pending=True)


def user_verify(*, token: str) -> Verification:
    """Activate the account named in ``token`` (the POST that confirms the link).

    ``pending`` in the answer is True for the one call that activated the account: only
    that call may sign in. Followed again (or after the account was confirmed another
    way), the link signs nobody in, so a leaked or forwarded link is no login link.
    The activation is one conditional UPDATE: two concurrent confirmations activate once.
    """
    found = user_verification_read(token=token)
    if not found.pending:
        return found
    activated = (
        _user_model()
        .objects.filter(
            pk=found.user.pk,
            is_active=False,
            last_login__isnull=True,
            password=found.user.password,
        )
        .update(is_active=True)
    )
    found.user.refresh_from_db()
    return Verification(user=found.user, next_url=found.next_url, pending=bool(activated))


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
    membership, created = Membership.objects.get_or_create(
        artist=invitation.artist, user=user, defaults={"role": invitation.role}
    )
    if not created and invitation.role == Membership.Role.OWNER:
        membership.role = Membership.Role.OWNER
        membership.save(update_fields=["role"])
    return membership


# --- artists --------------------------------------------------------------------------------


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


# --- members --------------------------------------------------------------------------------


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


# --- resumable uploads ----------------------------------------------------------------------


def artist_storage_used(*, artist_id: int) -> int:
    """Bytes an artist's music takes: every master and every encoded copy (renditions),
    plus the uploads under way (their announced size)."""
    from django.db.models import Sum

    masters = Track.objects.filter(release__artist_id=artist_id).aggregate(
        total=Sum("master_bytes")
    )["total"]
    renditions = Rendition.objects.filter(track__release__artist_id=artist_id).aggregate(
        total=Sum("bytes")
    )["total"]
    pending = Upload.objects.filter(
        release__artist_id=artist_id, status=Upload.Status.RECEIVING
    ).aggregate(total=Sum("size"))["total"]
    return int(masters or 0) + int(renditions or 0) + int(pending or 0)


def upload_limits() -> dict[str, Any]:
    """What the upload zone says before anything is sent (and what the server enforces)."""
    return {
        "audio_bytes": settings.IMPORT_MAX_FILE_BYTES,
        "image_bytes": settings.BACKSTAGE_MAX_IMAGE_BYTES,
        "chunk_bytes": settings.BACKSTAGE_UPLOAD_CHUNK_BYTES,
        "audio_extensions": sorted(sources.AUDIO_EXTENSIONS),
        "image_extensions": sorted(sources.IMAGE_EXTENSIONS),
    }


def upload_kind_for(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix in sources.AUDIO_EXTENSIONS:
        return Upload.Kind.AUDIO
    if suffix in sources.IMAGE_EXTENSIONS:
        return Upload.Kind.COVER
    raise UploadRefused(
        _("“%(name)s” is neither audio (%(audio)s) nor an image (%(images)s).")
        % {
            "name": filename,
            "audio": ", ".join(sorted(sources.AUDIO_EXTENSIONS)),
            "images": ", ".join(sorted(sources.IMAGE_EXTENSIONS)),
        }
    )


def upload_start(*, release: Release, user: User, filename: str, size: int) -> Upload:
    """Open an upload of ``filename`` (``size`` bytes) for ``release``, after the type and
    size checks the page announced."""
    filename = Path(filename.replace("\\", "/")).name.strip()[:300]
    if not filename:
        raise UploadRefused(_("The file has no name."))
    kind = upload_kind_for(filename)
    limit = (
        settings.IMPORT_MAX_FILE_BYTES
        if kind == Upload.Kind.AUDIO
        else settings.BACKSTAGE_MAX_IMAGE_BYTES
    )
    if size <= 0:
        raise UploadRefused(_("“%(name)s” is empty.") % {"name": filename})
    if size > limit:
        raise UploadRefused(
            _("“%(name)s” is larger than the %(limit)s MB allowed.")
            % {"name": filename, "limit": limit // (1024 * 1024)},
            status=413,
        )
    started = rate_hit(scope="upload-user", value=str(user.pk), window=3600)
    if started > settings.BACKSTAGE_UPLOADS_PER_HOUR:
        raise UploadRefused(
            _("Too many files were sent this hour. Please wait a little, then try again."),
            status=429,
        )
    with transaction.atomic():
        # One upload start at a time per artist: two at once cannot both fit the last room.
        Artist.objects.select_for_update().filter(pk=release.artist_id).first()
        quota = settings.BACKSTAGE_ARTIST_STORAGE_QUOTA
        used = artist_storage_used(artist_id=release.artist_id)
        if quota and used + size > quota:
            raise UploadRefused(
                _(
                    "“%(name)s” does not fit: %(artist)s already uses %(used)s of its "
                    "%(quota)s of storage (music files with their encoded copies, and "
                    "uploads under way). Delete unused tracks, or ask the operator for room."
                )
                % {
                    "name": filename,
                    "artist": release.artist.name,
                    "used": filesizeformat(used),
                    "quota": filesizeformat(quota),
                },
                status=413,
            )
        upload = Upload.objects.create(
            release=release, user=user, kind=kind, filename=filename, size=size
        )
    upload.scratch_path.parent.mkdir(parents=True, exist_ok=True)
    upload.scratch_path.touch()
    return upload


_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def upload_append(*, upload: Upload, content_range: str, body: Readable) -> int:
    """Write one chunk at the offset named by ``content_range``; returns the new count.

    The chunk must start exactly where the server's count ends (409 with the count
    otherwise, so the client resumes from there) and arrive whole: a short body (the
    connection dropped) leaves the count unchanged. The count only moves forward through
    a conditional update, so two copies of the same chunk cannot both be counted.
    """
    if upload.status != Upload.Status.RECEIVING:
        raise UploadRefused(_("This upload is already finished."), status=409)
    match = _RANGE.match(content_range.strip())
    if not match:
        raise UploadRefused(_("A chunk needs a Content-Range: bytes start-end/total header."))
    start, end, total = (int(g) for g in match.groups())
    if total != upload.size or end < start or end >= total:
        raise UploadRefused(_("The Content-Range does not match this file."))
    length = end - start + 1
    if length > settings.BACKSTAGE_UPLOAD_CHUNK_BYTES:
        raise UploadRefused(_("The chunk is larger than allowed."), status=413)
    if start != upload.received:
        raise UploadRefused(
            _("Expected the chunk starting at byte %(count)s.") % {"count": upload.received},
            status=409,
            received=upload.received,
        )
    path = upload.scratch_path
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("r+b" if path.exists() else "wb") as handle:
        handle.seek(start)
        while written < length:
            block = body.read(min(READ_BLOCK, length - written))
            if not block:
                break
            handle.write(block)
            written += len(block)
    if written != length:
        raise UploadRefused(
            _("The chunk arrived incomplete; send it again from byte %(count)s.")
            % {"count": upload.received},
            received=upload.received,
        )
    moved = Upload.objects.filter(pk=upload.pk, received=start).update(received=end + 1)
    upload.refresh_from_db(fields=["received"])
    if not moved:
        raise UploadRefused(
            _("Expected the chunk starting at byte %(count)s.") % {"count": upload.received},
            status=409,
            received=upload.received,
        )
    return upload.received


def upload_finish(*, upload: Upload) -> Upload:
    """Hand the complete file to the release: a new track, or its cover.

    A refused file (the importer's reasons: empty, not audio, truncated…) marks the
    upload failed with that reason; the scratch file is removed either way.
    """
    if upload.status == Upload.Status.DONE:
        return upload
    if upload.received != upload.size:
        raise UploadRefused(
            _("Only %(count)s of %(size)s bytes have arrived.")
            % {"count": upload.received, "size": upload.size},
            status=409,
            received=upload.received,
        )
    path = upload.scratch_path
    try:
        with path.open("r+b") as handle:
            handle.truncate(upload.size)
        if upload.kind == Upload.Kind.AUDIO:
            track = catalog_services.track_add_from_upload(
                release=upload.release, path=path, filename=upload.filename
            )
            upload.track = track
        else:
            catalog_services.release_cover_set(release=upload.release, data=path.read_bytes())
        upload.status = Upload.Status.DONE
        upload.error = ""
    except AudioError as exc:
        upload.status = Upload.Status.FAILED
        upload.error = exc.reason
    finally:
        path.unlink(missing_ok=True)
    upload.save(update_fields=["status", "error", "track", "updated_at"])
    return upload


def uploads_expire() -> int:
    """Forget uploads untouched for BACKSTAGE_UPLOAD_KEEP_HOURS, with their scratch bytes.

    Run by the workers' periodic job: an upload abandoned half-way (the band closed the
    tab and never came back) must not fill the disk.
    """
    cutoff = timezone.now() - timedelta(hours=settings.BACKSTAGE_UPLOAD_KEEP_HOURS)
    old = list(Upload.objects.filter(updated_at__lt=cutoff))
    for upload in old:
        upload.scratch_path.unlink(missing_ok=True)
    Upload.objects.filter(pk__in=[u.pk for u in old]).delete()
    return len(old)


# --- deleting -----------------------------------------------------------------------------


class InUse(Exception):
    """What the band asked to delete belongs to fans already; the message says what to do."""


def _release_kept_reason(release_id: int) -> str:
    """Why ``release`` must stay ("" if nobody has it): checked under its row lock."""
    if release_has_orders(release_id=release_id) or release_given(release_id=release_id):
        return _(
            "Fans have ordered this release or were given it (downloads, codes): it stays "
            "in the record of sales and in their libraries. To take it off the site, "
            "set it back to draft."
        )
    return ""


def release_delete(*, release: Release) -> None:
    """Delete a release nobody has ordered or been given, with its tracks, files, offers
    and everything else hanging from it; raise ``InUse`` (nothing deleted) otherwise.

    Lock → check → write: the release row is locked, then orders, downloads and codes are
    looked for. An order or a download right written meanwhile by another transaction
    still stops it: their rows keep it (protected references, foreign keys checked at
    commit), and the whole deletion is rolled back.
    """
    try:
        with transaction.atomic():
            Release.objects.select_for_update().filter(pk=release.pk).first()
            reason = _release_kept_reason(release.pk)
            if reason:
                raise InUse(reason)
            catalog_services.release_delete(release=release)
    except (ProtectedError, RestrictedError, IntegrityError) as exc:
        raise InUse(_release_kept_reason(release.pk) or _("This release is in use.")) from exc


def track_delete(*, track: Track) -> None:
    """Delete a track of a release nobody has ordered or been given (the tracklist closes
    up); raise ``InUse`` (nothing deleted) otherwise — buyers' downloads hold every track."""
    try:
        with transaction.atomic():
            Release.objects.select_for_update().filter(pk=track.release_id).first()
            if _release_kept_reason(track.release_id):
                raise InUse(
                    _(
                        "Fans have ordered this release or were given it: its tracks stay "
                        "in what they have. Add a corrected track as a new one, or take "
                        "the release off the site."
                    )
                )
            catalog_services.track_delete(track=track)
    except (ProtectedError, RestrictedError, IntegrityError) as exc:
        raise InUse(_("This track is in use.")) from exc


# --- orders -------------------------------------------------------------------------------


def order_ship(*, order: Order, tracking_number: str, actor: str) -> Order:
    """Mark a paid order shipped (paid → fulfilled), keep its tracking number, email the fan.

    Raises ``TransitionError`` when the order is not paid. The email goes after the
    commit; a mail failure leaves the order shipped (the band can tell the fan).
    """
    with transaction.atomic():
        order = order_fulfil(order=order, actor=actor)
        order.tracking_number = tracking_number.strip()[:100]
        Order.objects.filter(pk=order.pk).update(tracking_number=order.tracking_number)
        shipped = order
        transaction.on_commit(lambda: order_shipped_send(order=shipped))
    return order


def test_orders_delete(*, artist: Artist, actor: str) -> int:
    """Delete every test order of ``artist`` — only those — with what hangs on them: lines,
    holds (their units go back on sale), payments and refunds, numbered units, and the
    downloads they granted. One audit entry says how many and which, in the same
    transaction. Returns the number of orders deleted.
    """
    from disquaire.delivery.models import Entitlement, EntitlementSource
    from disquaire.delivery.receivers import order_ref
    from disquaire.orders.items import items_restock
    from disquaire.orders.models import EditionUnit, OrderState, Payment, Refund, Reservation
    from disquaire.orders.stock import order_reservations
    from disquaire.orders.transitions import audit_log
    from disquaire.payments.models import PaymentSettings

    with transaction.atomic():
        orders = list(
            Order.objects.select_for_update()
            .filter(artist=artist, is_test=True)
            .order_by("pk")
            .only("pk", "code")
        )
        if not orders:
            return 0
        ids = [o.pk for o in orders]
        # Units sold to a test order and not shipped go back to the shelf (the ledger
        # keeps both rows: it is never rewritten).
        for order in Order.objects.filter(pk__in=ids, state=OrderState.PAID).select_related(
            "artist"
        ):
            items_restock(
                order=order,
                reservations=[
                    r for r in order_reservations(order) if r.state == Reservation.State.CONSUMED
                ],
                note="test order deleted",
            )
        Entitlement.objects.filter(
            source=EntitlementSource.ORDER, source_ref__in=[order_ref(o) for o in orders]
        ).delete()
        Refund.objects.filter(payment__order_id__in=ids).delete()
        Payment.objects.filter(order_id__in=ids).delete()
        EditionUnit.objects.filter(line__order_id__in=ids).delete()
        # Lines, holds and the orders' own audit entries go with the orders.
        Order.objects.filter(pk__in=ids, is_test=True).delete()
        config, _created = PaymentSettings.objects.get_or_create(artist=artist)
        audit_log(
            action="orders.test_delete",
            obj=config,
            order=None,
            actor=actor,
            data={"artist": artist.pk, "count": len(ids), "codes": [o.code for o in orders]},
        )
    return len(ids)


test_orders_delete.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


ORDERS_CSV_HEADER = [
    "code", "created_at", "state", "email", "currency", "items", "shipping", "total",
    "item", "option", "quantity", "line_total", "edition_numbers", "ship_name",
    "ship_address", "ship_postcode", "ship_city", "ship_country", "tracking_number",
    "referrer", "campaign",
]  # fmt: skip


def csv_safe(value: object) -> object:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is quoted with '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def orders_csv(*, orders: Iterable[Order]) -> str:
    """The orders as CSV (one row per line), amounts as decimals, for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ORDERS_CSV_HEADER)
    for order in orders:

        def money(minor: int, currency: str = order.currency) -> Decimal:
            return Money(minor, currency).decimal

        for line in order.lines.all():
            row = [
                order.code, order.created_at.isoformat(), order.state, order.email,
                order.currency, money(order.items_minor), money(order.shipping_minor),
                money(order.total_minor), line.title, line.option_label, line.quantity,
                money(line.total_minor), " ".join(map(str, line.edition_numbers)),
                order.ship_name, order.ship_address, order.ship_postcode, order.ship_city,
                order.ship_country, order.tracking_number, order.referrer, order.campaign,
            ]  # fmt: skip
            writer.writerow([csv_safe(v) for v in row])
    return out.getvalue()
