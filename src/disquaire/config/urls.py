from django.contrib import admin
from django.urls import include, path

from disquaire.core.views import healthz, metrics

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
]

# Static files are answered by WhiteNoise's middleware in every mode (or by nginx in
# front of it): see disquaire.core.staticfiles.

# The public site comes last: its artist pages live at the root (/<artist>/).
urlpatterns += [
    path("i18n/", include("django.conf.urls.i18n")),
    path("backstage/", include("disquaire.backstage.urls")),
    path("table/", include("disquaire.table.urls")),
    path("consignment/", include("disquaire.consignment.urls")),
    path("", include("disquaire.shop.urls")),
    path("", include("disquaire.delivery.root_urls")),
    path("", include("disquaire.storefront.urls")),
]

# A database away for a moment answers 503 with Retry-After, not 500 (core.errors).
handler500 = "disquaire.core.errors.server_error"
