from django.urls import path

from disquaire.orders import views

app_name = "orders"

urlpatterns = [
    path("<str:code>/<str:secret>/", views.order_detail_view, name="detail"),
]
