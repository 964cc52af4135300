from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import Release
from disquaire.core.money import Money
from disquaire.stock.models import Item
from disquaire.table.models import Category, Show


def to_minor(amount: Decimal | None, currency: str) -> int:
    if amount is None:
        return 0
    return Money.parse(str(amount), currency).minor


class ShowForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    venue = forms.CharField(label=_("Venue"), max_length=200)
    town = forms.CharField(label=_("Town"), max_length=120, required=False)
    cash_float = forms.DecimalField(
        label=_("Cash in the box at the start"), min_value=0, decimal_places=2, required=False
    )
    cut = forms.ChoiceField(label=_("Venue's cut"), choices=Show.Cut.choices, initial="none")
    cut_music = forms.DecimalField(
        label=_("Cut on music, per cent"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
    )
    cut_apparel = forms.DecimalField(
        label=_("Cut on apparel, per cent"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
    )
    cut_other = forms.DecimalField(
        label=_("Cut on the rest, per cent"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
    )
    cut_fee = forms.DecimalField(
        label=_("Fixed fee"), min_value=0, decimal_places=2, required=False
    )


class CloseForm(forms.Form):
    cash_counted = forms.DecimalField(
        label=_("Cash counted in the box"), min_value=0, decimal_places=2, required=False
    )


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Name on the button"), max_length=120)
    price = forms.DecimalField(label=_("Table price"), min_value=0, decimal_places=2)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    item: forms.ModelChoiceField[Item] = forms.ModelChoiceField(
        label=_("Item"), queryset=Item.objects.none()
    )
    units = forms.IntegerField(
        label=_("Units per sale"), min_value=1, max_value=99, initial=1,
        help_text=_("2 for a deal like “2 CDs for 25 €”."),
    )  # fmt: skip
    release: forms.ModelChoiceField[Release] = forms.ModelChoiceField(
        label=_("Cover from release"), queryset=Release.objects.none(), required=False
    )

    def __init__(self, *args: Any, items: Any, releases: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items  # type: ignore[attr-defined]
        self.fields["release"].queryset = releases  # type: ignore[attr-defined]


class SellerForm(forms.Form):
    name = forms.CharField(label=_("Their name"), max_length=120)
