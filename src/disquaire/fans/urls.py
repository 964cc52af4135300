from django.urls import path

from disquaire.fans import views

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
