"""Fans' side of referrals: the share-link visit, the fan's own link, release rewards."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from disquaire.catalog.models import Release
from disquaire.fans.pages import private_render
from disquaire.fans.referrals import services
from disquaire.fans.referrals.models import ReleaseReward
from disquaire.fans.referrals.selectors import referral_settings_for
from disquaire.fans.referrals.web import device_ensure, referral_cookie_set
from disquaire.fans.selectors import fan_current


@never_cache
@require_GET
def share_visit_view(request: HttpRequest, code: str) -> HttpResponse:
    """Someone opened a fan's share link: remember it (first touch, 30 days) and show
    the release."""
    fan = fan_current(request)
    response = HttpResponse(status=302)
    device = device_ensure(request, response)
    link = services.share_link_visit(
        code=code[:16], fan_email=fan.email if fan else "", device=device
    )
    if link is None:
        raise Http404
    if fan is None or fan.email != link.email:
        referral_cookie_set(request, response, code=link.code)
    response["Location"] = link.release.get_absolute_url()
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_GET
def share_page_view(request: HttpRequest, release_id: int) -> HttpResponse:
    """The signed-in fan's personal link to a release (from the share box); others are
    asked to sign in first."""
    release = get_object_or_404(Release.objects.select_related("artist"), pk=release_id)
    if not release.is_public:
        raise Http404
    fan = fan_current(request)
    if fan is None:
        return redirect(reverse("fans:library") + "?share=1")
    rules = referral_settings_for(release.artist)
    url = ""
    if rules.enabled:
        link = services.share_link_for(email=fan.email, release=release)
        url = request.build_absolute_uri(
            reverse("fans_referrals:share_visit", kwargs={"code": link.code})
        )
    return private_render(
        request,
        "fans/referrals/share.html",
        title=_("Your share link"),
        release=release,
        rules=rules,
        share_url=url,
        plain_url=request.build_absolute_uri(release.get_absolute_url()),
    )


@never_cache
@require_POST
def reward_use_view(request: HttpRequest, reward_id: int) -> HttpResponse:
    """The fan picks the release their referral reward gives them."""
    fan = fan_current(request)
    if fan is None:
        return redirect("fans:library")
    reward = get_object_or_404(ReleaseReward, pk=reward_id, email=fan.email)
    release = Release.objects.filter(pk=_int(request.POST.get("release"))).first()
    if release is None:
        return redirect(reverse("fans:library") + "?reward=choose#credit")
    try:
        services.release_reward_use(reward=reward, release=release, email=fan.email)
    except services.CreditError:
        return redirect(reverse("fans:library") + "?reward=refused#credit")
    return redirect(reverse("fans:library") + "?reward=used#credit")


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0
