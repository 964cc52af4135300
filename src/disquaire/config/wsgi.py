import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "disquaire.config.settings")
django_application = get_wsgi_application()

from disquaire.core.metrics import ObservedApplication  # noqa: E402 (needs Django set up)
from disquaire.storefront.fastpath import PageFastPath  # noqa: E402

# Cached public pages are answered before Django's request cycle (storefront.fastpath);
# the request id and the request metrics wrap both (core.metrics).
application = ObservedApplication(PageFastPath(django_application))
