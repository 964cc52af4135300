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


def _amount(label: Any) -> forms.DecimalField:
    """An optional amount of money, zero or more, to the cent."""
    return forms.DecimalField(label=label, min_value=0, decimal_places=2, required=False)


def _percent(label: Any) -> forms.DecimalField:
    """An optional share, from 0 to 100 per cent."""
    return forms.DecimalField(
        label=label, min_value=0, max_value=100, decimal_places=2, required=False
    )


class ShowForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    venue = forms.CharField(label=_("Venue"), max_length=200)
    town = forms.CharField(label=_("Town"), max_length=120, required=False)
    cash_float = _amount(_("Cash in the box at the start"))
    cut = forms.ChoiceField(label=_("Venue's cut"), choices=Show.Cut.choices, initial="none")
    cut_music = _percent(_("Cut on music, per cent"))
    cut_apparel = _percent(_("Cut on apparel, per cent"))
    cut_other = _percent(_("Cut on the rest, per cent"))
    cut_fee = _amount(_("Fixed fee"))


class CloseForm(forms.Form):
    cash_counted = _amount(_("Cash counted in the box"))


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
