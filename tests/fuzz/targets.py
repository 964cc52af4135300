"""The fuzz targets: the parsers that read what strangers send.

Each target is a ``prepare(workdir)`` that imports what it fuzzes (inside atheris'
instrumentation, see run.py), builds what it needs, and returns the function called with
every input, plus a few seed inputs. The function *asserts the parser's contract*: any
other exception, or a broken promise, is a finding.

- ``audio``: an uploaded master — sniffing, mutagen's header and tag reading, the
  embedded cover through Pillow. Contract: an ``AudioInfo`` or ``AudioError``; a cover is
  bytes that load as an image or raise ``ArtworkError``.
- ``range``: the HTTP ``Range``/``If-Range`` headers of a file response. Contract: 200
  with the whole file, 206 with exactly the bytes its ``Content-Range`` names, 304, or 416.
- ``webhook``: a Stripe delivery, signed or not. Contract: no 5xx but the "try again"
  503; an unsigned delivery is refused (400) and stores nothing.
- ``cart``: the signed cart cookie (as if its key had leaked: the content is then the
  attacker's) and the add-to-cart form. Contract: no 5xx.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OneInput = Callable[[bytes], None]


@dataclass(frozen=True)
class Target:
    prepare: Callable[[Path], tuple[OneInput, list[bytes]]]
    instrument: tuple[str, ...]  # the packages atheris follows the coverage of
    database: bool = False


# --------------------------------------------------------------------------- audio


def _audio_seeds(workdir: Path) -> list[bytes]:
    """Short real files of every supported kind (ffmpeg makes them once, kept in the
    cache directory)."""
    from disquaire.audio import synth_cover, synth_track
    from disquaire.audio.tags import TagSet, write_tags
    from tests.fuzz.run import CACHE

    made = CACHE / "audio-seeds"
    if made.is_dir() and any(made.iterdir()):
        return [path.read_bytes() for path in sorted(made.iterdir())]
    seeds = []
    made = workdir / "seeds"
    made.mkdir(parents=True, exist_ok=True)
    kinds = {
        "a.flac": None,
        "a.wav": None,
        "a.aiff": None,
        "a.mp3": ["-c:a", "libmp3lame", "-b:a", "32k"],
        "a.m4a": ["-c:a", "aac", "-b:a", "32k"],
        "a.ogg": ["-c:a", "libvorbis", "-q:a", "0"],
        "a.opus": ["-c:a", "libopus", "-b:a", "16k"],
    }
    cover = synth_cover(title="C", size=16)
    for name, codec_args in kinds.items():
        path = made / name
        try:
            synth_track(path=path, seconds=0.1, sample_rate=8000, channels=1, codec_args=codec_args)
        except Exception:  # noqa: S112 - an encoder this ffmpeg lacks: one seed fewer
            continue
        key = {"a.flac": "flac", "a.mp3": "mp3-320", "a.m4a": "aac-256"}.get(name)
        if key:
            write_tags(path, format_key=key, tags=TagSet(title="T", artist="A", cover_jpeg=cover))
        seeds.append(path.read_bytes())
    CACHE.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # another run just kept its own: as good
        made.rename(CACHE / "audio-seeds")
    return seeds


def audio(workdir: Path) -> tuple[OneInput, list[bytes]]:
    import disquaire.audio.probe as probe_module
    from disquaire.audio import ArtworkError, AudioError, load_image, probe
    from disquaire.audio.tags import read_cover

    def no_decoding(path: Path, *, timeout: float | None = None) -> float:
        # ffmpeg has its own fuzzing (OSS-Fuzz): here, a FLAC stream without its length
        # counts as none, not as a reason to start ffmpeg for every input.
        return 0.0

    probe_module._decoded_seconds = no_decoding  # type: ignore[assignment]
    path = workdir / "upload"

    def one_input(data: bytes) -> None:
        path.write_bytes(data)
        try:
            info = probe(path)
        except AudioError:
            return
        assert info.duration_s > 0 and info.sample_rate > 0 and info.channels > 0
        try:
            cover = read_cover(path)
        except AudioError:
            return
        if cover:
            with contextlib.suppress(ArtworkError):
                load_image(cover, max_pixels=4_000_000)

    return one_input, _audio_seeds(workdir)


# --------------------------------------------------------------------------- range

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def range_(workdir: Path) -> tuple[OneInput, list[bytes]]:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.test import RequestFactory

    from disquaire.core.fileserve import file_response

    content = bytes(range(256)) * 4 + b"end"
    name = default_storage.save("fuzz/file.bin", ContentFile(content))
    etag = '"v1"'
    factory = RequestFactory()

    def one_input(data: bytes) -> None:
        # The first byte chooses the method and If-Range; the rest is the Range header,
        # as a server reads it (Latin-1).
        flags, header = (data[0], data[1:]) if data else (0, b"")
        method = "HEAD" if flags & 1 else "GET"
        headers = {"HTTP_RANGE": header.decode("latin-1")}
        if flags & 2:
            headers["HTTP_IF_RANGE"] = etag if flags & 4 else '"v0"'
        request = factory.generic(method, "/f", **headers)
        response = file_response(request, name=name, content_type="audio/flac", etag=etag)
        status = response.status_code
        assert status in (200, 206, 416), status
        body = b"".join(response) if method == "GET" else b""  # type: ignore[arg-type]
        if hasattr(response, "close"):
            response.close()
        if status == 200:
            assert method == "HEAD" or body == content
        elif status == 206:
            match = _CONTENT_RANGE.match(response["Content-Range"])
            assert match, response["Content-Range"]
            first, last, size = (int(g) for g in match.groups())
            assert size == len(content) and 0 <= first <= last < size
            assert int(response["Content-Length"]) == last - first + 1
            assert method == "HEAD" or body == content[first : last + 1]
        else:
            assert response["Content-Range"] == f"bytes */{len(content)}"

    seeds = [
        b"\x00bytes=0-",
        b"\x00bytes=10-20",
        b"\x00bytes=-5",
        b"\x00bytes=5000-",
        b"\x00bytes=0-1,5-6",
        b"\x06bytes=3-",
        b"\x03bytes=3-",
    ]
    return one_input, seeds


# --------------------------------------------------------------------------- webhook

WEBHOOK_SECRET = "whsec_fuzz"  # the fuzzing endpoint's own, not a real one


def webhook(workdir: Path) -> tuple[OneInput, list[bytes]]:
    from django.conf import settings
    from django.test import Client

    import disquaire.payments.providers.stripe as stripe_module
    from disquaire.payments.models import WebhookEvent
    from tests.fuzz.world import stripe_payment
    from tests.payments.fake_stripe import sign

    settings.DISQUAIRE_STRIPE_SECRET_KEY = "sk_test_fuzz"
    settings.DISQUAIRE_STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    payment = stripe_payment()

    class _Session:
        def __init__(self, value: Any) -> None:
            self.value = value

        def to_dict(self) -> Any:
            return self.value

    class _Api:
        """Stripe's API answers with what the event said (a forged event would not get
        that far: it is the signed ones we follow down the handler)."""

        last: Any = {}

        def retrieve(self, ident: str, params: Any = None) -> _Session:
            return _Session({**(self.last if isinstance(self.last, dict) else {}), "id": ident})

    api = _Api()

    class _Client:
        class v1:  # the stripe library's attribute name
            checkout = type("checkout", (), {"sessions": api})
            payment_intents = api

    stripe_module.stripe_client = lambda *_args, **_kwargs: _Client()  # type: ignore[assignment,return-value]
    client = Client()
    url = "/payments/stripe/webhook/"

    def one_input(data: bytes) -> None:
        # First byte odd: the body (the rest) is signed with the endpoint's secret, as
        # Stripe signs. Even: the header is what comes before the first newline.
        signed = bool(data[:1]) and data[0] & 1 == 1
        rest = data[1:]
        if signed:
            body = rest
            header = sign(body.decode("utf-8", "replace"), WEBHOOK_SECRET)
        else:
            raw_header, _, body = rest.partition(b"\n")
            header = raw_header.decode("latin-1")
        try:
            found = json.loads(body)["data"]["object"]
        except Exception:
            found = {}
        api.last = found
        before = WebhookEvent.objects.count()
        response = client.post(
            url, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )
        assert response.status_code in (200, 400, 503), response.status_code
        if not signed:
            assert response.status_code == 400
            assert WebhookEvent.objects.count() == before

    def event(n: int, kind: str, obj: dict[str, Any]) -> bytes:
        body = json.dumps({"id": f"evt_{n}", "type": kind, "data": {"object": obj}})
        return b"\x01" + body.encode()

    session = {
        "id": payment.provider_ref,
        "client_reference_id": str(payment.pk),
        "payment_status": "paid",
        "amount_total": payment.amount_minor,
        "currency": payment.currency.lower(),
        "payment_intent": "pi_1",
    }
    seeds = [
        event(1, "checkout.session.completed", session),
        event(2, "checkout.session.expired", {**session, "status": "expired"}),
        event(3, "charge.refunded", {"payment_intent": "pi_1", "amount_refunded": 100}),
        event(4, "customer.created", {"id": "cus_1"}),
        b"\x00t=1,v1=00\n{}",
    ]
    return one_input, seeds


# --------------------------------------------------------------------------- cart


def cart(workdir: Path) -> tuple[OneInput, list[bytes]]:
    from django.core import signing
    from django.test import RequestFactory

    from disquaire.shop.cart import CartError, cart_add, cart_groups
    from disquaire.shop.views import CART_COOKIE, CART_SALT, cart_read
    from tests.fuzz.world import offer_for_sale

    offer = offer_for_sale()
    signer = signing.get_cookie_signer(salt=CART_COOKIE + CART_SALT)
    factory = RequestFactory()

    def one_input(data: bytes) -> None:
        # First byte odd: the add-to-cart form first, its four fields separated by "|"
        # up to the first newline. The rest is the cookie's content, as a browser sends
        # it (bytes, which the server reads as Latin-1).
        rest = data[1:]
        form: list[str] = []
        if data[:1] and data[0] & 1:
            head, _, rest = rest.partition(b"\n")
            form = head.decode("utf-8", "replace").split("|")
        request = factory.get("/cart/")
        request.COOKIES[CART_COOKIE] = signer.sign(rest.decode("latin-1"))
        items = cart_read(request)
        assert isinstance(items, list) and all(isinstance(item, dict) for item in items)
        if form:
            names = ("offer_id", "option_id", "quantity", "amount_text")
            fields = dict(zip(names, form, strict=False))
            with contextlib.suppress(CartError):
                items = cart_add(cart=items, **fields)
        groups, _problems = cart_groups(items)
        for group in groups:
            assert group.lines and all(line.quantity >= 1 for line in group.lines)

    line = {"o": offer.pk, "q": 1}
    seeds = [
        b"\x00" + json.dumps([line]).encode(),
        b"\x00" + json.dumps([{**line, "a": 1500}, {"o": "x"}, 3, None]).encode(),
        b"\x01" + f"{offer.pk}||1|12.50".encode() + b"\n[]",
    ]
    return one_input, seeds


TARGETS: dict[str, Target] = {
    "audio": Target(audio, instrument=("disquaire.audio", "mutagen")),
    "range": Target(range_, instrument=("disquaire.core.fileserve", "disquaire.core.httpranges")),
    "webhook": Target(webhook, instrument=("disquaire.payments", "stripe._webhook"), database=True),
    "cart": Target(cart, instrument=("disquaire.shop",), database=True),
}
