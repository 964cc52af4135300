"""A mail server that accepts the connection and never answers is given up on after
DISQUAIRE_EMAIL_TIMEOUT seconds: it cannot hold a request or a worker for ever."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


def test_a_silent_mail_server_is_given_up_on(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        env = {
            **os.environ,
            "DISQUAIRE_DATA_DIR": str(tmp_path / "data"),
            "DJANGO_SETTINGS_MODULE": "disquaire.config.settings",
            "DISQUAIRE_EMAIL_HOST": "127.0.0.1",
            "DISQUAIRE_EMAIL_PORT": str(port),
            "DISQUAIRE_EMAIL_TIMEOUT": "1",
        }
        env.pop("DATABASE_URL", None)
        code = (
            "import django; django.setup()\n"
            "from django.conf import settings; print('timeout', settings.EMAIL_TIMEOUT)\n"
            "from django.core.mail import send_mail\n"
            "try:\n"
            "    send_mail('s', 'b', None, ['fan@example.org'])\n"
            "except OSError as exc:\n"
            "    print('gave up:', type(exc).__name__)\n"
        )
        # Without the setting, this would wait for ever (the test's own limit: 60 s).
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
        )
    assert "timeout 1" in done.stdout, done.stderr
    assert "gave up:" in done.stdout, done.stderr
