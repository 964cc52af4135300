"""The selling paths, all under prefixes artists may not take (catalog/validators.py)."""

from django.urls import include, path

from disquaire.fans import follow_views
from disquaire.shop import views

shop_patterns = [
    path("cart/", views.cart_view, name="cart"),
    path("cart/add/", views.cart_add_view, name="cart_add"),
    path("cart/remove/", views.cart_remove_view, name="cart_remove"),
    path("checkout/", views.checkout_start_view, name="checkout_start"),
    # Confirmation links mailed before the mailing list moved to the fans' followers.
    path(
        "checkout/subscribe/<str:token>/",
        follow_views.follow_confirm_view,
        name="subscribe_confirm",
    ),
    path("checkout/<slug:artist>/", views.checkout_view, name="checkout"),
    path("checkout/<slug:artist>/sent/", views.checkout_sent_view, name="checkout_sent"),
    path("checkout/<slug:artist>/quote.json", views.checkout_quote_view, name="checkout_quote"),
]

urlpatterns = [
    path("", include((shop_patterns, "shop"))),
    path("orders/", include("disquaire.orders.urls")),
    path("payments/", include("disquaire.orders.payment_urls")),
]
