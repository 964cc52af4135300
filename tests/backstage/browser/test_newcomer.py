"""The newcomer test: from a fresh instance to a first (free) order, as a band would do it.

A real browser does every step a band member does — create the operator account, the
artist, a three-track release with its cover, a "name your price" offer with a minimum
of 0, publish — while background workers (started here, on the live server's database)
transcode the music. A fan then opens the public page in another browser, plays a
track and gets the free download through checkout, and the band sees the order in its
stats. The band's part is measured (clicks, fields filled, seconds) and printed, so the
figure can be tracked as the backstage changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from disquaire.audio import synth_cover, synth_track
from disquaire.backstage.services.accounts import setup_code_ensure
from disquaire.backstage.stats import chart_build
from disquaire.catalog.models import Artist, ProcessingStatus, Release
from disquaire.core.worker import WorkerPool
from disquaire.orders.models import Order, OrderState

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

AUDIO = "document.querySelector('[data-player] audio')"
PLAYING_PAST = f"(t) => {{ const a = {AUDIO}; return !!a && !a.paused && a.currentTime > t; }}"
PROCESSING_TIMEOUT_MS = 240_000


@dataclass
class Hands:
    """The band's hands on the page: every click and field filled is counted."""

    page: Any
    clicks: int = 0
    fills: int = 0
    files: int = 0
    seconds: float = 0.0
    waited: float = 0.0
    _started: float = field(default=0.0, repr=False)

    def click(self, selector: str) -> None:
        self.page.click(selector)
        self.clicks += 1

    def fill(self, selector: str, value: str) -> None:
        self.page.fill(selector, value)
        self.fills += 1

    def check(self, selector: str) -> None:
        self.page.check(selector)
        self.clicks += 1

    def choose_files(self, selector: str, paths: list[Path]) -> None:
        self.page.set_input_files(selector, [str(p) for p in paths])
        self.files += 1

    def __enter__(self) -> Hands:
        self._started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.monotonic() - self._started


def _music(tmp_path: Path) -> list[Path]:
    files = []
    for number, title in enumerate(("Sous la pluie", "Le quai", "Minuit"), start=1):
        path = tmp_path / f"{number:02d} - {title}.flac"
        synth_track(path=path, seconds=2.0, seed=number)
        files.append(path)
    cover = tmp_path / "cover.jpg"
    synth_cover(title="Sous la pluie", seed=4, size=1400, path=cover)
    return [*files, cover]


def test_a_band_goes_from_a_fresh_instance_to_a_first_order(
    new_page: Any, live_server: Any, tmp_path: Path
) -> None:
    files = _music(tmp_path)
    pool = WorkerPool(threads=2, interval=0.2).start()
    try:
        band = Hands(new_page())
        page = band.page
        with band:
            page.goto(live_server.url + "/backstage/")
            # The code `disquaire serve` printed for whoever installed the instance.
            band.fill("#id_setup_code", setup_code_ensure() or "")
            band.fill("#id_email", "band@example.org")
            band.fill("#id_password1", "lent-orange-vinyle-42")
            band.fill("#id_password2", "lent-orange-vinyle-42")
            band.click("button[type=submit] >> text=Create my account")
            band.fill("#id_name", "Les Bijoux")
            band.click("main button[type=submit]")
            band.click(".bs-artist-nav >> text=Releases")
            band.click("text=New release")
            band.fill("#id_title", "Sous la pluie")
            band.click("main button[type=submit]")
            page.wait_for_selector("[data-upload][data-ready]", state="attached")
            band.choose_files("[data-upload-input]", files)
            waited_from = time.monotonic()
            page.wait_for_function(
                "() => (document.querySelector('[data-status-summary]') || {}).textContent"
                " === '3 of 3 tracks ready'",
                timeout=PROCESSING_TIMEOUT_MS,
            )
            page.wait_for_selector("[data-cover] img", state="attached")
            band.waited = time.monotonic() - waited_from
            band.click("text=Prices and offers")
            band.click("main section >> nth=0 >> text=Add an offer")
            band.fill("#id_title", "Digital album")
            band.check("input[name=pricing][value=pwyw]")
            band.fill("#id_minimum", "0")
            band.click("main form button[type=submit]")
            band.click(".bs-artist-nav >> text=Releases")
            band.click("main table >> text=Sous la pluie")
            band.check("input[name=action][value=publish]")
            band.click("text=Apply")
            page.wait_for_selector(".bs-messages")

        release = Release.objects.get(title="Sous la pluie")
        assert release.visibility == Release.Visibility.PUBLISHED
        assert release.tracks.filter(status=ProcessingStatus.READY).count() == 3
        assert release.cover

        fan = new_page()
        fan.goto(live_server.url + release.get_absolute_url())
        fan.wait_for_selector("[data-player][data-ready]", state="attached")
        fan.click("button.play-main")
        fan.wait_for_function(PLAYING_PAST, arg=0.3)
        fan.click("form.offer button[type=submit]")
        fan.click("text=Check out with")
        fan.fill("#id_email", "fan@example.org")
        fan.click("main form button[type=submit]")
        fan.wait_for_url("**/sent/")  # the download link goes by email

        order = Order.objects.get()
        assert (order.state, order.total_minor, order.email) == (
            OrderState.PAID,
            0,
            "fan@example.org",
        )

        with band:
            band.click(".bs-artist-nav >> text=Stats")
            page.wait_for_selector("#chart-sales")
        today = timezone.localdate().isoformat()
        sales = chart_build(key="sales", artist=Artist.objects.get())
        assert sales.rows[-1] == (today, [1, 0])
        row = page.locator(f"#chart-sales tr:has(th:text-is('{today}')) td").first
        assert row.text_content() == "1"

        print(
            f"\nNEWCOMER: band clicks={band.clicks} fills={band.fills} "
            f"file_choices={band.files} seconds={band.seconds:.1f} "
            f"(of which waiting for processing {band.waited:.1f}, "
            f"hands-on {band.seconds - band.waited:.1f})"
        )
    finally:
        pool.stop(timeout=15)
