"""Followers in and out: a CSV import with the consent the band states, the CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.validators import validate_email
from django.utils import timezone

from disquaire.catalog.models import Artist
from disquaire.core.addresses import email_normalise
from disquaire.core.audit import activity_record
from disquaire.core.csvsafe import csv_text
from disquaire.fans.follow import follower_consent, follower_request, language_of
from disquaire.fans.follow_models import ConsentSource, Follower, FollowerState

# --- import and export -----------------------------------------------------------------


@dataclass
class ImportResult:
    added: int = 0
    confirmation_sent: int = 0
    already: int = 0
    invalid: list[str] = field(default_factory=list)


IMPORT_MAX_ROWS = 50_000


def followers_import(
    *,
    artist: Artist,
    data: str,
    consent: str,
    reconfirm: bool,
    language: str,
    actor: str = "",
) -> ImportResult:
    """Add the addresses of a CSV (a column "email", or the first column; optional
    "language" and "country" columns). ``consent`` is the band's statement of the consent
    it holds (kept as the wording); with ``reconfirm`` each new address is mailed a
    confirmation link instead and followed only once it confirms."""
    result = ImportResult()
    rows = list(csv.reader(io.StringIO(data)))[: IMPORT_MAX_ROWS + 1]
    if not rows:
        return result
    header = [cell.strip().lower() for cell in rows[0]]
    if "email" in header:
        column = {name: header.index(name) for name in header}
        rows = rows[1:]
    else:
        column = {"email": 0}
    now = timezone.now()
    for row in rows:

        def cell(name: str, row: list[str] = row) -> str:
            index = column.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        address = email_normalise(cell("email"))
        if not address:
            continue
        try:
            validate_email(address)
        except Exception:
            result.invalid.append(address[:200])
            continue
        lang = language_of(cell("language") or language)
        if Follower.objects.filter(artist=artist, email=address).exists():
            result.already += 1
            continue
        if reconfirm:
            follower_request(
                artist=artist,
                email=address,
                source=ConsentSource.IMPORT,
                wording=consent,
                where="import (confirmation asked)",
                language=lang,
                country=cell("country"),
            )
            result.confirmation_sent += 1
            continue
        Follower.objects.get_or_create(
            artist=artist,
            email=address,
            defaults={
                **follower_consent(
                    source=ConsentSource.IMPORT,
                    wording=consent,
                    where="import",
                    language=lang,
                    now=now,
                ),
                "state": FollowerState.CONFIRMED,
                "confirmed_at": now,
                "country": cell("country")[:2].upper(),
            },
        )
        result.added += 1
    activity_record(
        artist_id=artist.pk,
        action="followers.import",
        obj=artist,
        actor=actor,
        after={
            "added": result.added,
            "confirmation_sent": result.confirmation_sent,
            "already": result.already,
            "invalid": len(result.invalid),
            "consent": consent[:500],
        },
    )
    return result


EXPORT_COLUMNS = [
    "email",
    "state",
    "language",
    "country",
    "consent_source",
    "consent_at",
    "consent_where",
    "consent_text",
    "confirmed_at",
    "news",
    "releases",
    "concerts",
]


def followers_export(*, artist: Artist) -> str:
    """Every follower of ``artist`` with their consent, as CSV."""
    followers = Follower.objects.filter(artist=artist).order_by("email").iterator()
    return csv_text(
        header=EXPORT_COLUMNS,
        rows=(
            [
                f.email,
                f.state,
                f.language,
                f.country,
                f.consent_source,
                f.consent_at.isoformat(),
                f.consent_where,
                f.consent_text,
                f.confirmed_at.isoformat() if f.confirmed_at else "",
                int(f.wants_news),
                int(f.wants_releases),
                int(f.wants_concerts),
            ]
            for f in followers
        ),
    )
