"""Shared set-up of the benchmarks (run as scripts: `python bench/NAME.py`)."""

from __future__ import annotations

import os
from pathlib import Path


def setup_django(data_dir: Path) -> None:
    os.environ["DISQUAIRE_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "disquaire.config.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
