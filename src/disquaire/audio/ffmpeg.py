"""Locating and running the ffmpeg binary.

The binary is the one bundled with ``imageio-ffmpeg`` unless the environment variable
``DISQUAIRE_FFMPEG`` names another executable, or is the word ``system`` (use ``ffmpeg``
from ``PATH`` when there is one, else fall back to the bundled binary). There is no
ffprobe: probing is done with mutagen plus decoding with ffmpeg.

Every invocation starts with ``-nostdin -hide_banner`` and arguments are always passed as
a list (never through a shell).
"""

from __future__ import annotations

import collections
import functools
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from disquaire.audio._sniff import CONTAINERS, DEMUXERS, sniff
from disquaire.audio.errors import AudioError

__all__ = [
    "FfmpegProcess",
    "ffmpeg_command",
    "ffmpeg_exe",
    "ffmpeg_input",
    "iter_progress",
    "progress_seconds",
    "run_ffmpeg",
    "start_ffmpeg",
]

ENV_VAR = "DISQUAIRE_FFMPEG"
STDERR_TAIL_LINES = 60
MAX_LINE_BYTES = 4096


@functools.cache
def ffmpeg_exe() -> str:
    """Return the path of the ffmpeg executable to use (cached for the process).

    Honours ``DISQUAIRE_FFMPEG`` (a path, or ``system``); call ``ffmpeg_exe.cache_clear()``
    after changing the variable.
    """
    choice = os.environ.get(ENV_VAR, "").strip()
    if choice.lower() == "system":
        found = shutil.which("ffmpeg")
        if found:
            return found
        choice = ""
    if choice:
        path = Path(choice).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        found = shutil.which(choice)
        if found:
            return found
        raise AudioError(f"{ENV_VAR}={choice!r} is not an executable ffmpeg")
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def ffmpeg_input(
    path: str | os.PathLike[str], *, container: str | None = None
) -> list[str | os.PathLike[str]]:
    """The input arguments for an uploaded or stored audio file: ``-f`` names the demuxer
    of its format (``container`` as ``probe`` found it, else sniffed from its first
    bytes), and only the ``file`` protocol is allowed.

    Left to guess, ffmpeg picks a demuxer from the name and content and follows what it
    names: a playlist (HLS, concat) uploaded as audio would make it read other files.
    Raises ``AudioError`` for a file that is not a supported audio format.
    """
    if container is None:
        container = CONTAINERS[sniff(Path(path))][0]
    demuxer = DEMUXERS.get(container)
    if demuxer is None:
        raise AudioError(f"no demuxer for {container!r}")
    return ["-protocol_whitelist", "file", "-f", demuxer, "-i", path]


def ffmpeg_command(args: Sequence[str | os.PathLike[str]], *, loglevel: str = "error") -> list[str]:
    """Return a full ffmpeg command line: the binary, the fixed flags, then ``args``."""
    return [
        ffmpeg_exe(),
        "-nostdin",
        "-hide_banner",
        "-nostats",
        "-loglevel",
        loglevel,
        *(os.fspath(a) for a in args),
    ]


def _failure(what: str, returncode: int, tail: Sequence[str]) -> AudioError:
    lines = [line.strip() for line in tail if line.strip()]
    detail = "; ".join(lines[-4:]) if lines else f"exit status {returncode}"
    return AudioError(f"{what} failed: {detail}")


def run_ffmpeg(
    args: Sequence[str | os.PathLike[str]],
    *,
    what: str = "ffmpeg",
    loglevel: str = "error",
    timeout: float | None = None,
) -> list[str]:
    """Run ffmpeg with ``args`` (stdout discarded) and return its last stderr lines.

    Raises ``AudioError`` (whose reason includes the last stderr lines) when ffmpeg exits
    with a non-zero status or times out. Only a bounded tail of stderr is kept.
    """
    with start_ffmpeg(args, what=what, loglevel=loglevel, stdout=False) as proc:
        proc.wait(timeout=timeout)
    return proc.stderr_tail()


class FfmpegProcess:
    """A running ffmpeg whose stderr is drained in a thread into a bounded tail buffer."""

    def __init__(self, popen: subprocess.Popen[bytes], what: str) -> None:
        self.popen = popen
        self.what = what
        self._tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    @property
    def stdout(self) -> IO[bytes]:
        """The process's stdout pipe (only when started with ``stdout=True``)."""
        assert self.popen.stdout is not None
        return self.popen.stdout

    def _drain(self) -> None:
        assert self.popen.stderr is not None
        stderr = self.popen.stderr
        # Lines are read in bounded pieces: an input's huge tag dumped by ffmpeg stays small.
        for raw in iter(lambda: stderr.readline(MAX_LINE_BYTES), b""):
            self._tail.append(raw.decode("utf-8", "replace").rstrip("\r\n"))

    def stderr_tail(self) -> list[str]:
        """The last lines ffmpeg wrote on stderr (at most ``STDERR_TAIL_LINES``)."""
        return list(self._tail)

    def wait(self, *, timeout: float | None = None) -> None:
        """Wait for ffmpeg to exit; raise ``AudioError`` on failure or timeout."""
        try:
            returncode = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AudioError(f"{self.what} timed out after {timeout} s") from None
        self._drainer.join()
        if returncode != 0:
            raise _failure(self.what, returncode, self.stderr_tail())

    def kill(self) -> None:
        """Kill ffmpeg (if still running) and reap it."""
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()
        self._drainer.join(timeout=5)


@contextmanager
def start_ffmpeg(
    args: Sequence[str | os.PathLike[str]],
    *,
    what: str = "ffmpeg",
    loglevel: str = "error",
    stdout: bool = True,
) -> Iterator[FfmpegProcess]:
    """Start ffmpeg, yielding an ``FfmpegProcess`` whose ``stdout`` is a pipe.

    The process is killed if the ``with`` block exits with an exception; otherwise the
    caller should call ``wait()`` to check the exit status (it is reaped on exit anyway).
    stderr is drained concurrently (keeping only its tail), so reading stdout to its end
    cannot deadlock.
    """
    cmd = ffmpeg_command(args, loglevel=loglevel)
    try:
        popen = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        raise AudioError(f"cannot run ffmpeg ({cmd[0]}): {exc}") from exc
    proc = FfmpegProcess(popen, what)
    try:
        yield proc
    except BaseException:
        proc.kill()
        raise
    finally:
        if popen.stdout is not None:
            popen.stdout.close()
        if popen.poll() is None:  # the caller did not wait(): reap it anyway
            popen.wait()
        proc._drainer.join(timeout=5)
        if popen.stderr is not None:
            popen.stderr.close()


def iter_progress(stream: IO[bytes]) -> Iterator[dict[str, str]]:
    """Parse ffmpeg ``-progress`` output into one dict per report block."""
    block: dict[str, str] = {}
    for raw in iter(stream.readline, b""):
        key, sep, value = raw.decode("ascii", "replace").strip().partition("=")
        if not sep:
            continue
        block[key] = value
        if key == "progress":
            yield block
            block = {}


def progress_seconds(block: dict[str, str]) -> float | None:
    """The output position of a ``-progress`` block, in seconds (None when unknown)."""
    for key in ("out_time_us", "out_time_ms"):  # out_time_ms is in microseconds too
        value = block.get(key, "")
        if value.lstrip("-").isdigit():
            return max(0, int(value)) / 1_000_000
    return None
