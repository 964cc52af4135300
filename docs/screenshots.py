"""Screenshots of the public site, the shop and the backstage for the documentation
(docs/screenshots/*.png).

    .venv/bin/python docs/screenshots.py                # demo data in /tmp/dq-shots, own server
    .venv/bin/python docs/screenshots.py --url http://127.0.0.1:8765   # a server already running

Without ``--url`` it creates the demo band (``disquaire demo --no-serve``, about a minute
of ffmpeg the first time), adds a few concerts, a news post, tags and lyrics so every
part of the pages shows, gives the demo band's account a known password (for the
backstage pictures; with ``--url`` pass ``--backstage-password``), starts ``disquaire
serve`` on a free port (with the test payment provider, as ``disquaire demo`` serves),
takes the pictures and stops the server. The order pictures buy a CD with the test
payment, once per viewport and language: the desk then shows those orders to ship,
marked "test". It needs Playwright and a Chromium (``/usr/bin/chromium`` when present).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
BIN = Path(sys.executable).parent
DEMO_ARTIST_SLUG = "les-cousins-mecaniques"

EXTRAS = """
import datetime as dt
from django.utils import timezone
from disquaire.catalog.models import Artist, Concert, NewsPost, Release, Tag
artist = Artist.objects.get(slug="{slug}")
now = timezone.now().replace(hour=20, minute=30, second=0, microsecond=0)
if not artist.concerts.exists():
    for days, venue, city, country in [
        (12, "Le Lieu Unique", "Nantes", "FR"),
        (26, "La Sirène", "La Rochelle", "FR"),
        (41, "Le Vauban", "Brest", "FR"),
        (-60, "Café du Port", "Pornic", "FR"),
    ]:
        Concert.objects.create(
            artist=artist, starts_at=now + dt.timedelta(days=days), venue=venue, city=city,
            country=country, ticket_url="https://example.org/tickets" if days > 0 else "",
        )
if not artist.news.exists():
    NewsPost.objects.create(
        artist=artist, title="Summer tour dates", slug="summer-tour",
        body="Three coast towns, one sousaphone.\\n\\nTickets are on sale now.",
        published_at=now - dt.timedelta(days=3),
    )
swing, _ = Tag.objects.get_or_create(slug="swing", defaults={{"name": "swing"}})
brass, _ = Tag.objects.get_or_create(slug="brass-band", defaults={{"name": "brass band"}})
for release in Release.objects.filter(artist=artist):
    release.tags.add(swing, brass)
    first = release.tracks.order_by("position").first()
    if first and not first.lyrics:
        first.lyrics = (
            "Sur le quai la valse tourne,\\nles bateaux rentrent au port.\\n\\nEt la mer."
        )
        first.save()
# Local pick-up with cash on collection (the checkout's "Pick up" choice).
from disquaire.payments.models import PaymentSettings
from disquaire.selling.models import ShopSettings
ShopSettings.objects.update_or_create(artist=artist, defaults={{
    "pickup_enabled": True,
    "pickup_place": "Rehearsal studio, 12 rue des Olivettes, Nantes — Thursdays 6–8 pm, "
    "or at our next gig",
}})
PaymentSettings.objects.update_or_create(artist=artist, defaults={{"cash_enabled": True}})
# A second band with a dark theme (its accent too dark to read: the site lightens it),
# sharing the first band's audio and cover.
dark, created = Artist.objects.get_or_create(
    slug="{dark_slug}",
    defaults={{
        "name": "Nuit Noire",
        "bio": "Late-night trio: piano, double bass and brushes.",
        "theme_background": "#14161c",
        "theme_text": "#e9e4dc",
        "theme_accent": "#6b4a12",
    }},
)
if created:
    source = Release.objects.filter(artist=artist).order_by("release_date").first()
    release = Release.objects.create(
        artist=dark, title="Lumières Basses", slug="lumieres-basses", cover=source.cover.name,
        cover_alt="Cover of Lumières Basses", release_date=source.release_date,
        visibility=Release.Visibility.PUBLISHED, description="Recorded after hours.",
    )
    release.tags.add(swing)
    for track in source.tracks.order_by("position"):
        renditions = list(track.renditions.all())
        track.pk = None
        track.release = release
        track.save()
        for rendition in renditions:
            rendition.pk = None
            rendition.track = track
            rendition.save()
"""
DARK_ARTIST_SLUG = "nuit-noire"
BAND_EMAIL = "band@example.org"
# Only for the throwaway demo data the script makes itself.
BAND_PASSWORD = "screenshots-only-tambourine"  # noqa: S105
BAND_LOGIN_CODE = """
from django.contrib.auth import get_user_model
user = get_user_model().objects.get(username="{email}")
user.set_password("{password}")
user.save()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer at {url}")


def prepare_demo(data_dir: Path) -> None:
    env = {**os.environ, "DISQUAIRE_DATA_DIR": str(data_dir)}
    subprocess.run([str(BIN / "disquaire"), "demo", "--no-serve"], env=env, check=True)
    code = EXTRAS.format(slug=DEMO_ARTIST_SLUG, dark_slug=DARK_ARTIST_SLUG)
    subprocess.run([str(BIN / "disquaire"), "shell", "-c", code], env=env, check=True)
    code = BAND_LOGIN_CODE.format(email=BAND_EMAIL, password=BAND_PASSWORD)
    subprocess.run([str(BIN / "disquaire"), "shell", "-c", code], env=env, check=True)


def first_link(page: object, selector: str) -> str:
    href = page.locator(selector).first.get_attribute("href")  # type: ignore[attr-defined]
    if not href:
        raise SystemExit(f"no link matches {selector!r}")
    return str(href)


def shoot_shop_and_backstage(browser: object, base: str, password: str) -> list[Path]:
    """Desktop only: the cart and checkout (the moment of paying), then the band's
    backstage: the release page, its offers, its members."""
    saved: list[Path] = []
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    page = context.new_page()

    def snap(name: str, full: bool = False) -> None:
        page.wait_for_load_state("networkidle")
        path = OUT / f"{name}-desktop.png"
        page.screenshot(path=str(path), full_page=full)
        saved.append(path)

    # An offer that ships (the address and the shipping line show at checkout).
    page.goto(f"{base}/{DEMO_ARTIST_SLUG}/", wait_until="networkidle")
    releases = [
        str(a.get_attribute("href")) for a in page.locator(".newest-link, .grid .card a").all()
    ]
    shipping = "form.offer:has(.offer-ships) button[type=submit]:not([disabled])"
    for href in releases:
        page.goto(base + href, wait_until="networkidle")
        if page.locator(shipping).count():
            break
    # The buy box of that release: postage per zone, the countries of each opened.
    for details in page.locator("aside.buy .offer-ships details").all():
        details.evaluate("(d) => { d.open = true; }")
    path = OUT / "buy-box-desktop.png"
    page.locator("aside.buy").screenshot(path=str(path))
    saved.append(path)
    page.locator(shipping).first.click()
    snap("cart")
    page.locator(".page-cart a.btn-primary").first.click()
    # The fan picks a country: shipping and the exact total appear, on the Pay button too.
    page.select_option("select[name=country]", "FR")
    page.wait_for_function("() => /\\d/.test(document.querySelector('[data-pay]').textContent)")
    snap("checkout", full=True)

    page.goto(f"{base}/backstage/login/", wait_until="networkidle")
    page.fill("input[name=username]", BAND_EMAIL)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    artist = f"{base}/backstage/artists/{DEMO_ARTIST_SLUG}/"
    page.goto(f"{artist}releases/", wait_until="networkidle")
    page.locator("main a[href*='/releases/']:not([href*='new'])").first.click()
    snap("backstage-release", full=True)
    for name, where in (
        ("backstage-offers", "offers/"),
        ("backstage-members", "members/"),
        ("backstage-payments", "payments/"),
    ):
        page.goto(artist + where, wait_until="networkidle")
        snap(name, full=True)
    # An offer that ships: the form shows the fields of its kind (and pricing) only.
    page.goto(artist + "offers/", wait_until="networkidle")
    page.locator("main td a[href*='/offers/']", has_text="CD").first.click()
    snap("backstage-offer", full=True)
    # A shipping zone: its countries ticked by name.
    page.goto(artist + "shipping/", wait_until="networkidle")
    page.locator("main a[href*='/shipping/']", has_text="Edit").first.click()
    snap("backstage-zone")
    # The merch table's report of the demo concert, one sale's "Void this sale" opened.
    page.goto(f"{base}/table/{DEMO_ARTIST_SLUG}/manage/", wait_until="networkidle")
    page.locator("main a[href*='/report/']").first.click()
    page.wait_for_load_state("networkidle")
    page.locator("main details:has(form[action*='/void'])").first.evaluate(
        "(d) => { d.open = true; }"
    )
    snap("table-report", full=True)
    context.close()
    return saved


def shoot_order_journey(browser: object, base: str, password: str) -> list[Path]:
    """On phone and desktop, in English and French: the checkout of a CD that ships
    (country chosen, the exact total on the Pay button), the same picked up (no postage,
    cash on collection), the order page after paying
    with the test provider (the demo band is in test mode), then the band's desk, where
    that paid order waits to be shipped (marked "test"), and its Payments page."""
    saved: list[Path] = []
    for lang, locale in (("", "en-GB"), ("-fr", "fr-FR")):
        for label, width, height in (("desktop", 1280, 900), ("phone", 390, 844)):
            context = browser.new_context(  # type: ignore[attr-defined]
                viewport={"width": width, "height": height},
                device_scale_factor=1 if label == "desktop" else 2,
                locale=locale,
                extra_http_headers={"Accept-Language": locale},
            )
            page = context.new_page()

            def snap(name: str, page: object = page, label: str = label, lang: str = lang) -> None:
                page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
                path = OUT / f"{name}{lang}-{label}.png"
                page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
                saved.append(path)

            page.goto(f"{base}/{DEMO_ARTIST_SLUG}/", wait_until="networkidle")
            releases = [
                str(a.get_attribute("href"))
                for a in page.locator(".newest-link, .grid .card a").all()
            ]
            shipping = "form.offer:has(.offer-ships) button[type=submit]:not([disabled])"
            for href in releases:
                page.goto(base + href, wait_until="networkidle")
                if page.locator(shipping).count():
                    break
            page.locator(shipping).first.click()
            page.wait_for_load_state("networkidle")
            page.locator(".page-cart a.btn-primary").first.click()
            page.wait_for_load_state("networkidle")
            page.fill("input[name=email]", "camille@example.org")
            page.fill("input[name=name]", "Camille Martin")
            page.fill("textarea[name=address]", "12 rue des Olivettes")
            page.fill("input[name=postcode]", "44000")
            page.fill("input[name=city]", "Nantes")
            page.select_option("select[name=country]", "FR")
            page.wait_for_function(
                "() => document.querySelector('[data-total]').textContent.indexOf('+') < 0"
                " && /\\d/.test(document.querySelector('[data-pay]').textContent)"
            )
            page.locator("input[name=provider][value=test]").check()
            snap("checkout-shipping")
            # The same cart picked up instead: no postage, no address, cash on collection.
            page.locator("input[name=delivery][value=pickup]").check()
            page.wait_for_function(
                "() => !document.querySelector('[data-ship-field]').offsetParent"
            )
            page.locator("input[name=provider][value=cash]").check()
            page.wait_for_load_state("networkidle")
            snap("checkout-pickup")
            page.locator("input[name=delivery][value=ship]").check()
            page.locator("input[name=provider][value=test]").check()
            page.wait_for_load_state("networkidle")
            page.locator("[data-pay]").click()
            page.wait_for_load_state("networkidle")
            page.locator("button[name=outcome][value=success]").click()
            page.wait_for_load_state("networkidle")
            snap("order")

            page.goto(f"{base}/backstage/login/", wait_until="networkidle")
            page.fill("input[name=username]", BAND_EMAIL)
            page.fill("input[name=password]", password)
            page.click("main button[type=submit]")
            page.wait_for_load_state("networkidle")
            artist = f"{base}/backstage/artists/{DEMO_ARTIST_SLUG}/"
            page.goto(f"{base}/backstage/", wait_until="networkidle")
            snap("desk")
            page.goto(artist + "payments/", wait_until="networkidle")
            snap("payments")
            context.close()
    return saved


def shoot(base: str, backstage_password: str = "") -> list[Path]:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    saved: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium) if chromium else p.chromium.launch()
        for label, width, height in (("desktop", 1280, 900), ("phone", 390, 844)):
            context = browser.new_context(
                viewport={"width": width, "height": height},
                device_scale_factor=1 if label == "desktop" else 2,
                locale="en-GB",
            )
            page = context.new_page()
            page.goto(f"{base}/", wait_until="networkidle")
            artist = f"{base}/{DEMO_ARTIST_SLUG}/"
            page.goto(artist, wait_until="networkidle")
            release = base + first_link(page, ".newest-link")
            page.goto(release, wait_until="networkidle")
            track = base + first_link(page, ".tracklist .title a")
            tag = base + first_link(page, ".tags a")
            for name, url, full in (
                ("home", f"{base}/", True),
                ("artist", artist, True),
                ("release", release, False),
                ("release-full", release, True),
                ("track", track, False),
                ("tag", tag, False),
            ):
                page.goto(url, wait_until="networkidle")
                if full:
                    # Lazy covers below the fold load once scrolled to.
                    page.mouse.wheel(0, 20000)
                    page.wait_for_load_state("networkidle")
                    page.evaluate("window.scrollTo(0, 0)")
                path = OUT / f"{name}-{label}.png"
                page.screenshot(path=str(path), full_page=full)
                saved.append(path)
            # A dark artist theme.
            dark = f"{base}/{DARK_ARTIST_SLUG}/"
            page.goto(dark, wait_until="networkidle")
            dark_release = base + first_link(page, ".newest-link")
            for name, url in (("dark-artist", dark), ("dark-release", dark_release)):
                page.goto(url, wait_until="networkidle")
                path = OUT / f"{name}-{label}.png"
                page.screenshot(path=str(path))
                saved.append(path)
            # The same release page in French, switched with the visible language link.
            page.goto(release, wait_until="networkidle")
            page.locator('.languages a[hreflang="fr"]').click()
            page.wait_for_load_state("networkidle")
            path = OUT / f"release-fr-{label}.png"
            page.screenshot(path=str(path))
            saved.append(path)
            context.close()
        if backstage_password:
            saved += shoot_shop_and_backstage(browser, base, backstage_password)
            saved += shoot_order_journey(browser, base, backstage_password)
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running Disquaire, e.g. http://127.0.0.1:8765")
    parser.add_argument("--data-dir", default="/tmp/dq-shots")  # noqa: S108 (demo data)
    parser.add_argument(
        "--backstage-password", default="", help=f"with --url: {BAND_EMAIL}'s password"
    )
    args = parser.parse_args()
    if args.url:
        for path in shoot(args.url.rstrip("/"), args.backstage_password):
            print(path)
        return
    data_dir = Path(args.data_dir)
    prepare_demo(data_dir)
    port = free_port()
    # As ``disquaire demo`` serves it: the demo band is in test mode, which offers the
    # test payment by itself, so the order pictures are paid without money.
    env = {**os.environ, "DISQUAIRE_DATA_DIR": str(data_dir)}
    server = subprocess.Popen(
        [str(BIN / "disquaire"), "serve", "--port", str(port)],
        env=env,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/healthz")
        for path in shoot(base, BAND_PASSWORD):
            print(path)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
