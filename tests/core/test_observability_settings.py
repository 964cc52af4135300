"""Settings of the replica, the metrics and the logs, read from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _settings(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DISQUAIRE_")},
        "DJANGO_SETTINGS_MODULE": "disquaire.config.settings",
        "DISQUAIRE_DATA_DIR": str(tmp_path),
        **env,
    }
    full_env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_replica_url_adds_a_replica_alias_with_the_primarys_connection_options(
    tmp_path: Path,
) -> None:
    done = _settings(
        tmp_path,
        "import json; from django.conf import settings as s\n"
        "print(json.dumps({k: {'ENGINE': v['ENGINE'], 'OPTIONS': v.get('OPTIONS', {}),"
        " 'TEST': v.get('TEST', {})} for k, v in s.DATABASES.items()}, default=str))",
        DATABASE_URL="postgres://u@primary:5432/shop",
        DISQUAIRE_DATABASE_REPLICA_URL="postgres://u@replica:5432/shop",
    )
    assert done.returncode == 0, done.stderr
    databases = json.loads(done.stdout)
    assert set(databases) == {"default", "replica"}
    assert databases["replica"]["ENGINE"] == "disquaire.core.postgresql"
    assert "lock_timeout" in databases["replica"]["OPTIONS"]["options"]
    assert databases["replica"]["TEST"]["MIRROR"] == "default"


def test_without_a_replica_url_there_is_one_database(tmp_path: Path) -> None:
    done = _settings(tmp_path, "from django.conf import settings as s; print(list(s.DATABASES))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['default']"


def test_an_unknown_log_format_is_refused_with_its_name(tmp_path: Path) -> None:
    done = _settings(tmp_path, "pass", DISQUAIRE_LOG_FORMAT="xml")
    assert done.returncode != 0
    assert "DISQUAIRE_LOG_FORMAT must be 'text' or 'json', got 'xml'" in done.stderr
