from django.urls import path

from disquaire.fans import follow_views, views
from disquaire.fans.updates_webhooks import tracking_webhook_view

app_name = "fans"

urlpatterns = [
    path("", views.library_view, name="library"),
    # Before signin/<token>/, which would take "password" for a token.
    path("signin/password/", views.password_signin_view, name="password_signin"),
    path("signin/<str:token>/", views.signin_confirm_view, name="signin_confirm"),
    path("password/", views.password_set_view, name="password_set"),
    path("password/remove/", views.password_remove_view, name="password_remove"),
    path("signout/", views.signout_view, name="signout"),
    path("signout/elsewhere/", views.signout_elsewhere_view, name="signout_elsewhere"),
]

# Following a band (fans/follow_views.py).
urlpatterns += [
    path("follow/<slug:artist>/", follow_views.follow_view, name="follow"),
    path("follow/confirm/<str:token>/", follow_views.follow_confirm_view, name="follow_confirm"),
    path("unsubscribe/<str:token>/", follow_views.unsubscribe_view, name="unsubscribe"),
    path("preferences/<str:token>/", follow_views.preferences_view, name="preferences"),
    # The email provider's bounce and complaint reports (fans/updates_webhooks.py).
    path("mail-events/<slug:esp>/", tracking_webhook_view, name="mail_events"),
]
