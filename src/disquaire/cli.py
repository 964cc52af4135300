"""The `disquaire` command: Django's management commands under friendlier names.

What must hold before the settings load is decided here: ``serve --production`` turns
production on (cookies, HSTS, HTTPS redirect and static files are settled when the
settings module is imported, too early for the command itself), and ``demo`` offers the
test payment provider, which no real shop offers by default.
"""

from __future__ import annotations

import os
import sys

from disquaire.config.env import FALSE

ALIASES = {"import": "import_release"}


class Refused(SystemExit):
    """The command cannot start as configured; the message says why."""


def environment_prepare(args: list[str], environ: os._Environ[str] | dict[str, str]) -> None:
    """Set what the settings must see for the command in ``args`` (``args[1]``)."""
    command = args[1] if len(args) > 1 else ""
    if command == "serve" and "--production" in args[2:]:
        declared = environ.get("DISQUAIRE_PRODUCTION", "").strip().lower()
        if declared in FALSE:
            raise Refused(
                "disquaire serve --production, but DISQUAIRE_PRODUCTION="
                f"{environ['DISQUAIRE_PRODUCTION']!r} says otherwise: set one or the other."
            )
        environ["DISQUAIRE_PRODUCTION"] = "1"


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "disquaire.config.settings")
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    args[0] = "disquaire"
    environment_prepare(args, os.environ)
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(args)
    except ImproperlyConfigured as exc:
        # A setting that must be fixed before anything starts: say which, plainly.
        raise Refused(f"disquaire: {exc}") from exc


if __name__ == "__main__":
    main()
