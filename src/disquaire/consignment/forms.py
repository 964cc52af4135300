"""The report forms, shared by the band's backstage and the shop's private page: one
number per item the shop carries (units sold, or units counted on the shelf)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from disquaire.consignment.models import Report, Shop
from disquaire.consignment.selectors import ShopLine
from disquaire.consignment.services import Line, count_report, sales_report

KIND_SALES = "sales"
KIND_COUNT = "count"


class LinesForm(forms.Form):
    """``kind`` "sales": how many of each item were sold; "count": how many are left."""

    note = forms.CharField(label=_("Note (optional)"), max_length=300, required=False)

    def __init__(self, *args: Any, lines: list[ShopLine], kind: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", kind)
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.lines = [line for line in lines if line.left]
        for line in self.lines:
            name = f"item_{line.item.pk}"
            if kind == KIND_COUNT:
                label = _("“%(item)s”: units left on the shelf (held: %(left)s)") % {
                    "item": line.item.name,
                    "left": line.left,
                }
            else:
                label = _("“%(item)s”: units sold (held: %(left)s)") % {
                    "item": line.item.name,
                    "left": line.left,
                }
            self.fields[name] = forms.IntegerField(
                label=label,
                min_value=0,
                required=kind == KIND_COUNT,
                initial=None,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
            )
        self.order_fields([f"item_{line.item.pk}" for line in self.lines] + ["note"])

    def result(self) -> list[Line]:
        out = []
        for line in self.lines:
            value = self.cleaned_data.get(f"item_{line.item.pk}")
            if value is None:
                continue
            out.append(Line(line.item, int(value)))
        return out

    def record(self, *, shop: Shop, source: str, actor: Any = None) -> Report:
        """Record what this valid form says: the sales, or the count of what is left."""
        note = self.cleaned_data["note"]
        if self.kind == KIND_SALES:
            return sales_report(
                shop=shop, lines=self.result(), source=source, actor=actor, note=note
            )
        return count_report(shop=shop, counts=self.result(), source=source, actor=actor, note=note)
