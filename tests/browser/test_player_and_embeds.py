"""What only a browser shows: audio playing, seeking, the keyboard, the language switch,
the widget inside another site's page, the limited-plays flow, and an accessibility scan.

Real releases of short generated tracks (tests/storefront/listen_fixtures.py), served by
the live server, played by Chromium (autoplay allowed by a launch flag).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import expect

from disquaire.catalog.models import PreviewPolicy, Release
from disquaire.storefront import clips
from disquaire.storefront.views.embed import embed_height
from tests.storefront.listen_fixtures import processed_release

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AUDIO = "document.querySelector('[data-player] audio')"
PLAYING_PAST = f"(t) => {{ const a = {AUDIO}; return !!a && !a.paused && a.currentTime > t; }}"


def _time(target: Any) -> float:
    return float(target.evaluate(f"() => {AUDIO}.currentTime"))


def _pause(target: Any) -> None:
    target.evaluate(f"() => {AUDIO}.pause()")
    target.wait_for_function(f"() => {AUDIO}.paused")


def _open(page: Any, live_server: Any, path: str) -> None:
    page.goto(live_server.url + path)
    # The player is ready once its per-visitor data has arrived (it shows when played).
    page.wait_for_selector("[data-player][data-ready]", state="attached")


@pytest.fixture
def release(tmp_path: Path) -> Release:
    return processed_release(tmp_path, tracks=2, seconds=3.0)


def test_a_track_plays_and_its_time_advances(page: Any, live_server: Any, release: Release) -> None:
    _open(page, live_server, release.get_absolute_url())

    page.click("button.play-main")

    page.wait_for_function(PLAYING_PAST, arg=0.5)
    expect(page.locator("tr[data-track].is-playing")).to_have_count(1)
    expect(page.locator("[data-player-status]")).to_contain_text("Song 1")
    # The start was reported for the band's statistics.
    from disquaire.storefront.models import TrackPlayDay

    first = release.tracks.get(position=1)
    page.wait_for_function(
        "() => performance.getEntriesByType('resource')"
        ".some((e) => e.name.includes('/api/listen/played/'))"
    )
    assert TrackPlayDay.objects.get(track=first).plays == 1


def test_seeking_by_clicking_the_waveform_and_with_the_arrow_keys(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    release = processed_release(tmp_path, tracks=1, seconds=12.0)
    _open(page, live_server, release.get_absolute_url())
    page.click("button.play-main")
    page.wait_for_function(PLAYING_PAST, arg=0.1)
    _pause(page)

    wave = page.locator("[data-player-wave]")
    box = wave.bounding_box()
    wave.click(position={"x": box["width"] * 0.5, "y": box["height"] / 2})
    assert _time(page) == pytest.approx(6.0, abs=0.6)
    assert wave.get_attribute("aria-valuenow") == str(round(_time(page)))

    wave.focus()
    page.keyboard.press("ArrowLeft")
    assert _time(page) == pytest.approx(1.0, abs=0.6)
    page.keyboard.press("ArrowRight")
    assert _time(page) == pytest.approx(6.0, abs=0.6)
    page.keyboard.press("Home")
    assert _time(page) == pytest.approx(0.0, abs=0.1)


def _tab_to(page: Any, selector: str, *, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_player_works_from_the_keyboard_alone(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    release = processed_release(tmp_path, tracks=1, seconds=12.0)
    _open(page, live_server, release.get_absolute_url())

    _tab_to(page, "button.play-main")
    page.keyboard.press("Enter")
    page.wait_for_function(PLAYING_PAST, arg=0.2)
    expect(page.locator("button.play-main")).to_have_text("Pause")

    page.keyboard.press("Space")
    page.wait_for_function(f"() => {AUDIO}.paused")
    expect(page.locator("button.play-main")).to_have_text("Play")

    _tab_to(page, "[data-player-wave]")
    before = _time(page)
    page.keyboard.press("ArrowRight")
    assert _time(page) == pytest.approx(min(before + 5, 12.0), abs=0.6)
    page.keyboard.press("Space")  # on the slider: play again
    page.wait_for_function(f"() => !{AUDIO}.paused")


def test_the_language_switch_turns_the_page_french(
    page: Any, live_server: Any, release: Release
) -> None:
    page.goto(live_server.url + release.get_absolute_url())
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#buy-title").inner_text() == "Buy"

    page.click("nav.languages a[hreflang=fr]")

    page.wait_for_selector("html[lang=fr]")
    assert page.url == live_server.url + release.get_absolute_url()
    expect(page.locator("#buy-title")).to_have_text("Acheter")
    expect(page.locator(".embed-box summary")).to_have_text("Intégrer")


def test_the_widget_plays_inside_a_page_of_another_site(
    page: Any, live_server: Any, release: Release, other_origin: Callable[[str], str]
) -> None:
    src = live_server.url + reverse("storefront:embed_release", args=[release.pk])
    host = other_origin(
        "<!doctype html><html lang=en><title>A blog</title><h1>My favourite band</h1>"
        f'<iframe src="{src}" width="700" height="400" title="Player"></iframe>'
    )
    page.goto(host)
    frame = page.frame_locator("iframe")

    frame.locator("button.play-main").click()

    widget = next(f for f in page.frames if "/embed/release/" in f.url)
    widget.wait_for_function(PLAYING_PAST, arg=0.5)
    expect(frame.locator("tr[data-track].is-playing")).to_have_count(1)
    # The buy link leaves the frame for the band's site.
    buy = frame.locator("a.embed-buy")
    assert buy.get_attribute("target") == "_blank" and buy.get_attribute("rel") == "noopener"


def test_the_widget_of_a_limited_release_plays_clips_in_another_site(
    page: Any, live_server: Any, tmp_path: Path, other_origin: Callable[[str], str]
) -> None:
    release = _limited(tmp_path)
    src = live_server.url + reverse("storefront:embed_release", args=[release.pk])
    page.goto(other_origin(f'<!doctype html><iframe src="{src}" title="Player"></iframe>'))
    frame = page.frame_locator("iframe")

    frame.locator("button.play-main").click()

    widget = next(f for f in page.frames if "/embed/release/" in f.url)
    widget.wait_for_function(PLAYING_PAST, arg=0.1)
    assert widget.evaluate(f"() => {AUDIO}.duration") == pytest.approx(1.0, abs=0.3)


def test_the_compact_widget_shows_that_it_plays_previews(
    page: Any, live_server: Any, tmp_path: Path, other_origin: Callable[[str], str]
) -> None:
    """No room for the clip note in the compact widget: a short visible mark says it."""
    release = _limited(tmp_path)
    src = live_server.url + reverse("storefront:embed_release", args=[release.pk])
    page.goto(
        other_origin(f'<!doctype html><iframe src="{src}?size=compact" title="Player"></iframe>')
    )
    frame = page.frame_locator("iframe")
    frame.locator("button.play-main").click()
    widget = next(f for f in page.frames if "/embed/release/" in f.url)
    widget.wait_for_function(PLAYING_PAST, arg=0.1)
    expect(frame.locator("[data-player-clip]")).to_be_visible()
    expect(frame.locator("[data-player-clip]")).to_have_text("preview")


def _limited(tmp_path: Path) -> Release:
    release = processed_release(
        tmp_path,
        tracks=2,
        seconds=3.0,
        preview_policy=PreviewPolicy.LIMITED,
        preview_full_plays=1,
        preview_clip_seconds=1,
    )
    for track in release.tracks.all():
        clips.clips_request(track=track)
        clips.clips_make(track_id=track.pk)
    return release


def test_limited_release_first_play_is_full_then_clips_and_the_buy_prompt(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    release = _limited(tmp_path)
    _open(page, live_server, release.get_absolute_url())
    expect(page.locator("[data-player-note]")).to_contain_text("1 full play left")

    page.click("button.play-main")
    page.wait_for_function(PLAYING_PAST, arg=0.2)
    assert page.evaluate(f"() => {AUDIO}.duration") == pytest.approx(3.0, abs=0.3)

    page.click("tr[data-track]:nth-child(2) button.play")
    page.wait_for_function(
        f"() => {AUDIO}.duration < 2 && !{AUDIO}.paused && {AUDIO}.currentTime > 0.1"
    )
    note = page.locator("[data-player-note]")
    expect(note).to_contain_text("first 1 seconds")
    buy = note.locator("a.player-buy")
    expect(buy).to_be_visible()
    assert buy.get_attribute("href").endswith("#buy-title")


def test_the_embed_box_switches_size_and_copies_the_code(
    new_page: Callable[..., Any], live_server: Any, release: Release
) -> None:
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    page.goto(live_server.url + release.get_absolute_url())
    box = page.locator("details.embed-box")
    code = box.locator("textarea")
    preview = box.locator("iframe[data-embed-preview]")

    box.locator("summary").click()
    assert f"/embed/release/{release.pk}/" in code.input_value()
    box.locator("input[value=compact]").check()

    assert f"/embed/release/{release.pk}/?size=compact" in code.input_value()
    assert preview.get_attribute("src") == f"/embed/release/{release.pk}/?size=compact"
    assert preview.get_attribute("height") == "80"
    box.locator("button[data-embed-copy]").click()
    expect(box.locator("[data-embed-status]")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == code.input_value()


def _serious(results: dict[str, Any]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _scan(page: Any, axe: Path) -> list[str]:
    page.add_script_tag(path=str(axe))
    results = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    return _serious(json.loads(results))


def test_axe_finds_no_serious_violation_on_artist_release_and_widget_pages(
    new_page: Callable[..., Any], live_server: Any, release: Release, axe_path: Path
) -> None:
    # axe is injected as an inline script: only this test's context bypasses the CSP.
    page = new_page(bypass_csp=True)
    embed = reverse("storefront:embed_release", args=[release.pk])
    found: dict[str, list[str]] = {}
    for path in (
        release.artist.get_absolute_url(),
        release.get_absolute_url(),
        embed,
        embed + "?size=compact",
    ):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        found[path] = _scan(page, axe_path)
    assert found == {path: [] for path in found}


def test_axe_finds_no_serious_violation_on_the_cart_and_checkout(
    new_page: Callable[..., Any], live_server: Any, release: Release, axe_path: Path
) -> None:
    """The moment of paying, with an item that ships (address, country list, the ways
    to pay as a choice)."""
    from disquaire.selling.models import Offer, ShippingZone
    from tests.shop.factories import OfferFactory

    OfferFactory(release=release, artist=release.artist, kind=Offer.Kind.BUNDLE, title="CD")
    ShippingZone.objects.create(
        artist=release.artist, name="Europe", countries=["FR", "BE"], first_item_minor=500
    )
    page = new_page(bypass_csp=True)
    page.goto(live_server.url + release.get_absolute_url())
    page.locator("form.offer:has(.offer-ships) button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    found = {"cart": _scan(page, axe_path)}
    page.locator(".page-cart a.btn-primary").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("select[name=country] option").all_inner_texts() == [
        "Choose…",
        "Belgium",
        "France",
    ]
    found["checkout"] = _scan(page, axe_path)
    assert found == {"cart": [], "checkout": []}


def test_the_widget_looks_whole_at_350_and_700_pixels(
    new_page: Callable[..., Any], live_server: Any, release: Release
) -> None:
    embed = live_server.url + reverse("storefront:embed_release", args=[release.pk])
    large = embed_height(size="large", tracks=2)
    for width, size, height in ((350, "large", large), (700, "large", large), (350, "compact", 80)):
        page = new_page(viewport={"width": width, "height": height})
        page.goto(f"{embed}?size={size}")
        page.wait_for_load_state("networkidle")
        # Nothing sticks out sideways, and the buy link and play button are in view.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for selector in ("a.embed-buy", "button.play-main"):
            box = page.locator(selector).bounding_box()
            assert box is not None
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, size, selector)
            assert box["y"] >= 0 and box["y"] + box["height"] <= height, (width, size, selector)
        if size == "large":
            # The iframe height of the embed code shows the whole (short) tracklist.
            rows = page.locator(".embed-tracks")
            assert rows.evaluate("(e) => e.scrollHeight <= e.clientHeight"), width


def test_the_admin_works_under_the_content_security_policy(
    page: Any, live_server: Any, release: Release
) -> None:
    get_user_model().objects.create_superuser("boss", "boss@example.org", "a-long-password-1")
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    page.goto(live_server.url + "/admin/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "a-long-password-1")
    page.click("input[type=submit]")
    page.wait_for_selector("#content-main")
    page.goto(live_server.url + f"/admin/catalog/release/{release.pk}/change/")
    page.wait_for_selector("#release_form")
    page.wait_for_load_state("networkidle")

    assert violations == []
