"""Referral pages, under /fans/ (a prefix artists cannot take as a slug)."""

from django.urls import path

from disquaire.fans.referrals import views

app_name = "fans_referrals"

urlpatterns = [
    path("r/<str:code>/", views.share_visit_view, name="share_visit"),
    path("share/<int:release_id>/", views.share_page_view, name="share_page"),
    path("rewards/<int:reward_id>/", views.reward_use_view, name="reward_use"),
]
