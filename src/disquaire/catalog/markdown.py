"""News posts and notes in Markdown, rendered to HTML that is safe to show.

Markdown lets raw HTML through, so the output is cleaned with nh3 (an allow-list
sanitiser): only text formatting, lists, quotes, code, headings and links stay; scripts,
styles, event handlers and ``javascript:`` URLs never reach the page.
"""

from __future__ import annotations

import markdown as _markdown  # type: ignore[import-untyped]
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i",
        "li", "ol", "p", "pre", "strong", "ul", "del", "sup", "sub",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}


def markdown_to_html(text: str) -> SafeString:
    """``text`` (Markdown) as sanitised HTML, ready to put in a template."""
    raw = _markdown.markdown(text or "", extensions=["sane_lists"], output_format="html")
    clean = nh3.clean(
        raw,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
    )
    return mark_safe(clean)  # noqa: S308 - nh3 has just sanitised it
