"""``{{ post.body|markdown }}``: Markdown rendered to sanitised HTML."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from disquaire.catalog.markdown import markdown_to_html

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(value: str) -> SafeString:
    return markdown_to_html(value)
