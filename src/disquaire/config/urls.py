from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve as static_serve

from disquaire.core.views import healthz, metrics

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
]

if not settings.PRODUCTION:
    # Embedded mode: the app serves its own static files; in production nginx does.
    urlpatterns += [
        re_path(r"^static/(?P<path>.*)$", static_serve, {"document_root": settings.STATIC_ROOT}),
    ]

# The public site comes last: its artist pages live at the root (/<artist>/).
urlpatterns += [
    path("i18n/", include("django.conf.urls.i18n")),
    path("backstage/", include("disquaire.backstage.urls")),
    path("", include("disquaire.shop.urls")),
    path("", include("disquaire.delivery.root_urls")),
    path("", include("disquaire.storefront.urls")),
]

# A database away for a moment answers 503 with Retry-After, not 500 (core.errors).
handler500 = "disquaire.core.errors.server_error"
