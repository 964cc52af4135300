"""Referral rewards: the band's rules, its top promoters (and thanking them), the
referred orders (and voiding a reward)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from disquaire.backstage import selectors
from disquaire.backstage.forms_referrals import ReferralSettingsForm, ThankForm, VoidForm
from disquaire.backstage.views.common import actor_of
from disquaire.catalog.models import Artist, Membership
from disquaire.fans.referrals import services
from disquaire.fans.referrals.models import Referral
from disquaire.fans.referrals.selectors import (
    recent_referrals,
    referral_settings_for,
    top_promoters,
)
from disquaire.payments.selectors import test_mode_on


def _page(request: HttpRequest, artist: Artist, **extra: Any) -> HttpResponse:
    rules = referral_settings_for(artist)
    test = test_mode_on(artist)
    promoters = top_promoters(artist=artist, is_test=test)
    membership = selectors.membership_of(user=request.user, artist=artist)
    context = {
        "artist": artist,
        "rules": rules,
        "is_owner": membership.role == Membership.Role.OWNER,
        "form": extra.pop("form", None)
        or ReferralSettingsForm(
            initial=ReferralSettingsForm.initial_from(rules, artist.currency), artist=artist
        ),
        "promoters": promoters,
        "thank_form": ThankForm(artist=artist),
        "referrals": recent_referrals(artist=artist),
        "void_form": VoidForm(),
        "test_mode": test,
        **extra,
    }
    return render(request, "backstage/referrals.html", context, status=extra.get("status", 200))


@login_required
def referrals(request: HttpRequest, artist: str) -> HttpResponse:
    """GET: the rules, the promoters, the referred orders (every member). POST: change
    the rules (owners only)."""
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    if request.method != "POST":
        return _page(request, obj)
    if selectors.membership_of(user=request.user, artist=obj).role != Membership.Role.OWNER:
        raise PermissionDenied
    form = ReferralSettingsForm(request.POST, artist=obj)
    if not form.is_valid():
        return _page(request, obj, form=form, status=400)
    services.referral_settings_update(artist=obj, actor=actor_of(request), **form.settings_values())
    messages.success(request, _("Your referral rewards are saved."))
    return redirect("backstage:referrals", artist=obj.slug)


@login_required
def referral_void(request: HttpRequest, artist: str, referral_id: int) -> HttpResponse:
    """Void a referral's reward, with a reason (kept in the audit log)."""
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    referral = Referral.objects.filter(artist=obj, pk=referral_id).first()
    if referral is None:
        raise Http404
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please say why this credit is voided."))
        return redirect("backstage:referrals", artist=obj.slug)
    try:
        services.credit_void(
            referral=referral, reason=form.cleaned_data["reason"], actor=actor_of(request)
        )
    except services.CreditError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The reward is voided."))
    return redirect("backstage:referrals", artist=obj.slug)


@login_required
def promoter_thank(request: HttpRequest, artist: str) -> HttpResponse:
    """Send a promoter the band's thanks: a message, maybe a download code."""
    obj = selectors.artist_for_member(user=request.user, slug=artist)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ThankForm(request.POST, artist=obj)
    if not form.is_valid():
        messages.error(request, _("Please write a message."))
        return redirect("backstage:referrals", artist=obj.slug)
    email = form.cleaned_data["email"]
    if not Referral.objects.filter(artist=obj, referrer_email=email.strip().lower()).exists():
        raise Http404
    try:
        services.promoter_thank(
            artist=obj,
            email=email,
            message=form.cleaned_data["message"],
            release=form.cleaned_data.get("release"),
            actor=actor_of(request),
        )
    except services.CreditError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Your thanks are on their way to %(email)s.") % {"email": email}
        )
    return redirect("backstage:referrals", artist=obj.slug)
