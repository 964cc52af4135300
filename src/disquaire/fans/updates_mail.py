"""An update as an email: HTML and plain text, in the follower's language, in the band's
colours, with one-click unsubscribe (RFC 8058) and no tracking of any kind.

The body is rendered once per language with placeholders standing for the follower's
own links, which are then put in per recipient: twenty thousand mails do not render
twenty thousand templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr, formatdate, parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from disquaire.catalog.markdown import markdown_to_html
from disquaire.core.colour import theme_readable
from disquaire.fans.follow_models import Follower
from disquaire.fans.updates_models import Update

UNSUBSCRIBE_MARK = "DISQUAIRE-UNSUBSCRIBE-URL"
PREFERENCES_MARK = "DISQUAIRE-PREFERENCES-URL"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def update_render(*, update: Update, language: str) -> Rendered:
    """``update`` in ``language``, with the link placeholders left in."""
    artist = update.artist
    theme = theme_readable(
        background=artist.theme_background, text=artist.theme_text, accent=artist.theme_accent
    )
    link = ""
    if update.release_id and update.release is not None:
        link = settings.SITE_URL + reverse(
            "storefront:release", kwargs={"artist": artist.slug, "release": update.release.slug}
        )
    elif update.news_post_id:
        link = settings.SITE_URL + reverse("storefront:artist", kwargs={"artist": artist.slug})
    context = {
        "update": update,
        "artist": artist,
        "theme": theme,
        "body_html": markdown_to_html(update.body),
        "link": link,
        "unsubscribe_url": UNSUBSCRIBE_MARK,
        "preferences_url": PREFERENCES_MARK,
        "language": language,
    }
    with translation.override(language):
        text = render_to_string("fans/email/update.txt", context)
        html = render_to_string("fans/email/update.html", context)
    return Rendered(subject=update.subject, text=text, html=html)


def sender_address(*, update: Update) -> str:
    """The band's name on the site's sending address."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((update.artist.name, address or "shop@localhost"))


def message_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def update_message(
    *,
    rendered: Rendered,
    from_email: str,
    to: str,
    unsubscribe_url: str,
    preferences_url: str,
    message_id: str,
    connection: Any = None,
) -> EmailMultiAlternatives:
    """One recipient's mail, with the List-Unsubscribe headers of RFC 2369 and 8058."""
    text = rendered.text.replace(UNSUBSCRIBE_MARK, unsubscribe_url).replace(
        PREFERENCES_MARK, preferences_url
    )
    html = rendered.html.replace(UNSUBSCRIBE_MARK, unsubscribe_url).replace(
        PREFERENCES_MARK, preferences_url
    )
    message = EmailMultiAlternatives(
        rendered.subject,
        text,
        from_email,
        [to],
        connection=connection,
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": message_id,
            # Bulk mail: no out-of-office answers back to the band.
            "Auto-Submitted": "auto-generated",
            "Precedence": "bulk",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def update_test_message(*, update: Update, to: str, language: str) -> EmailMultiAlternatives:
    """The update as a follower would get it, to the band's own address (its links are
    examples that unsubscribe no one)."""
    rendered = update_render(update=update, language=language)
    example = settings.SITE_URL + reverse("fans:unsubscribe", kwargs={"token": "test"})
    return update_message(
        rendered=Rendered(
            subject="[TEST] " + rendered.subject, text=rendered.text, html=rendered.html
        ),
        from_email=sender_address(update=update),
        to=to,
        unsubscribe_url=example,
        preferences_url=example,
        message_id=f"<test.u{update.pk}@{message_domain()}>",
    )


def follower_language(follower: Follower) -> str:
    return follower.language or settings.LANGUAGE_CODE


# --- many recipients: the MIME message built once per language ---------------------------

_PER_RECIPIENT = (b"to", b"message-id", b"list-unsubscribe", b"date")
_PLACEHOLDER_TO = "recipient@placeholder.invalid"


class _Serialized:
    """What Django's SMTP backend asks of a message: its bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return self.data


class _PreparedMessage(EmailMultiAlternatives):
    """A mail whose MIME form was made beforehand (``PreparedUpdate``); its attributes
    (body, alternatives, headers) are complete too, for backends that build their own
    request from them (django-anymail's)."""

    serialized: bytes = b""

    def message(self, *, policy: object = None) -> Any:
        return _Serialized(self.serialized)


class PreparedUpdate:
    """An update in one language, serialized once with placeholders; ``message()`` then
    makes each recipient's mail by putting in their address and links, without building
    and encoding the MIME tree again (most of the cost of a mail otherwise).

    Only where that is exact: the placeholders must come out of the encoder untouched
    (8-bit parts) and the address must be ASCII; otherwise ``usable`` is False and
    the caller builds the mail the ordinary way (``update_message``)."""

    def __init__(self, *, rendered: Rendered, from_email: str) -> None:
        self.rendered = rendered
        self.from_email = from_email
        sample = update_message(
            rendered=rendered,
            from_email=from_email,
            to=_PLACEHOLDER_TO,
            unsubscribe_url=UNSUBSCRIBE_MARK,
            preferences_url=PREFERENCES_MARK,
            message_id="<placeholder@placeholder.invalid>",
        )
        data = sample.message().as_bytes(linesep="\r\n")
        head, _sep, body = data.partition(b"\r\n\r\n")
        kept: list[bytes] = []
        skipping = False
        for line in head.split(b"\r\n"):
            if line[:1] in (b" ", b"\t"):
                if not skipping:
                    kept.append(line)
                continue
            skipping = line.split(b":", 1)[0].strip().lower() in _PER_RECIPIENT
            if not skipping:
                kept.append(line)
        self.head = b"\r\n".join(kept)
        self.body = body
        marks = (UNSUBSCRIBE_MARK.encode(), PREFERENCES_MARK.encode())
        self.usable = (
            all(body.count(mark) == 2 for mark in marks)
            and b"placeholder.invalid" not in self.head
            and b"placeholder.invalid" not in body
        )

    def message(
        self,
        *,
        to: str,
        unsubscribe_url: str,
        preferences_url: str,
        message_id: str,
        connection: Any = None,
    ) -> EmailMultiAlternatives:
        def ordinary() -> EmailMultiAlternatives:
            return update_message(
                rendered=self.rendered,
                from_email=self.from_email,
                to=to,
                unsubscribe_url=unsubscribe_url,
                preferences_url=preferences_url,
                message_id=message_id,
                connection=connection,
            )

        if not self.usable or not to.isascii():
            return ordinary()
        if isinstance(connection, SMTPBackend):
            # Django's SMTP backend reads only the addresses and message(): the rest of
            # the object need not be filled in.
            prepared = _PreparedMessage(
                self.rendered.subject, "", self.from_email, [to], connection=connection
            )
        else:
            prepared = _PreparedMessage(connection=connection)
            prepared.__dict__.update(ordinary().__dict__)
        body = self.body.replace(UNSUBSCRIBE_MARK.encode(), unsubscribe_url.encode()).replace(
            PREFERENCES_MARK.encode(), preferences_url.encode()
        )
        prepared.serialized = b"".join(
            (
                f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}\r\n".encode(),
                f"To: {to}\r\nMessage-ID: {message_id}\r\n".encode(),
                f"List-Unsubscribe: <{unsubscribe_url}>\r\n".encode(),
                self.head,
                b"\r\n\r\n",
                body,
            )
        )
        return prepared
