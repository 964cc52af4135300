"""Download codes: batches printed on cards for the CDs sold at gigs, and redeeming them.

A code is 12 characters from a 32-letter alphabet without look-alikes (no 0/O, 1/I):
60 bits, shown in groups of four (``K7QM-X2PA-9HRT``). Guessing one of 600 codes at the
rate limit (``DISQUAIRE_REDEEM_ATTEMPTS_PER_IP`` per window) would take longer than the
universe has existed, so codes need no hashing to resist guessing; they are stored
plainly so the band can print the cards again or export the list at any time (a hash
would allow printing only once). A leaked database leaks codes worth one download each,
and far more valuable data besides.

Redeeming is lock → check → write: the code row is locked (``select_for_update``), its
uses, expiry and the fan's earlier redemption are checked, then the entitlement is
granted and the use counted, in one transaction.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone

from disquaire.catalog.models import Release
from disquaire.core.addresses import email_normalise
from disquaire.core.audit import activity_record
from disquaire.core.ratelimit import rate_count, rate_hit
from disquaire.core.signing import TokenExpired, TokenInvalid, token_make, token_read
from disquaire.delivery.models import CodeBatch, DownloadCode, Entitlement, EntitlementSource
from disquaire.delivery.services import entitlement_grant

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
GROUP = 4
MAX_BATCH = 100_000


class CodeProblem(Exception):
    """Why a code cannot be used; ``reason`` is one of the constants below."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def code_new() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def code_normalise(text: str) -> str:
    """What the fan typed, as stored: upper-case, without spaces or dashes."""
    return re.sub(r"[\s\-_.]", "", text or "").upper()


def code_display(code: str) -> str:
    """``K7QMX2PA9HRT`` → ``K7QM-X2PA-9HRT``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def code_redeem_path(*, batch: CodeBatch) -> str:
    return reverse("delivery:redeem_artist", kwargs={"artist": batch.artist.slug})


def code_redeem_url(*, batch: CodeBatch, code: str | None = None) -> str:
    """The artist's redeem page (absolute), with the code filled in when given."""
    url = settings.SITE_URL + code_redeem_path(batch=batch)
    return f"{url}?code={code_display(code)}" if code else url


def code_batch_create(
    *,
    release: Release,
    size: int,
    uses_per_code: int = 1,
    expires_at: datetime | None = None,
    label: str = "",
) -> CodeBatch:
    """Make ``size`` codes for ``release``, each good for ``uses_per_code`` redemptions
    (by different addresses) until ``expires_at`` (None: forever)."""
    if not 1 <= size <= MAX_BATCH:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH} codes")
    if uses_per_code < 1:
        raise ValueError("a code must be usable at least once")
    with transaction.atomic():
        batch = CodeBatch.objects.create(
            artist=release.artist,
            release=release,
            label=label,
            uses_per_code=uses_per_code,
            expires_at=expires_at,
        )
        made = 0
        while made < size:
            wanted = {code_new() for _ in range(size - made)}
            taken = set(DownloadCode.objects.filter(code__in=wanted).values_list("code", flat=True))
            fresh = [DownloadCode(batch=batch, code=c) for c in wanted - taken]
            DownloadCode.objects.bulk_create(fresh, batch_size=1000)
            made += len(fresh)
        activity_record(
            artist_id=release.artist_id,
            action="codes.create",
            obj=batch,
            label=label or release.title,
            after={
                "release": release.title,
                "codes": size,
                "uses_per_code": uses_per_code,
                "expires_at": expires_at,
            },
        )
    return batch


def code_find(*, text: str, artist_slug: str | None = None) -> DownloadCode:
    """The usable code the fan typed, or CodeProblem (unknown, used or expired).

    On an artist's redeem page only that artist's codes are known."""
    code = code_normalise(text)
    found = None
    if len(code) == CODE_LENGTH and set(code) <= set(ALPHABET):
        query = DownloadCode.objects.select_related("batch__release__artist", "batch__artist")
        if artist_slug:
            query = query.filter(batch__artist__slug=artist_slug)
        found = query.filter(code=code).first()
    if found is None:
        raise CodeProblem(CodeProblem.UNKNOWN)
    _check(found, email=None)
    return found


def _check(code: DownloadCode, *, email: str | None) -> Entitlement | None:
    """Raise CodeProblem when ``code`` cannot be used (now, by ``email``); return the
    entitlement ``email`` already got from it, if any (redeeming twice is harmless)."""
    batch = code.batch
    if email is not None:
        earlier = Entitlement.objects.filter(
            email=email, source=EntitlementSource.CODE, source_ref=f"code:{code.pk}"
        ).first()
        if earlier is not None:
            return earlier
    if batch.expires_at is not None and batch.expires_at <= timezone.now():
        raise CodeProblem(CodeProblem.EXPIRED)
    if code.uses >= batch.uses_per_code:
        raise CodeProblem(CodeProblem.USED)
    return None


def _lock(code_id: int) -> DownloadCode:
    """The code row, locked until the transaction ends (the "lock" of lock → check →
    write; the concurrency test's control replaces it with a plain read)."""
    return DownloadCode.objects.select_for_update().select_related("batch").get(pk=code_id)


def _check_delay() -> None:
    """Nothing; the concurrency test widens the race window here."""


def code_redeem(*, code_id: int, email: str) -> Entitlement:
    """Redeem a code for ``email``: lock the code, check its uses and expiry, grant the
    release and count the use. Redeeming again with the same address returns the same
    entitlement without using the code again. Raises CodeProblem."""
    address = email_normalise(email)
    if not address or "@" not in address:
        raise ValueError("an email address is needed")
    with transaction.atomic():
        try:
            code = _lock(code_id)
        except DownloadCode.DoesNotExist:
            raise CodeProblem(CodeProblem.UNKNOWN) from None
        earlier = _check(code, email=address)
        if earlier is not None:
            return earlier
        _check_delay()
        entitlement = entitlement_grant(
            email=address,
            release=code.batch.release,
            source=EntitlementSource.CODE,
            ref=f"code:{code.pk}",
        )
        DownloadCode.objects.filter(pk=code.pk).update(uses=F("uses") + 1)
    return entitlement


def batch_codes(batch: CodeBatch) -> QuerySet[DownloadCode]:
    return DownloadCode.objects.filter(batch=batch).order_by("pk")


def code_batch_csv(*, batch: CodeBatch) -> str:
    """The batch as CSV: code, uses, uses allowed, expiry, redeem URL (one row a code)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "uses", "uses_allowed", "expires_at", "release", "redeem_url"])
    expires = batch.expires_at.isoformat() if batch.expires_at else ""
    for code in batch_codes(batch).iterator():
        writer.writerow(
            [
                code_display(code.code),
                code.uses,
                batch.uses_per_code,
                expires,
                batch.release.title,
                code_redeem_url(batch=batch, code=code.code),
            ]
        )
    return out.getvalue()


@dataclass(frozen=True)
class RedeemStats:
    codes: int
    used: int


def batch_stats(*, batch: CodeBatch) -> RedeemStats:
    codes = batch_codes(batch)
    return RedeemStats(codes=codes.count(), used=codes.filter(uses__gt=0).count())


# --- redeeming from the web page: attempts and the ticket between the two steps ------------

REDEEM_PURPOSE = "redeem"
REDEEM_TICKET_TTL = 3600


class TicketInvalid(Exception):
    """The ticket between the code step and the email step is forged or too old."""


def redeem_limited(*, ip: str, text: str) -> bool:
    """Too many failed attempts from ``ip``, or attempts on the code ``text`` (this one
    counts), in the current window."""
    if rate_count(scope="redeem-ip", value=ip) >= settings.DISQUAIRE_REDEEM_ATTEMPTS_PER_IP:
        return True
    normalised = code_normalise(text)
    if normalised:
        window = settings.DISQUAIRE_REDEEM_WINDOW
        hits = rate_hit(scope="redeem-code", value=normalised, window=window)
        return hits > settings.DISQUAIRE_REDEEM_ATTEMPTS_PER_CODE
    return False


def redeem_failure_record(*, ip: str) -> None:
    """Count one failed attempt against ``ip``."""
    rate_hit(scope="redeem-ip", value=ip, window=settings.DISQUAIRE_REDEEM_WINDOW)


def redeem_ticket_make(*, code: DownloadCode) -> str:
    """A signed ticket naming ``code``, carried from the code step to the email step."""
    return token_make(purpose=REDEEM_PURPOSE, payload={"c": code.pk}, ttl_seconds=REDEEM_TICKET_TTL)


def redeem_ticket_read(*, ticket: str) -> DownloadCode:
    """The code a ticket names (``TicketInvalid``; ``DownloadCode.DoesNotExist`` when the
    code was deleted since)."""
    try:
        code_id = int(token_read(purpose=REDEEM_PURPOSE, token=ticket)["c"])
    except (TokenInvalid, TokenExpired, KeyError, TypeError, ValueError):
        raise TicketInvalid from None
    return DownloadCode.objects.select_related("batch__release").get(pk=code_id)
