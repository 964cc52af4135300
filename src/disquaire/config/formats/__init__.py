"""The shop's own date formats, over Django's (settings.FORMAT_MODULE_PATH)."""
