"""Static files as a fast site serves them: names that change with the content, cached
for ever by browsers, and a gzip copy beside each text file (WhiteNoise serves both, and
nginx's ``gzip_static`` can too: deploy/nginx)."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed and compressed storage, forgiving only before the first
    ``collectstatic``: with no manifest at all (a test run, a checkout never served)
    pages name the plain files, which the development servers find in the apps.
    Once collected, a name missing from the manifest is an error, as in Django."""

    # `import … from "./common.js"` in the backstage's modules names the hashed file too:
    # a page's new module never runs with a browser's cached copy of an older one.
    support_js_module_import_aggregation = True

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:
            return name
        return super().stored_name(name)
