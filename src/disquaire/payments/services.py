"""The band's Payments page: connect Stripe, bank transfer details, test mode.

Every change is written to the artist's audit log (core.audit, object ``paymentsettings``)
in the same transaction; secrets never go into the audit data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist
from disquaire.core.audit import activity_record
from disquaire.core.banking import BankDetailsError, bic_check, iban_check
from disquaire.core.crypto import SecretUnreadable, secret_mask, secret_open, secret_seal
from disquaire.payments.models import PaymentSettings
from disquaire.payments.selectors import STRIPE_SECRET_PURPOSE, STRIPE_WEBHOOK_PURPOSE

logger = logging.getLogger(__name__)

# What the shop listens to (payments.providers.stripe): register these, or paste them.
STRIPE_EVENTS = (
    "checkout.session.completed",
    "checkout.session.expired",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "charge.refunded",
)


class PaymentSetupError(ValueError):
    """Something the Payments page refuses; the message is for the band, in plain words."""


def _locked(artist: Artist) -> PaymentSettings:
    """The artist's settings row, created if need be, locked for this transaction."""
    PaymentSettings.objects.get_or_create(artist=artist)
    return PaymentSettings.objects.select_for_update().get(artist=artist)


def _audit(*, config: PaymentSettings, action: str, actor: str, data: dict[str, Any]) -> None:
    activity_record(artist_id=config.artist_id, action=action, obj=config, actor=actor, after=data)


def stripe_webhook_url(artist: Artist) -> str:
    """Where Stripe must send the events of this band's account."""
    return settings.SITE_URL + reverse(
        "payments:artist_webhook", kwargs={"provider": "stripe", "artist_id": artist.pk}
    )


@dataclass(frozen=True)
class StripeConnected:
    config: PaymentSettings
    # The endpoint was registered through the API; otherwise the band pastes its secret.
    webhook_registered: bool


def _key_checks(secret_key: str, publishable_key: str, webhook_secret: str) -> None:
    if not secret_key.startswith(("sk_live_", "sk_test_", "rk_live_", "rk_test_")):
        raise PaymentSetupError(
            _(
                "This is not a Stripe secret key: it starts with “sk_live_” (or “sk_test_” "
                "to try things out). Copy it from Stripe's dashboard, Developers → API keys."
            )
        )
    if publishable_key and not publishable_key.startswith(("pk_live_", "pk_test_")):
        raise PaymentSetupError(
            _("This is not a Stripe publishable key: it starts with “pk_live_” or “pk_test_”.")
        )
    if publishable_key and ("_live_" in publishable_key) != ("_live_" in secret_key):
        raise PaymentSetupError(
            _("One key is a test key and the other a live one: paste two keys of the same mode.")
        )
    if webhook_secret and not webhook_secret.startswith("whsec_"):
        raise PaymentSetupError(_("This is not a webhook signing secret: it starts with “whsec_”."))


def stripe_connect(
    *,
    artist: Artist,
    secret_key: str,
    publishable_key: str = "",
    webhook_secret: str = "",
    actor: str,
) -> StripeConnected:
    """Check the band's keys against Stripe's API, register the webhook endpoint (or take
    the signing secret the band pasted), and store the secrets sealed.

    Raises PaymentSetupError, and keeps what was there, when Stripe refuses the key or
    cannot be reached.
    """
    from disquaire.payments.providers.stripe import stripe_client

    secret_key, publishable_key = secret_key.strip(), publishable_key.strip()
    webhook_secret = webhook_secret.strip()
    _key_checks(secret_key, publishable_key, webhook_secret)
    client = stripe_client(secret_key)
    try:
        account = client.v1.accounts.retrieve_current().to_dict()
    except stripe.AuthenticationError as exc:
        raise PaymentSetupError(
            _(
                "Stripe refused this secret key: check that you copied all of it, and that "
                "it was not rolled (Developers → API keys)."
            )
        ) from exc
    except stripe.PermissionError as exc:
        raise PaymentSetupError(
            _("This restricted key may not read the account: give it that permission.")
        ) from exc
    except stripe.StripeError as exc:
        logger.warning("stripe key check for artist %s failed: %s", artist.pk, exc)
        raise PaymentSetupError(
            _("Stripe could not be reached to check the key: try again in a moment.")
        ) from exc
    settings_name = (account.get("settings") or {}).get("dashboard") or {}
    label = str(
        settings_name.get("display_name")
        or (account.get("business_profile") or {}).get("name")
        or account.get("email")
        or account.get("id", "")
    )[:200]
    endpoint_id = ""
    if not webhook_secret:
        try:
            params: Any = {
                "url": stripe_webhook_url(artist),
                "enabled_events": list(STRIPE_EVENTS),
                "description": f"Disquaire: {artist.name}",
            }
            endpoint = client.v1.webhook_endpoints.create(params=params).to_dict()
            endpoint_id, webhook_secret = str(endpoint["id"]), str(endpoint.get("secret", ""))
        except stripe.StripeError as exc:
            # Stripe refuses addresses it cannot reach (localhost, plain http in live
            # mode): the page then shows the address and events for the band to add.
            logger.info("stripe webhook registration for artist %s: %s", artist.pk, exc)
    with transaction.atomic():
        config = _locked(artist)
        old_endpoint = config.stripe_webhook_id
        config.stripe_secret_sealed = secret_seal(value=secret_key, purpose=STRIPE_SECRET_PURPOSE)
        config.stripe_secret_hint = secret_mask(secret_key)
        config.stripe_publishable_key = publishable_key
        config.stripe_webhook_secret_sealed = secret_seal(
            value=webhook_secret, purpose=STRIPE_WEBHOOK_PURPOSE
        )
        config.stripe_webhook_id = endpoint_id
        config.stripe_account = label
        config.stripe_livemode = "_live_" in secret_key
        config.stripe_checked_at = timezone.now()
        config.stripe_webhook_ok_at = None
        config.stripe_webhook_failed_at = None
        config.save()
        _audit(
            config=config,
            action="payments.stripe_connect",
            actor=actor,
            data={
                "account": account.get("id", ""),
                "livemode": config.stripe_livemode,
                "key": config.stripe_secret_hint,
                "webhook": "registered" if endpoint_id else ("pasted" if webhook_secret else ""),
            },
        )
    if old_endpoint and old_endpoint != endpoint_id:
        _endpoint_delete(client_key=secret_key, endpoint_id=old_endpoint)
    return StripeConnected(config=config, webhook_registered=bool(endpoint_id))


def stripe_webhook_secret_set(*, artist: Artist, webhook_secret: str, actor: str) -> None:
    """Store the signing secret of an endpoint the band added in Stripe's dashboard."""
    webhook_secret = webhook_secret.strip()
    if not webhook_secret.startswith("whsec_"):
        raise PaymentSetupError(_("This is not a webhook signing secret: it starts with “whsec_”."))
    with transaction.atomic():
        config = _locked(artist)
        if not config.stripe_secret_sealed:
            raise PaymentSetupError(_("Connect Stripe with its secret key first."))
        config.stripe_webhook_secret_sealed = secret_seal(
            value=webhook_secret, purpose=STRIPE_WEBHOOK_PURPOSE
        )
        config.stripe_webhook_failed_at = None
        config.save()
        _audit(config=config, action="payments.stripe_webhook", actor=actor, data={})


def _endpoint_delete(*, client_key: str, endpoint_id: str) -> None:
    from disquaire.payments.providers.stripe import stripe_client

    try:
        stripe_client(client_key).v1.webhook_endpoints.delete(endpoint_id)
    except stripe.StripeError as exc:
        logger.info("stripe webhook endpoint %s not deleted: %s", endpoint_id, exc)


def stripe_disconnect(*, artist: Artist, actor: str) -> None:
    """Forget the band's Stripe keys (and remove the endpoint we registered)."""
    with transaction.atomic():
        config = _locked(artist)
        endpoint, key = config.stripe_webhook_id, ""
        if endpoint:
            try:
                key = secret_open(sealed=config.stripe_secret_sealed, purpose=STRIPE_SECRET_PURPOSE)
            except SecretUnreadable:
                key = ""
        for name in (
            "stripe_publishable_key",
            "stripe_secret_sealed",
            "stripe_secret_hint",
            "stripe_webhook_secret_sealed",
            "stripe_webhook_id",
            "stripe_account",
        ):
            setattr(config, name, "")
        config.stripe_livemode = False
        config.stripe_checked_at = None
        config.save()
        _audit(config=config, action="payments.stripe_disconnect", actor=actor, data={})
    if key and endpoint:
        _endpoint_delete(client_key=key, endpoint_id=endpoint)


def bank_transfer_save(
    *,
    artist: Artist,
    enabled: bool,
    holder: str,
    iban: str,
    bic: str,
    instructions: str,
    actor: str,
) -> PaymentSettings:
    """Save the band's bank details; IBAN and BIC are checked (mod-97, format).

    Transfers can be offered only with somewhere to send the money: an account holder
    and an IBAN, or instructions in the band's own words.
    """
    holder, instructions = holder.strip(), instructions.strip()
    try:
        iban = iban_check(iban) if iban.strip() else ""
        bic = bic_check(bic) if bic.strip() else ""
    except BankDetailsError as exc:
        raise PaymentSetupError(str(exc)) from exc
    if iban and not holder:
        raise PaymentSetupError(_("Give the account holder's name, as the bank knows it."))
    if enabled and not ((holder and iban) or instructions):
        raise PaymentSetupError(
            _(
                "To offer bank transfers, give the account holder and IBAN, or write how "
                "to pay in the instructions."
            )
        )
    with transaction.atomic():
        config = _locked(artist)
        config.bank_enabled = enabled
        config.bank_holder, config.bank_iban, config.bank_bic = holder, iban, bic
        config.bank_instructions = instructions
        config.save()
        _audit(
            config=config,
            action="payments.bank_transfer",
            actor=actor,
            data={"enabled": enabled, "iban_end": iban[-4:], "bic": bic},
        )
    return config


def _switch_set(
    *, artist: Artist, field: str, on: bool, actor: str, action: str
) -> PaymentSettings:
    """Turn the settings' boolean ``field`` on or off, audited as ``<action>_on``/``_off``
    when it changes."""
    with transaction.atomic():
        config = _locked(artist)
        if getattr(config, field) != on:
            setattr(config, field, on)
            config.save()
            _audit(config=config, action=f"{action}_{'on' if on else 'off'}", actor=actor, data={})
    return config


def cash_on_collection_set(*, artist: Artist, on: bool, actor: str) -> PaymentSettings:
    """Offer (or stop offering) cash on collection. Fans see it only with local pick-up
    (the shop settings'); the band marks such an order paid when the fan collects it."""
    return _switch_set(
        artist=artist, field="cash_enabled", on=on, actor=actor, action="payments.cash"
    )


def test_mode_set(*, artist: Artist, on: bool, actor: str) -> PaymentSettings:
    """Turn the artist's test mode on or off (the banner, the "no money moves" payment)."""
    return _switch_set(
        artist=artist, field="test_mode", on=on, actor=actor, action="payments.test_mode"
    )


test_mode_set.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
