"""An SMTP server that accepts everything (aiosmtpd), run by bench/mailing.py in its own
process: ``python bench/_smtpsink.py PORT OUT.json``. It counts the messages each
(envelope sender, recipient) got and writes the counts to OUT.json on SIGTERM."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

logging.getLogger("mail.log").setLevel(logging.WARNING)


class Sink:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.counts[f"{envelope.mail_from} {rcpt}"] += 1
        return "250 OK"


def main() -> None:
    port, out = int(sys.argv[1]), Path(sys.argv[2])
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("ready", flush=True)
    done.wait()
    controller.stop()
    with sink.lock:
        out.write_text(json.dumps(dict(sink.counts)))


if __name__ == "__main__":
    main()
