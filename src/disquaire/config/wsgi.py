import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "disquaire.config.settings")
django_application = get_wsgi_application()

from disquaire.storefront.fastpath import PageFastPath  # noqa: E402 (needs Django set up)

# Cached public pages are answered before Django's request cycle (storefront.fastpath).
application = PageFastPath(django_application)
