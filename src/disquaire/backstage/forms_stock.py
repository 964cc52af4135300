"""Backstage forms for stock: items, places, and the movements a band records by hand.

The forms only read what was typed; the rules (enough units there, places of the right
kind, a count not below what pending orders hold) are the stock services', whose refusal
is shown as the form's error.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import Release
from disquaire.stock.models import Item, Place, Reason


class ItemForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("e.g. CD Marée Haute"))
    numbered = forms.BooleanField(
        label=_("Numbered edition"),
        required=False,
        help_text=_("Each unit sold gets its number, 1 to N, once."),
    )
    low_stock_at = forms.IntegerField(
        label=_("Warn when fewer than"),
        min_value=0,
        initial=0,
        help_text=_("The stock page warns when a place holds fewer units. 0: never."),
    )
    release = forms.ModelChoiceField(
        label=_("Release"),
        queryset=Release.objects.none(),
        required=False,
        help_text=_(
            "The release this is a copy of (a CD, an LP): the public shops holding it are "
            "listed on the release's page. Empty for merch."
        ),
    )

    def __init__(self, *args: Any, artist: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        releases = cast("forms.ModelChoiceField[Any]", self.fields["release"])
        releases.queryset = Release.objects.filter(artist=artist).order_by("title", "pk")


class PlaceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Place.Kind.choices)
    is_default = forms.BooleanField(
        label=_("Default of its kind"),
        required=False,
        help_text=_(
            "The default home is where new stock arrives; the default shipping place is "
            "where the web shop sends parcels from (home when there is none)."
        ),
    )


class _ArtistStockForm(forms.Form):
    """Items and places limited to the artist's own."""

    def __init__(self, *args: Any, artist: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                model = field.queryset.model  # type: ignore[union-attr]
                field.queryset = model.objects.filter(artist=artist)


def _item() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=_("Item"), queryset=Item.objects.none())


def _place(label: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=label, queryset=Place.objects.none())


def _quantity() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        error_messages={"min_value": _("The quantity must be a whole number above zero.")},
    )


def _note() -> forms.CharField:
    return forms.CharField(label=_("Note"), max_length=500, required=False)


class ReceiveForm(_ArtistStockForm):
    item = _item()
    quantity = _quantity()
    to_place = _place(_("Arrives at"))
    note = _note()


class MoveForm(_ArtistStockForm):
    item = _item()
    quantity = _quantity()
    from_place = _place(_("From"))
    to_place = _place(_("To"))
    note = _note()


class CountForm(_ArtistStockForm):
    item = _item()
    place = _place(_("Place"))
    counted = forms.IntegerField(
        label=_("Units counted"),
        min_value=0,
        help_text=_("What you found there; the difference is recorded as a count adjustment."),
    )
    note = _note()


class DamagedForm(_ArtistStockForm):
    item = _item()
    quantity = _quantity()
    from_place = _place(_("Place"))
    reason = forms.ChoiceField(
        label=_("What happened"),
        choices=[
            (Reason.DAMAGED.value, Reason.DAMAGED.label),
            (Reason.LOST.value, Reason.LOST.label),
        ],
    )
    note = _note()


class LedgerFilterForm(_ArtistStockForm):
    item = forms.ModelChoiceField(label=_("Item"), queryset=Item.objects.none(), required=False)
    place = forms.ModelChoiceField(label=_("Place"), queryset=Place.objects.none(), required=False)
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", _("Any")), *list(Reason.choices)], required=False
    )
