from django.urls import path

from disquaire.orders import payment_views as views

app_name = "payments"

urlpatterns = [
    path("test/<int:payment_id>/<str:token>/", views.test_pay_view, name="test_pay"),
    path("<slug:provider>/webhook/", views.webhook_view, name="webhook"),
    path("<slug:provider>/webhook/<int:artist_id>/", views.webhook_view, name="artist_webhook"),
]
