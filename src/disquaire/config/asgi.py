"""ASGI entry point. Prefer WSGI: Django buffers whole file responses under ASGI."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "disquaire.config.settings")
application = get_asgi_application()
