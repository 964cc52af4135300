"""The `disquaire` command: Django's management commands under friendlier names."""

from __future__ import annotations

import os
import sys

ALIASES = {"import": "import_release"}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "disquaire.config.settings")
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    args[0] = "disquaire"
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
