"""One update to N followers through a local SMTP server that accepts everything.

Starts an aiosmtpd server in its own process, creates N confirmed followers (SQLite, a
fresh data directory), then:

1. the limit: a bare ``smtplib`` loop hands the same N messages (built beforehand) to the
   server over one connection;
2. Disquaire: ``update_start`` queues the N recipients and ``update_send`` (what the
   background task runs) claims them in batches, builds each follower's mail (their
   language, their unsubscribe link) and sends it over one open connection, marking
   each batch sent.

Prints mails per second for both, their ratio (target >= 0.5), and what the server
received: duplicates and lost recipients must both be 0. Last line one JSON object:

    {"bench": "mailing", "recipients": ..., "sent_per_s": ..., "smtp_limit_per_s": ...,
     "ratio": ..., "duplicates": 0, "lost": 0, ...}

    python bench/mailing.py [--quick] [--recipients N]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import smtplib
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import free_port, measure, proc_table, setup_django

TARGET_RATIO = 0.5


def sink_cpu(pid: int) -> float:
    entry = proc_table().get(pid)
    return entry[2] if entry else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 recipients")
    parser.add_argument("--recipients", type=int, default=0)
    args = parser.parse_args()
    recipients = args.recipients or (2000 if args.quick else 20000)

    work = Path(tempfile.mkdtemp(prefix="bench-mailing-"))
    port = free_port()
    counts_file = work / "received.json"
    sink = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "_smtpsink.py"), str(port), str(counts_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
        os.environ.update(
            {
                "DISQUAIRE_EMAIL_HOST": "127.0.0.1",
                "DISQUAIRE_EMAIL_PORT": str(port),
                "DISQUAIRE_EMAIL_USE_TLS": "0",
                "DISQUAIRE_EMAIL_FROM": "Bench <bench@localhost>",
                "DISQUAIRE_UPDATES_RATE": "0",
                "DISQUAIRE_UPDATES_BATCH": "200",
                "DISQUAIRE_UPDATES_TASK_SECONDS": "3600",
                "DISQUAIRE_ENV_FILES": "off",
            }
        )
        setup_django(work / "data")
        run(recipients=recipients, port=port, sink=sink, counts_file=counts_file)
    finally:
        if sink.poll() is None:
            sink.kill()


def run(*, recipients: int, port: int, sink: subprocess.Popen[str], counts_file: Path) -> None:
    from django.utils import timezone

    from disquaire.catalog.models import Artist
    from disquaire.fans import updates, updates_sending
    from disquaire.fans.follow import follow_urls_for
    from disquaire.fans.follow_models import Follower
    from disquaire.fans.updates_mail import sender_address, update_message, update_render

    artist = Artist.objects.create(name="Bench Band", slug="bench-band")
    now = timezone.now()
    Follower.objects.bulk_create(
        [
            Follower(
                artist=artist,
                email=f"fan{n}@example.org",
                state="confirmed",
                language="fr" if n % 3 == 0 else "en",
                consent_source="import",
                consent_at=now,
                confirmed_at=now,
            )
            for n in range(recipients)
        ],
        batch_size=2000,
    )
    update = updates.update_save(
        artist=artist, subject="Tour dates", body="We play **twenty** shows this spring."
    )

    # 1. The limit: the same messages, built beforehand, through bare smtplib.
    renders = {lang: update_render(update=update, language=lang) for lang in ("en", "fr")}
    from_email = sender_address(update=update)
    prepared = []
    for pk, email, language in Follower.objects.filter(artist=artist).values_list(
        "pk", "email", "language"
    ):
        urls = follow_urls_for(follower_id=pk, email=email)
        message = update_message(
            rendered=renders[language],
            from_email=from_email,
            to=email,
            unsubscribe_url=urls["unsubscribe"],
            preferences_url=urls["preferences"],
            message_id=f"<b{pk}@localhost>",
        )
        prepared.append((email, message.message().as_bytes(linesep="\r\n")))
    baseline_sender = "baseline@localhost"
    sink_before = sink_cpu(sink.pid)
    with measure() as limit:
        smtp = smtplib.SMTP("127.0.0.1", port)
        for email, data in prepared:
            smtp.sendmail(baseline_sender, [email], data)
        smtp.quit()
    sink_limit = sink_cpu(sink.pid) - sink_before

    # 2. Disquaire: queue, claim, build, send, mark.
    sink_before = sink_cpu(sink.pid)
    with measure() as ours:
        queued = updates.update_start(update=update)
        sent = updates_sending.update_send(update_id=update.pk)
    sink_ours = sink_cpu(sink.pid) - sink_before
    states = {k: v for k, v in updates.update_counts(update=update).items() if v}

    sink.send_signal(signal.SIGTERM)
    sink.wait(timeout=60)
    received = json.loads(counts_file.read_text())
    ours_sender = "bench@localhost"
    got = {
        key.split(" ", 1)[1]: count
        for key, count in received.items()
        if key.startswith(ours_sender + " ")
    }
    baseline_got = sum(v for k, v in received.items() if k.startswith(baseline_sender + " "))
    expected = {email for email, _data in prepared}
    duplicates = sum(count - 1 for count in got.values() if count > 1)
    lost = len(expected - set(got))

    sent_per_s = recipients / ours.wall_s if ours.wall_s else 0.0
    limit_per_s = recipients / limit.wall_s if limit.wall_s else 0.0
    ratio = sent_per_s / limit_per_s if limit_per_s else 0.0
    print(f"recipients: {recipients} (queued {queued}, sent {sent}, states {states})")
    print(
        f"bare smtplib: {limit.wall_s:.2f} s = {limit_per_s:.0f} mails/s "
        f"(CPU {limit.cpu_s:.2f} s here, {sink_limit:.2f} s in the server)"
    )
    print(
        f"disquaire:    {ours.wall_s:.2f} s = {sent_per_s:.0f} mails/s "
        f"(CPU {ours.cpu_s:.2f} s here, {sink_ours:.2f} s in the server)"
    )
    print(f"ratio: {ratio:.2f} (target >= {TARGET_RATIO}); duplicates {duplicates}, lost {lost}")
    print(
        json.dumps(
            {
                "bench": "mailing",
                "recipients": recipients,
                "sent_per_s": round(sent_per_s, 1),
                "smtp_limit_per_s": round(limit_per_s, 1),
                "ratio": round(ratio, 3),
                "duplicates": duplicates,
                "lost": lost,
                "baseline_received": baseline_got,
                "connections": 1,
                "seconds": round(ours.wall_s, 2),
                "limit_seconds": round(limit.wall_s, 2),
                "cpu_s": round(ours.cpu_s, 2),
                "limit_cpu_s": round(limit.cpu_s, 2),
                "server_cpu_s": round(sink_ours, 2),
                "server_limit_cpu_s": round(sink_limit, 2),
                "cpu_ms_per_mail": round(ours.cpu_s * 1000 / max(recipients, 1), 3),
                "limit_cpu_ms_per_mail": round(limit.cpu_s * 1000 / max(recipients, 1), 3),
                "target_ratio": TARGET_RATIO,
            }
        )
    )
    if duplicates or lost or ratio < TARGET_RATIO:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
