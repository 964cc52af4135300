"""Backstage forms for referral rewards: the band's rules, voiding, thanking."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from disquaire.backstage.forms_selling import MoneyField, minor_to_text
from disquaire.catalog.models import Artist, Release
from disquaire.fans.referrals.models import ReferralSettings


class PercentField(forms.CharField):
    """A percentage typed as people write it ("10", "12,5"), cleaned to basis points."""

    def clean(self, value: Any) -> int:
        text = (super().clean(value) or "0").strip().replace(",", ".").rstrip("%").strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(_("Type a percentage, for example 10.")) from None
        basis = number * 100
        if not number.is_finite() or basis != basis.to_integral_value() or not 0 <= basis <= 10000:
            raise forms.ValidationError(
                _("Type a percentage from 0 to 100, with at most two decimals.")
            )
        return int(basis)


class ReferralSettingsForm(forms.Form):
    enabled = forms.BooleanField(label=_("Reward fans who bring buyers"), required=False)
    credit_percent = PercentField(
        label=_("Store credit, as a % of each referred sale"),
        required=False,
        help_text=_("Of the items (not the shipping), rounded down. 0: no credit."),
    )
    free_release_after = forms.IntegerField(
        label=_("A release of their choice after this many referred sales"),
        min_value=0,
        max_value=1000,
        required=False,
        help_text=_("0: no such reward."),
    )
    hold_days = forms.IntegerField(
        label=_("Holding period (days)"),
        min_value=0,
        max_value=365,
        help_text=_(
            "Rewards become usable this long after the sale: choose at least as long as "
            "you accept refunds. A refund before then cancels the reward."
        ),
    )
    cap_to_spent = forms.BooleanField(
        label=_("Rewards never exceed what the fan has spent with you"), required=False
    )

    def __init__(self, *args: Any, artist: Artist, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        currency = artist.currency
        self.fields["monthly_cap_minor"] = MoneyField(
            currency=currency,
            label=f"{_('Most credit per fan per month')} ({currency})",
            required=False,
            help_text=_("Empty: no cap."),
        )
        self.fields["minimum_order_minor"] = MoneyField(
            currency=currency,
            label=f"{_('Minimum order for a referral to count')} ({currency})",
            required=False,
        )

    @classmethod
    def initial_from(cls, rules: ReferralSettings, currency: str) -> dict[str, Any]:
        return {
            "enabled": rules.enabled,
            "credit_percent": rules.credit_percent,
            "free_release_after": rules.free_release_after,
            "hold_days": rules.hold_days,
            "cap_to_spent": rules.cap_to_spent,
            "monthly_cap_minor": minor_to_text(rules.monthly_cap_minor or None, currency),
            "minimum_order_minor": minor_to_text(rules.minimum_order_minor or None, currency),
        }

    def settings_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "enabled": bool(data.get("enabled")),
            "credit_basis_points": int(data.get("credit_percent") or 0),
            "free_release_after": int(data.get("free_release_after") or 0),
            "hold_days": int(data["hold_days"]),
            "cap_to_spent": bool(data.get("cap_to_spent")),
            "monthly_cap_minor": int(data.get("monthly_cap_minor") or 0),
            "minimum_order_minor": int(data.get("minimum_order_minor") or 0),
        }


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=300)


class ThankForm(forms.Form):
    email = forms.EmailField(widget=forms.HiddenInput)
    message = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=3000,
    )
    release = forms.ModelChoiceField(
        label=_("With a download code for"),
        queryset=Release.objects.none(),
        required=False,
        empty_label=_("(no code)"),
    )

    def __init__(self, *args: Any, artist: Artist, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["release"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Release.objects.filter(artist=artist).order_by("title")
