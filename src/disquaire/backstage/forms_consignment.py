"""Backstage forms of consignment: a shop and its terms, placing, returns, statements.

Percentages are typed as people say them ("25", "12.5") and kept in hundredths of a
percent; amounts are typed in the artist's currency and kept in minor units.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disquaire.backstage.forms_selling import _money
from disquaire.catalog.models import Artist
from disquaire.consignment.models import ShareKind, Shop
from disquaire.consignment.shops import SHOP_DETAILS
from disquaire.core.money import Money
from disquaire.stock.models import Item, Place
from disquaire.stock.selectors import items_of, places_of


def _percent(label: Any, *, required: bool = False, help_text: Any = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        max_digits=5,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


def _bp(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


def _https_urls(field: Any, **kwargs: Any) -> Any:
    if field.name in ("website", "map_url"):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class ShopForm(forms.ModelForm):
    class Meta:
        model = Shop
        fields = list(SHOP_DETAILS)
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        formfield_callback = _https_urls

    def __init__(self, *args: Any, artist: Artist, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        currency = artist.currency
        self.currency = currency
        shop = self.instance
        self.fields["share_kind"].widget = forms.RadioSelect(choices=ShareKind.choices)
        self.fields["commission"] = _percent(
            _("Shop's commission (%)"),
            help_text=_("What the shop keeps of its price, e.g. 30."),
        )
        self.fields["tier_from"] = _money(
            _("Second tier from price"),
            currency,
            help_text=_("Optional: from this price up, the second commission applies."),
        )
        self.fields["tier_commission"] = _percent(_("Second tier commission (%)"))
        self.fields["fixed"] = _money(
            _("Fixed amount per unit to the band"),
            currency,
            help_text=_("Only for the fixed-amount terms."),
        )
        if shop.pk:
            self.fields["commission"].initial = Decimal(shop.commission_bp) / 100
            if shop.tier_commission_bp is not None:
                self.fields["tier_commission"].initial = Decimal(shop.tier_commission_bp) / 100
            if shop.tier_from_minor is not None:
                self.fields["tier_from"].initial = Money(shop.tier_from_minor, currency).decimal
            self.fields["fixed"].initial = Money(shop.fixed_minor, currency).decimal
        else:
            self.fields["commission"].initial = 30
        self.fields["country"].widget.attrs.update({"maxlength": 2, "autocomplete": "off"})

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "").upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("share_kind")
        if kind == ShareKind.COMMISSION and data.get("commission") is None:
            self.add_error("commission", _("Give the shop's commission."))
        if kind == ShareKind.FIXED and not data.get("fixed"):
            self.add_error("fixed", _("Give the amount the band gets per unit."))
        if (data.get("tier_from") is None) != (data.get("tier_commission") is None):
            self.add_error(
                "tier_commission", _("A second tier needs both its price and its commission.")
            )
        return data

    def shop_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {name: data[name] for name in self.Meta.fields}
        fields["commission_bp"] = _bp(data.get("commission")) or 0
        fields["tier_from_minor"] = data.get("tier_from")
        fields["tier_commission_bp"] = _bp(data.get("tier_commission"))
        fields["fixed_minor"] = data.get("fixed") or 0
        return fields


def _choices(form: forms.Form, name: str) -> forms.ModelChoiceField[Any]:
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


def _items(artist: Artist) -> Any:
    return items_of(artist=artist).order_by("name", "pk")


def _home_places(artist: Artist, shop: Shop) -> Any:
    """Where units come from or go back to: the band's places other than shops."""
    return places_of(artist=artist).exclude(kind=Place.Kind.SHOP).order_by("name", "pk")


class PlaceForm(forms.Form):
    item = forms.ModelChoiceField(label=_("Item"), queryset=Item.objects.none())
    quantity = forms.IntegerField(label=_("Units"), min_value=1)
    from_place = forms.ModelChoiceField(
        label=_("Taken from"), queryset=Place.objects.none(), required=False
    )
    note = forms.CharField(label=_("Note (optional)"), max_length=300, required=False)

    def __init__(self, *args: Any, artist: Artist, shop: Shop, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "item").queryset = _items(artist)
        # From home, the bag, or another shop (moving records from one shop to another).
        source = _choices(self, "from_place")
        source.queryset = places_of(artist=artist).exclude(pk=shop.place_id)
        source.empty_label = _("home (the default place)")
        self.fields["price"] = _money(_("Shop's public price"), artist.currency, required=True)
        self.order_fields(["item", "quantity", "price", "from_place", "note"])


class ReturnForm(forms.Form):
    item = forms.ModelChoiceField(label=_("Item"), queryset=Item.objects.none())
    quantity = forms.IntegerField(label=_("Units taken back"), min_value=1)
    to_place = forms.ModelChoiceField(
        label=_("Brought to"), queryset=Place.objects.none(), required=False
    )
    note = forms.CharField(label=_("Note (optional)"), max_length=300, required=False)

    def __init__(self, *args: Any, artist: Artist, shop: Shop, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "item").queryset = _items(artist).filter(consignments__shop=shop)
        target = _choices(self, "to_place")
        target.queryset = _home_places(artist, shop)
        target.empty_label = _("home (the default place)")


class SettleForm(forms.Form):
    period_end = forms.DateField(
        label=_("Sales reported up to"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period_end"].initial = timezone.localdate()


class PaidForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.CharField(
        label=_("How"), max_length=100, help_text=_("e.g. bank transfer, cash, cheque")
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()
        self.fields["amount"] = _money(
            _("Amount"), currency, help_text=_("Leave empty for the whole balance.")
        )
