"""An update as an email: HTML and plain text, in the follower's language, in the band's
colours, with one-click unsubscribe (RFC 8058) and no tracking of any kind.

The body is rendered once per language with placeholders standing for the follower's
own links, which are then put in per recipient: twenty thousand mails do not render
twenty thousand templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
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
    connection: object = None,
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
        connection=connection,  # type: ignore[arg-type]
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
