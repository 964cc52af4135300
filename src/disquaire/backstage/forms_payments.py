"""Backstage forms of the Payments page. Checks that need Stripe's API are the services'
(payments.services); these check what can be checked on the page itself."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from disquaire.core.banking import BankDetailsError, bic_check, iban_check

_SECRET = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})


class StripeForm(forms.Form):
    secret_key = forms.CharField(
        label=_("Secret key"),
        max_length=300,
        widget=_SECRET,
        help_text=_(
            "In Stripe's dashboard: Developers → API keys. It starts with sk_live_ "
            "(sk_test_ to try things out). It is stored encrypted and never shown again."
        ),
    )
    publishable_key = forms.CharField(
        label=_("Publishable key (optional)"), max_length=300, required=False
    )
    webhook_secret = forms.CharField(
        label=_("Webhook signing secret (optional)"),
        max_length=300,
        required=False,
        widget=_SECRET,
        help_text=_(
            "Leave empty: the shop registers its webhook with Stripe itself. Fill it in only "
            "if you added the endpoint in Stripe's dashboard (it starts with whsec_)."
        ),
    )


class StripeWebhookForm(forms.Form):
    webhook_secret = forms.CharField(
        label=_("Webhook signing secret"),
        max_length=300,
        widget=_SECRET,
        help_text=_("Shown by Stripe once the endpoint is added; it starts with whsec_."),
    )


class BankTransferForm(forms.Form):
    enabled = forms.BooleanField(label=_("Offer bank transfer at checkout"), required=False)
    holder = forms.CharField(label=_("Account holder"), max_length=140, required=False)
    iban = forms.CharField(label=_("IBAN"), max_length=50, required=False)
    bic = forms.CharField(label=_("BIC (SWIFT code)"), max_length=20, required=False)
    instructions = forms.CharField(
        label=_("Instructions (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Shown to fans with the details above, e.g. how long a transfer takes to reach "
            "you. Without an IBAN, say here how to pay."
        ),
    )

    def clean_iban(self) -> str:
        value = str(self.cleaned_data.get("iban", ""))
        try:
            return iban_check(value) if value.strip() else ""
        except BankDetailsError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_bic(self) -> str:
        value = str(self.cleaned_data.get("bic", ""))
        try:
            return bic_check(value) if value.strip() else ""
        except BankDetailsError as exc:
            raise forms.ValidationError(str(exc)) from exc


class TestModeForm(forms.Form):
    understood = forms.BooleanField(
        label=_(
            "I understand: while test mode is on, anyone can “buy” anything here without "
            "paying, and every page says so."
        ),
        required=True,
    )


TestModeForm.__test__ = False  # type: ignore[attr-defined]  # not a pytest class
