"""Backstage forms for selling: offers and their options, shipping zones, shop settings.

Amounts are typed as decimals in the artist's currency ("12", "12,50") and turned into
minor units by ``Money.parse``; the forms hand minor units to the shop services.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import Artist, Release
from disquaire.core.countries import COUNTRIES, countries_by_name
from disquaire.core.money import CURRENCIES, Money, MoneyError
from disquaire.selling.models import Offer, OfferItem, OfferOption, ShippingZone, ShopSettings
from disquaire.stock.models import Item


def minor_to_text(minor: int | None, currency: str) -> str:
    if minor is None:
        return ""
    return str(Money(int(minor), currency).decimal)


class MoneyField(forms.CharField):
    """A decimal amount in ``currency``, cleaned to whole minor units (int) or None."""

    def __init__(self, *, currency: str = "EUR", **kwargs: Any) -> None:
        self.currency = currency
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "class": "bs-money"})

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if not text:
            return None
        try:
            money = Money.parse(text, self.currency)
        except (MoneyError, InvalidOperation, ArithmeticError):
            digits = CURRENCIES.get(self.currency, 2)
            example = str(Decimal(1250).scaleb(-digits)) if digits else "12"
            raise forms.ValidationError(
                _("Type an amount in %(currency)s, for example %(example)s.")
                % {"currency": self.currency, "example": example}
            ) from None
        if money.minor < 0:
            raise forms.ValidationError(_("The amount cannot be negative."))
        return money.minor


def _money(label: Any, currency: str, *, required: bool = False, help_text: Any = "") -> MoneyField:
    return MoneyField(
        currency=currency,
        label=f"{label} ({currency})",
        required=required,
        help_text=help_text,
    )


class OfferForm(forms.ModelForm):
    """What is for sale and how it is priced; amounts in the artist's currency."""

    class Meta:
        model = Offer
        fields = ["kind", "title", "includes", "pricing", "stock", "numbered", "active", "track"]
        widgets = {"includes": forms.Textarea(attrs={"rows": 4}), "pricing": forms.RadioSelect}
        # The model field has no translated name of its own.
        labels = {"track": _("Track")}

    def __init__(self, *args: Any, currency: str, release: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        instance: Offer = self.instance
        self.fields["price"] = _money(
            _("Price"),
            currency,
            help_text=_("For a fixed price."),
        )
        self.fields["minimum"] = _money(
            _("Minimum"),
            currency,
            help_text=_("Name your price: 0 lets fans pay nothing."),
        )
        self.fields["suggested"] = _money(
            _("Suggested amount"),
            currency,
            help_text=_("Name your price: shown as the default."),
        )
        # Only the amounts of the offer's own pricing are shown (services keep the others
        # in step, e.g. a fixed price's minimum, which the band never typed).
        if instance.pk and instance.pricing == Offer.Pricing.FIXED:
            self.fields["price"].initial = minor_to_text(instance.price_minor, currency)
        elif instance.pk and instance.pricing == Offer.Pricing.PWYW:
            self.fields["minimum"].initial = minor_to_text(instance.minimum_minor, currency)
            self.fields["suggested"].initial = minor_to_text(instance.suggested_minor, currency)
        self.order_fields(
            [
                "kind",
                "title",
                "includes",
                "pricing",
                "price",
                "minimum",
                "suggested",
                "stock",
                "numbered",
                "active",
                "track",
            ]
        )
        # Shown only for the kind or pricing chosen (backstage/js/show-when.js; without
        # JavaScript every field shows, and clean() ignores those of another kind).
        show_when = {
            "price": "pricing=fixed",
            "minimum": "pricing=pwyw",
            "suggested": "pricing=pwyw",
            "track": "kind=track",
        }
        for name, condition in show_when.items():
            if name in self.fields:
                self.fields[name].show_when = condition  # type: ignore[attr-defined]
        track_field = self.fields["track"]
        if release is None:
            del self.fields["track"]
            self.fields["kind"].choices = [  # type: ignore[attr-defined]
                c for c in Offer.Kind.choices if c[0] == Offer.Kind.PHYSICAL
            ]
        else:
            track_field.queryset = release.tracks.order_by("position")  # type: ignore[attr-defined]
            track_field.help_text = _("Only for a single track offer.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        pricing = cleaned.get("pricing")
        kind = cleaned.get("kind")
        if pricing == Offer.Pricing.FIXED and not cleaned.get("price"):
            self.add_error("price", _("Give the price, or choose “name your price” or free."))
        if pricing == Offer.Pricing.PWYW:
            minimum = cleaned.get("minimum") or 0
            suggested = cleaned.get("suggested")
            cleaned["minimum"] = minimum
            if suggested is not None and suggested < minimum:
                self.add_error("suggested", _("The suggested amount is below the minimum."))
        if kind == Offer.Kind.TRACK and not cleaned.get("track"):
            self.add_error("track", _("Choose the track this offer sells."))
        if kind != Offer.Kind.TRACK and "track" in self.fields:
            cleaned["track"] = None
        if cleaned.get("numbered") and cleaned.get("stock") is None:
            self.add_error("stock", _("A numbered edition needs a number of units."))
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        """The fields the shop services take, amounts in minor units."""
        data = self.cleaned_data
        fields = {name: data[name] for name in self.Meta.fields if name in data}
        fields["price_minor"] = data.get("price") or 0
        fields["minimum_minor"] = data.get("minimum") or 0
        fields["suggested_minor"] = data.get("suggested")
        return fields


class OfferOptionForm(forms.ModelForm):
    class Meta:
        model = OfferOption
        fields = ["label", "stock"]


OfferOptionFormSet = forms.inlineformset_factory(
    Offer, OfferOption, form=OfferOptionForm, extra=2, can_delete=True, max_num=30
)


class OfferItemForm(forms.ModelForm):
    """One stock item the offer uses, how many per unit sold, and for which option."""

    class Meta:
        model = OfferItem
        fields = ["item", "quantity", "option"]

    def __init__(self, *args: Any, artist: Artist, offer: Offer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = Item.objects.filter(artist=artist).order_by("name")  # type: ignore[attr-defined]
        self.fields["option"].queryset = (  # type: ignore[attr-defined]
            OfferOption.objects.filter(offer=offer) if offer.pk else OfferOption.objects.none()
        )
        self.fields["option"].empty_label = _("every option")  # type: ignore[attr-defined]
        self.fields["quantity"].min_value = 1  # type: ignore[attr-defined]


class _OfferItemBaseFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data.get("item") or data.get("DELETE"):
                continue
            key = (data["item"].pk, data["option"].pk if data.get("option") else None)
            if key in seen:
                raise forms.ValidationError(_("Each item is listed once (per option)."))
            seen.add(key)


OfferItemFormSet = forms.inlineformset_factory(
    Offer,
    OfferItem,
    form=OfferItemForm,
    formset=_OfferItemBaseFormSet,
    extra=2,
    can_delete=True,
    max_num=20,
)


class ShippingZoneForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. Europe"))
    countries = forms.MultipleChoiceField(
        label=_("Countries"),
        help_text=_("Tick every country this zone ships to."),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "bs-countries"}),
        error_messages={
            "required": _("Choose at least one country."),
            "invalid_choice": _("%(value)s is not a country of the list."),
        },
    )

    def __init__(self, *args: Any, currency: str, zone: ShippingZone | None = None, **kw: Any):
        bound = (args[0] if args else kw.get("data")) is not None
        if zone is not None and not bound and "initial" not in kw:
            kw["initial"] = {
                "name": zone.name,
                "countries": list(zone.countries),
                "first_item": minor_to_text(zone.first_item_minor, currency),
                "additional_item": minor_to_text(zone.additional_item_minor, currency),
            }
        super().__init__(*args, **kw)
        # Every country by its name in the band's language, sorted as a reader expects;
        # a code saved before that names no country stays choosable (and removable).
        kept = list(zone.countries) if zone is not None else []
        field = self.fields["countries"]
        field.choices = countries_by_name([*COUNTRIES, *kept])  # type: ignore[attr-defined]
        self.fields["first_item"] = _money(_("First item"), currency, required=True)
        self.fields["additional_item"] = _money(_("Each additional item"), currency)

    def clean_countries(self) -> list[str]:
        return sorted({str(code).upper() for code in self.cleaned_data["countries"]})


class ShopSettingsForm(forms.ModelForm):
    class Meta:
        model = ShopSettings
        # Bank transfer details are on the Payments page (payments.PaymentSettings).
        fields = ["ship_from_country", "vat_note"]

    def clean_ship_from_country(self) -> str:
        value = str(self.cleaned_data["ship_from_country"]).strip().upper()
        if value and (len(value) != 2 or not value.isalpha()):
            raise forms.ValidationError(_("A two-letter country code, e.g. FR."))
        return value


class CodeBatchForm(forms.Form):
    """A batch of download codes for one of the artist's releases (printed on cards)."""

    MAX_SIZE = 5000

    release = forms.ModelChoiceField(label=_("Release"), queryset=Release.objects.none())
    size = forms.IntegerField(
        label=_("Number of codes"), min_value=1, max_value=MAX_SIZE, initial=100
    )
    uses_per_code = forms.IntegerField(
        label=_("Uses per code"),
        min_value=1,
        max_value=1000,
        initial=1,
        help_text=_("How many different people may redeem each code."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: the codes never expire."),
    )
    label = forms.CharField(
        label=_("Label"), max_length=120, required=False, help_text=_("e.g. CD tour 2026")
    )

    def __init__(self, *args: Any, artist: Artist, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["release"]
        field.queryset = artist.releases.order_by("-created_at")  # type: ignore[attr-defined]

    def clean_expires_on(self) -> date | None:
        value: date | None = self.cleaned_data.get("expires_on")
        if value is not None and value <= timezone.localdate():
            raise forms.ValidationError(_("Choose a day after today."))
        return value

    def expires_at(self) -> datetime | None:
        """End of the chosen day, in the site's time zone."""
        day: date | None = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day, time.max))
