from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from disquaire.shop.checkout import CHECKOUT_CONSENT_WORDING


class CheckoutForm(forms.Form):
    """What the buyer gives at checkout: never a price or a total."""

    delivery = forms.ChoiceField(label=_("Delivery"), widget=forms.RadioSelect, required=False)
    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    address = forms.CharField(
        label=_("Address"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    postcode = forms.CharField(label=_("Postcode"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=120, required=False)
    # A list of the countries the shop ships to (``countries``); still checked against
    # the zones at checkout, so a value sent from elsewhere gets "does not ship to".
    country = forms.CharField(
        label=_("Country"), max_length=2, min_length=2, required=False, widget=forms.Select
    )
    provider = forms.ChoiceField(label=_("Payment"), widget=forms.RadioSelect, required=False)
    # The total the page showed on its Pay button (minor units): checkout_start refuses to
    # start a payment of any other amount.
    total_shown = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    mailing_list = forms.BooleanField(label=CHECKOUT_CONSENT_WORDING, required=False)

    def __init__(
        self,
        *args: Any,
        ships: bool,
        providers: list[Any],
        free: bool,
        countries: list[tuple[str, str]] | None = None,
        pickup_place: str = "",
        **kw: Any,
    ):
        kw.setdefault("label_suffix", "")  # labels above their fields: no colon
        super().__init__(*args, **kw)
        self.ships = ships
        self.free = free
        field = self.fields["provider"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(p.identifier, p.verbose_name) for p in providers]
        if providers and not free:
            field.required = True
            # Chosen for the buyer only when there is no choice to make.
            if len(providers) == 1:
                field.initial = providers[0].identifier
        # Local pick-up offered (``pickup_place``): the postal address is asked only of
        # those who choose "Ship to me" (checked in clean()), a name of everyone.
        self.pickup = bool(ships and pickup_place)
        if self.pickup:
            delivery = self.fields["delivery"]
            assert isinstance(delivery, forms.ChoiceField)
            delivery.choices = [
                ("ship", _("Ship to me")),
                ("pickup", _("Pick up: %(place)s") % {"place": pickup_place}),
            ]
            delivery.required = True
            delivery.initial = "ship"
        else:
            del self.fields["delivery"]
        if ships:
            required = ("name",) if self.pickup else ("name", "address", "city", "country")
            for name in required:
                self.fields[name].required = True
            countries = countries or []
            widget = self.fields["country"].widget
            assert isinstance(widget, forms.Select)
            blank: list[tuple[str, Any]] = [("", _("Choose…"))] if len(countries) != 1 else []
            widget.choices = [*blank, *countries]
            self.fields["name"].widget.attrs["autocomplete"] = "name"
            self.fields["address"].widget.attrs["autocomplete"] = "street-address"
            self.fields["postcode"].widget.attrs["autocomplete"] = "postal-code"
            self.fields["city"].widget.attrs["autocomplete"] = "address-level2"
            widget.attrs["autocomplete"] = "country"
        else:
            for name in ("name", "address", "postcode", "city", "country"):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.pickup and data.get("delivery") == "ship":
            for name in ("address", "city", "country"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("This field is required."))
        return data

    def clean_country(self) -> str:
        return str(self.cleaned_data.get("country", "")).strip().upper()
