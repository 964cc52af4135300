"""Generated music and covers, for tests, the demo band and the benchmarks.

``synth_track`` renders a short piece with ffmpeg's ``aevalsrc``: a four-chord progression
played as an arpeggio (a few harmonics, plucked envelopes), a bass note on every beat, a
kick, a noise snare and hi-hats. Key, tempo, progression, arpeggio pattern and timbre all
vary with the seed. ``synth_cover`` draws a gradient, a few shapes and the title with
Pillow.
"""

from __future__ import annotations

import io
import math
import random
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from disquaire.audio.errors import AudioError
from disquaire.audio.ffmpeg import run_ffmpeg

__all__ = ["synth_cover", "synth_track"]

_PROGRESSIONS = (
    (0, 7, 9, 5),  # I V vi IV
    (0, 5, 7, 5),  # I IV V IV
    (9, 5, 0, 7),  # vi IV I V
    (0, 9, 5, 7),  # I vi IV V
    (0, 4, 9, 7),  # I iii vi V
)
_MINOR_DEGREES = frozenset({2, 4, 9})  # ii, iii and vi chords are minor
_PATTERNS = ((0, 1, 2, 3), (0, 2, 1, 3), (3, 2, 1, 0), (0, 1, 2, 1), (0, 2, 3, 2))
_SEMITONE = math.log(2) / 12

_LOSSY_RATES = {".mp3": 48000, ".m4a": 48000, ".ogg": 48000}


def _select(index_var: int, values: Sequence[int]) -> str:
    """An expression equal to ``values[ld(index_var)]`` (indexes 0..len-1)."""
    terms = [f"{v}*eq(ld({index_var}),{i})" for i, v in enumerate(values) if v]
    return "+".join(terms) or "0"


def _expressions(seed: int, seconds: float) -> tuple[str, str]:
    """The two ``aevalsrc`` channel expressions: tonal instruments, then percussion."""
    rng = random.Random(seed)  # noqa: S311 - musical choices, not security
    bpm = rng.randint(84, 140)
    beat = 60.0 / bpm
    eighth = beat / 2
    key = rng.randrange(12)
    base = 196.0 * 2 ** (key / 12)  # arpeggio around G3..F#4
    progression = rng.choice(_PROGRESSIONS)
    pattern = rng.choice(_PATTERNS)
    h2, h3 = rng.uniform(0.2, 0.6), rng.uniform(0.05, 0.3)
    decay = rng.uniform(3.0, 7.0)
    minor = [int(degree in _MINOR_DEGREES) for degree in progression]
    fade = f"min(1,t*40)*min(1,({seconds:.4f}-t)*40)"
    tonal = (
        f"st(0,floor(t/{beat:.6f}));"  # beat index
        f"st(1,t-ld(0)*{beat:.6f});"  # time since the beat
        "st(2,mod(floor(ld(0)/4),4));"  # chord of the bar
        f"st(3,{_select(2, progression)});"  # chord root, in semitones
        f"st(4,floor(t/{eighth:.6f}));"  # eighth-note index
        f"st(6,t-ld(4)*{eighth:.6f});"  # time since the eighth
        "st(5,mod(ld(4),4));"
        f"st(5,{_select(5, pattern)});"  # chord tone played: root, third, fifth, octave
        f"st(7,eq(ld(5),1)*(4-({_select(2, minor)}))+eq(ld(5),2)*7+eq(ld(5),3)*12);"
        f"st(8,{base:.4f}*exp({_SEMITONE:.8f}*(ld(3)+ld(7))));"  # arpeggio frequency
        f"st(9,{base / 4:.4f}*exp({_SEMITONE:.8f}*ld(3)));"  # bass frequency
        f"(0.55*(sin(2*PI*ld(8)*t)+{h2:.3f}*sin(4*PI*ld(8)*t)+{h3:.3f}*sin(6*PI*ld(8)*t))"
        f"*min(1,ld(6)*300)*exp(-{decay:.2f}*ld(6))"
        "+0.45*(sin(2*PI*ld(9)*t)+0.3*sin(4*PI*ld(9)*t))*min(1,ld(1)*200)*exp(-2.5*ld(1))"
        "+0.7*eq(mod(ld(0),2),0)*sin(2*PI*(50*ld(1)+6*(1-exp(-25*ld(1)))))*exp(-9*ld(1))"
        f")*0.3*{fade}"
    )
    percussion = (
        f"st(0,floor(t/{beat:.6f}));"
        f"st(1,t-ld(0)*{beat:.6f});"
        f"st(4,floor(t/{eighth:.6f}));"
        f"st(6,t-ld(4)*{eighth:.6f});"
        "(0.3*eq(mod(ld(4),2),1)*(2*random(2)-1)*exp(-70*ld(6))"
        "+0.45*eq(mod(ld(0),2),1)*(2*random(3)-1)*exp(-16*ld(1))"
        f")*0.3*{fade}"
    )
    return tonal, percussion


def _output_args(
    suffix: str, *, bit_depth: int, alac: bool, codec_args: Sequence[str] | None
) -> list[str]:
    if bit_depth not in (16, 24):
        raise AudioError(f"synth_track: bit_depth must be 16 or 24, not {bit_depth}")
    deep = bit_depth == 24
    raw24 = ["-bits_per_raw_sample", "24"] if deep else []
    defaults: dict[str, list[str]] = {
        ".flac": ["-c:a", "flac", "-sample_fmt", "s32" if deep else "s16", *raw24],
        ".wav": ["-c:a", "pcm_s24le" if deep else "pcm_s16le"],
        ".aiff": ["-c:a", "pcm_s24be" if deep else "pcm_s16be"],
        ".aif": ["-c:a", "pcm_s24be" if deep else "pcm_s16be"],
        ".mp3": ["-c:a", "libmp3lame", "-b:a", "192k"],
        ".m4a": ["-c:a", "aac", "-b:a", "192k"],
        ".ogg": ["-c:a", "libvorbis", "-q:a", "5"],
        ".opus": ["-c:a", "libopus", "-b:a", "128k"],
    }
    if alac and suffix == ".m4a":
        defaults[".m4a"] = ["-c:a", "alac", "-sample_fmt", "s32p" if deep else "s16p", *raw24]
    if suffix not in defaults:
        raise AudioError(f"synth_track: unsupported extension {suffix!r}")
    muxers = {".m4a": "ipod", ".opus": "opus", ".ogg": "ogg", ".aif": "aiff"}
    args = list(codec_args) if codec_args is not None else defaults[suffix]
    muxer = muxers.get(suffix)
    return [*args, *(["-f", muxer] if muxer else [])]


def synth_track(
    *,
    path: Path,
    seconds: float,
    seed: int = 0,
    sample_rate: int = 44100,
    bit_depth: int = 16,
    codec_args: Sequence[str] | None = None,
    alac: bool = False,
    channels: int = 2,
) -> Path:
    """Render ``seconds`` of generated music to ``path`` and return ``path``.

    The format follows the extension: ``.flac``, ``.wav``, ``.aiff`` (16 or 24-bit at
    ``sample_rate``), ``.mp3``, ``.m4a`` (AAC, or ALAC when ``alac=True``), ``.ogg``
    (Vorbis) or ``.opus``. Lossy files are capped at 48 kHz (Opus is always 48 kHz).
    ``codec_args`` replaces the default encoder arguments (e.g. ``["-c:a", "libmp3lame",
    "-b:a", "320k"]``). ``channels`` is 1 or 2.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if seconds <= 0:
        raise AudioError("synth_track: seconds must be positive")
    rate = sample_rate
    if suffix == ".opus":
        rate = 48000
    elif suffix in _LOSSY_RATES and not alac:
        rate = min(rate, _LOSSY_RATES[suffix])
    tonal, percussion = _expressions(seed, seconds)
    mix = "pan=stereo|c0=c0+0.8*c1|c1=0.9*c0+c1" if channels == 2 else "pan=mono|c0=c0+0.9*c1"
    source = f"aevalsrc=exprs='{tonal}|{percussion}':s={rate}:d={seconds:.6f},{mix}"
    out = _output_args(suffix, bit_depth=bit_depth, alac=alac, codec_args=codec_args)
    args: list[str | Path] = ["-y", "-f", "lavfi", "-i", source, *out, "-ar", str(rate), path]
    run_ffmpeg(args, what="synthesising audio")
    return path


def _palette(rng: random.Random) -> list[tuple[int, int, int]]:
    hue = rng.random()
    colours = []
    for shift in (0.0, 0.08, 0.5, 0.58):
        h = (hue + shift) % 1.0
        r, g, b = (
            0.5 + 0.5 * math.cos(2 * math.pi * (h + offset)) for offset in (0.0, 1 / 3, 2 / 3)
        )
        colours.append((int(40 + 200 * r), int(40 + 200 * g), int(40 + 200 * b)))
    return colours


# Fonts with accented letters, when the system has one; Pillow's bundled font has none.
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/System/Library/Fonts/Helvetica.ttc",
)


def _title_font(
    title: str, *, size: int
) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, str]:
    """A font for the title, and the title itself: accents are dropped only when no
    installed font can draw them (so a cover never shows missing-glyph boxes)."""
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).exists():
            try:
                return ImageFont.truetype(candidate, size=size), title
            except OSError:
                continue
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return ImageFont.load_default(size=size), plain


def synth_cover(*, title: str, seed: int = 0, size: int = 1200, path: Path | None = None) -> bytes:
    """Draw a square JPEG cover (gradient, shapes, ``title``) and return its bytes.

    Also writes it to ``path`` when given.
    """
    rng = random.Random(seed)  # noqa: S311 - artwork, not security
    top, bottom, accent, second = _palette(rng)
    gradient = Image.linear_gradient("L").resize((size, size))
    img = ImageOps.colorize(gradient, top, bottom).convert("RGB")
    draw = ImageDraw.Draw(img, "RGBA")
    for _ in range(rng.randint(4, 9)):
        colour = (*rng.choice((accent, second)), rng.randint(70, 190))
        x, y = rng.uniform(-0.1, 1.0) * size, rng.uniform(-0.1, 1.0) * size
        extent = rng.uniform(0.1, 0.5) * size
        shape = rng.randrange(3)
        if shape == 0:
            draw.ellipse((x, y, x + extent, y + extent), fill=colour)
        elif shape == 1:
            draw.rectangle((x, y, x + extent, y + extent * rng.uniform(0.2, 1.0)), fill=colour)
        else:
            draw.polygon(
                [(x, y + extent), (x + extent / 2, y), (x + extent, y + extent)], fill=colour
            )
    font, title = _title_font(title, size=max(10, size // 14))
    margin = size // 16
    draw.rectangle((0, size - margin * 3, size, size), fill=(0, 0, 0, 120))
    draw.text((margin, size - margin * 2.5), title, font=font, fill=(255, 255, 255, 255))
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=90)
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data
