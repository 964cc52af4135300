"""The Payments page: how the band's fans pay (Stripe, bank transfer), and test mode."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from disquaire.backstage import selectors
from disquaire.backstage.forms_payments import (
    BankTransferForm,
    StripeForm,
    StripeWebhookForm,
    TestModeForm,
)
from disquaire.backstage.services import orders as order_services
from disquaire.backstage.views.common import actor_of
from disquaire.catalog.models import Artist, Membership
from disquaire.orders.models import Order
from disquaire.payments import services as payment_services
from disquaire.payments.providers.test import may_take_test_payments
from disquaire.payments.registry import providers_available
from disquaire.payments.selectors import payment_settings_for, stripe_environment
from disquaire.selling.selectors import shop_settings_for


def _context(request: HttpRequest, artist: Artist, **forms: Any) -> dict[str, Any]:
    config = payment_settings_for(artist)
    ready = {p.identifier for p in providers_available(artist, config=config)}
    env = stripe_environment()
    membership = selectors.membership_of(user=request.user, artist=artist)
    test_allowed = may_take_test_payments()
    shop = shop_settings_for(artist)
    return {
        # Cash on collection is offered only with local pick-up (Shop settings).
        "pickup_ready": bool(shop.pickup_enabled and shop.pickup_place.strip()),
        "artist": artist,
        "config": config,
        "ready": ready,
        "real_ready": bool(ready - {"test"}),
        "stripe_from_environment": env is not None,
        "webhook_url": payment_services.stripe_webhook_url(artist),
        "webhook_events": payment_services.STRIPE_EVENTS,
        "webhook_failing": bool(
            config.stripe_webhook_failed_at
            and (
                config.stripe_webhook_ok_at is None
                or config.stripe_webhook_failed_at > config.stripe_webhook_ok_at
            )
        ),
        "is_owner": membership.role == Membership.Role.OWNER,
        "test_allowed": test_allowed,
        "test_orders": Order.objects.filter(artist=artist, is_test=True).count(),
        "stripe_form": forms.get("stripe_form") or StripeForm(),
        "webhook_form": forms.get("webhook_form") or StripeWebhookForm(),
        "bank_form": forms.get("bank_form")
        or BankTransferForm(
            initial={
                "enabled": config.bank_enabled,
                "holder": config.bank_holder,
                "iban": config.bank_iban_display,
                "bic": config.bank_bic,
                "instructions": config.bank_instructions,
            }
        ),
        "test_form": forms.get("test_form") or TestModeForm(),
    }


@login_required
def payments(request: HttpRequest, artist: str) -> HttpResponse:
    """GET: the set-up and its state, for every member. POST (owners only): one change,
    named by ``action``."""
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    if request.method != "POST":
        return render(request, "backstage/payments.html", _context(request, obj))
    if selectors.membership_of(user=request.user, artist=obj).role != Membership.Role.OWNER:
        raise PermissionDenied
    action = request.POST.get("action", "")
    actor = actor_of(request)
    forms: dict[str, Any] = {}
    form: Any
    try:
        if action == "stripe_connect":
            form = StripeForm(request.POST)
            forms["stripe_form"] = form
            if form.is_valid():
                done = payment_services.stripe_connect(artist=obj, actor=actor, **form.cleaned_data)
                if done.webhook_registered or form.cleaned_data["webhook_secret"]:
                    messages.success(request, _("Stripe is connected: fans can pay by card."))
                else:
                    messages.warning(
                        request,
                        _(
                            "Your key works, but Stripe would not register this site's webhook "
                            "address (it must be reachable from the Internet). Add the "
                            "endpoint below in Stripe's dashboard and paste its signing secret."
                        ),
                    )
                return redirect("backstage:payments", artist=obj.slug)
        elif action == "stripe_webhook":
            form = StripeWebhookForm(request.POST)
            forms["webhook_form"] = form
            if form.is_valid():
                payment_services.stripe_webhook_secret_set(
                    artist=obj, actor=actor, webhook_secret=form.cleaned_data["webhook_secret"]
                )
                messages.success(request, _("The webhook signing secret is saved."))
                return redirect("backstage:payments", artist=obj.slug)
        elif action == "stripe_disconnect":
            payment_services.stripe_disconnect(artist=obj, actor=actor)
            messages.success(request, _("Stripe is disconnected: card payments are off."))
            return redirect("backstage:payments", artist=obj.slug)
        elif action == "bank":
            form = BankTransferForm(request.POST)
            forms["bank_form"] = form
            if form.is_valid():
                payment_services.bank_transfer_save(artist=obj, actor=actor, **form.cleaned_data)
                messages.success(request, _("The bank transfer details are saved."))
                return redirect("backstage:payments", artist=obj.slug)
        elif action in ("cash_on", "cash_off"):
            on = action == "cash_on"
            payment_services.cash_on_collection_set(artist=obj, on=on, actor=actor)
            if on:
                messages.success(request, _("Cash on collection is on (for pick-up orders)."))
            else:
                messages.success(request, _("Cash on collection is off."))
            return redirect("backstage:payments", artist=obj.slug)
        elif action == "test_on":
            form = TestModeForm(request.POST)
            forms["test_form"] = form
            if form.is_valid():
                payment_services.test_mode_set(artist=obj, on=True, actor=actor)
                messages.warning(request, _("Test mode is on: no money moves, every page says so."))
                return redirect("backstage:payments", artist=obj.slug)
        elif action == "test_off":
            payment_services.test_mode_set(artist=obj, on=False, actor=actor)
            messages.success(request, _("Test mode is off."))
            return redirect("backstage:payments", artist=obj.slug)
        elif action == "test_delete":
            count = order_services.test_orders_delete(artist=obj, actor=actor)
            messages.success(request, _("%(count)d test orders deleted.") % {"count": count})
            return redirect("backstage:payments", artist=obj.slug)
        else:
            return redirect("backstage:payments", artist=obj.slug)
    except payment_services.PaymentSetupError as exc:
        target = forms.get("stripe_form") or forms.get("webhook_form") or forms.get("bank_form")
        if target is not None:
            target.add_error(None, str(exc))
        else:
            messages.error(request, str(exc))
    return render(request, "backstage/payments.html", _context(request, obj, **forms), status=400)
