from django.urls import path

from disquaire.fans import views

app_name = "fans"

urlpatterns = [
    path("", views.library_view, name="library"),
    path("signin/<str:token>/", views.signin_confirm_view, name="signin_confirm"),
    path("signout/", views.signout_view, name="signout"),
]
