"""Backstage forms: thin, the writing is done by services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from disquaire.backstage.models import MemberEmailSettings
from disquaire.catalog.models import Artist, Concert, Membership, NewsPost, Release, Track
from disquaire.catalog.validators import normalise_isrc, validate_isrc
from disquaire.core.addresses import email_normalise
from disquaire.core.ratelimit import client_ip
from disquaire.storefront.images import source_version


class EmailPasswordForm(forms.Form):
    """Email plus a password typed twice, checked by Django's password validators."""

    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        # Whether the address has an account is not said here (the sign-up mails its
        # owner instead): the form must not tell who is registered.
        return email_normalise(str(self.cleaned_data["email"]))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            user = get_user_model()(
                username=cleaned.get("email", ""), email=cleaned.get("email", "")
            )
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class SetupForm(EmailPasswordForm):
    """The operator's account, with the one-time code only the installer has seen."""

    setup_code = forms.CharField(
        label=_("Setup code"),
        max_length=100,
        help_text=_(
            "Printed by “disquaire serve” when it started, and written in the file "
            "setup-code of its data folder."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    field_order = ["setup_code", "email", "password1", "password2"]


class RateLimitedLoginMixin:
    """Failed sign-ins are limited per client address and per account (the address
    typed, whether or not it has an account: the answer is the same for both). Past
    either limit, the password is not even checked until the window has passed."""

    request: HttpRequest | None
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        from disquaire.backstage.services.accounts import login_failure_record, login_limited

        email = email_normalise(str(self.cleaned_data.get("username") or ""))
        ip = client_ip(self.request) if self.request is not None else "unknown"
        if login_limited(ip=ip, email=email):
            raise forms.ValidationError(
                _("Too many failed attempts. Please wait a quarter of an hour, then try again."),
                code="throttled",
            )
        try:
            return super().clean()  # type: ignore[misc]
        except forms.ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_login":
                login_failure_record(ip=ip, email=email)
            raise


class EmailLoginForm(RateLimitedLoginMixin, AuthenticationForm):
    """Django's sign-in form, with the email (lower-cased) as the username."""

    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self) -> str:
        return email_normalise(str(self.cleaned_data["username"]))


class AdminLoginForm(RateLimitedLoginMixin, AdminAuthenticationForm):
    """The admin's sign-in form, under the same limits as the backstage's."""


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    # Member unless the owner chooses otherwise: owning is the rarer, stronger right.
    role = forms.ChoiceField(
        label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER
    )


class ArtistCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)


class ImagePreviewInput(forms.ClearableFileInput):
    """A file input showing the current image itself (``preview_url``), not a link to
    its storage address (stored files are only served through their public views)."""

    template_name = "backstage/widgets/image_input.html"
    preview_url = ""

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["preview_url"] = self.preview_url
        return context


class ArtistForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, name in (("photo", "photo"), ("header", "header_image")):
            widget = self.fields[name].widget
            image = getattr(self.instance, name)
            if isinstance(widget, ImagePreviewInput) and self.instance.pk and image:
                path = reverse(
                    "storefront:artist_image",
                    kwargs={"artist": self.instance.slug, "kind": kind, "width": 300},
                )
                widget.preview_url = f"{path}?v={source_version(image)}"

    class Meta:
        model = Artist
        fields = [
            "name", "bio", "photo", "photo_alt", "header_image", "default_language",
            "currency", "theme_background", "theme_text", "theme_accent",
        ]  # fmt: skip
        widgets = {
            "theme_background": forms.TextInput(attrs={"type": "color"}),
            "theme_text": forms.TextInput(attrs={"type": "color"}),
            "theme_accent": forms.TextInput(attrs={"type": "color"}),
            "bio": forms.Textarea(attrs={"rows": 8}),
            "photo": ImagePreviewInput,
            "header_image": ImagePreviewInput,
        }


class LinkForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=80)
    url = forms.URLField(label=_("Address"), assume_scheme="https")


LinkFormSet = forms.formset_factory(LinkForm, extra=1, can_delete=True, max_num=30)


class ConcertForm(forms.ModelForm):
    ticket_url = forms.URLField(label=_("Tickets"), required=False, assume_scheme="https")

    class Meta:
        model = Concert
        fields = ["starts_at", "venue", "city", "country", "ticket_url", "notes"]
        widgets = {
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            )
        }

    def clean_country(self) -> str:
        return str(self.cleaned_data["country"]).strip().upper()


class NewsPostForm(forms.ModelForm):
    class Meta:
        model = NewsPost
        fields = ["title", "body", "published_at"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 14, "data-markdown-source": ""}),
            "published_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }
        help_texts = {
            "published_at": _("Leave empty to keep the post as a draft."),
            "body": _("Markdown: *italics*, **bold**, [a link](https://…), lists with -."),
        }


class ReleaseCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    kind = forms.ChoiceField(label=_("Kind"), choices=Release.Kind.choices)


class ReleaseForm(forms.ModelForm):
    tag_names = forms.CharField(
        label=_("Tags"),
        required=False,
        help_text=_("Separated by commas, e.g. rock, Lyon."),
    )

    class Meta:
        model = Release
        fields = [
            "title", "kind", "release_date", "description", "credits", "catalogue_number",
            "upc", "cover_alt", "preview_policy", "preview_clip_seconds", "preview_full_plays",
        ]  # fmt: skip
        widgets = {
            "release_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 6}),
            "credits": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["tag_names"].initial = ", ".join(t.name for t in self.instance.tags.all())

    def clean_preview_clip_seconds(self) -> int:
        value = int(self.cleaned_data["preview_clip_seconds"])
        if not 5 <= value <= 600:
            raise forms.ValidationError(_("Between 5 and 600 seconds."))
        return value

    def tag_list(self) -> list[str]:
        return [n for n in self.cleaned_data.get("tag_names", "").split(",") if n.strip()]


class PublishForm(forms.Form):
    ACTIONS = [
        ("publish", _("Publish now")),
        ("schedule", _("Schedule")),
        ("unlisted", _("Unlisted (preview link only)")),
        ("draft", _("Draft")),
    ]
    action = forms.ChoiceField(label=_("Visibility"), choices=ACTIONS, widget=forms.RadioSelect)
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("action") == "schedule" and not cleaned.get("publish_at"):
            self.add_error("publish_at", _("Choose the date and time of publication."))
        return cleaned


class TrackForm(forms.ModelForm):
    class Meta:
        model = Track
        fields = ["title", "isrc", "is_free", "lyrics", "credits"]
        widgets = {
            "lyrics": forms.Textarea(attrs={"rows": 10}),
            "credits": forms.Textarea(attrs={"rows": 4}),
        }

    def clean_isrc(self) -> str:
        value = normalise_isrc(self.cleaned_data.get("isrc", ""))
        validate_isrc(value)
        return value


class MemberEmailSettingsForm(forms.ModelForm):
    """Which e-mails one member gets, and in which language."""

    class Meta:
        model = MemberEmailSettings
        fields = ("new_order", "payment_problem", "refund", "daily_summary", "language")

    def __init__(self, *args: Any, artist: Artist, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        default = dict(settings.LANGUAGES).get(artist.default_language, artist.default_language)
        language.choices = [  # type: ignore[attr-defined]
            ("", _("The artist's language (%(language)s)") % {"language": default}),
            *settings.LANGUAGES,
        ]
