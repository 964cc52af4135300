"""The merch table reads a fan's share QR code with the phone's camera. Chromium's fake
camera plays a video of the code (a PNG drawn by qrcode, made a y4m video by the bundled
ffmpeg); Chromium on Linux has no BarcodeDetector, so the vendored jsQR reads it. The
code lands in the buyer's referral field, and the sale made then names the fan."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from disquaire.fans.referrals.services import share_link_for
from disquaire.table.fan_models import SaleBuyer
from tests.browser.test_table import _cd_of_a_release, _sell, _table_open
from tests.browser_plugin import TIMEOUT_MS, chromium_launch
from tests.table.helpers import table_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def qr_video(folder: Path, text: str) -> Path:
    """A second of video (640×480, what a phone's camera gives) showing ``text`` as a
    QR code, in the y4m format Chromium's fake camera plays in a loop."""
    import imageio_ffmpeg
    import qrcode
    from PIL import Image

    code = qrcode.make(text, box_size=8, border=4).get_image().convert("L")
    frame = Image.new("L", (640, 480), 255)
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    png = folder / "code.png"
    frame.save(png)
    video = folder / "code.y4m"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-loop", "1", "-i", str(png),
         "-t", "1", "-r", "5", "-pix_fmt", "yuv420p", "-y", str(video)],
        check=True,
    )  # fmt: skip
    return video


@pytest.fixture
def camera_phone(
    playwright_session: Any, chromium_path: str, tmp_path: Path
) -> Iterator[tuple[Any, Path]]:
    """``(new_page, folder)``: pages of a Chromium whose camera shows
    ``folder/code.y4m`` (write it before the first page asks for the camera)."""
    folder = tmp_path / "camera"
    folder.mkdir()
    camera = chromium_launch(
        playwright_session,
        chromium_path,
        "--use-fake-ui-for-media-stream",  # the camera is allowed without asking
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={folder / 'code.y4m'}",
    )

    def new_page(**options: Any) -> Any:
        context = camera.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        return context.new_page()

    yield new_page, folder
    camera.close()


def test_a_fans_share_code_scanned_with_the_camera_goes_with_the_sale(
    camera_phone: tuple[Any, Path], live_server: Any
) -> None:
    new_page, folder = camera_phone
    table = table_build()
    _cd_of_a_release(table)
    link = share_link_for(email="friend@example.org", release=table.cd.release)
    share_url = settings.SITE_URL + reverse("fans_referrals:share_visit", args=[link.code])
    qr_video(folder, share_url)

    page = _table_open(new_page, live_server, table)
    page.locator("[data-buyer] summary").click()
    page.fill("[data-buyer-email]", "buyer@example.org")
    page.get_by_role("button", name="Scan a fan's code").click()
    referral = page.locator("[data-buyer-referral]")
    expect(referral).to_have_value(link.code)  # read from the camera
    expect(page.locator('[data-dialog="scan"]')).to_be_hidden()  # closed on reading
    expect(referral).to_be_focused()

    _sell(page, table.cd_product.pk)
    expect(page.locator("[data-buyer-claim]")).to_be_visible()  # the sale is kept here
    expect(page.locator("[data-unsent]")).to_have_text("All sent")  # and on the server
    buyer = SaleBuyer.objects.get()
    assert (buyer.email, buyer.referrer_email) == ("buyer@example.org", "friend@example.org")
