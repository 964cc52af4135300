"""Read configuration from the environment, with safe defaults for the embedded mode."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in TRUE


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def data_dir() -> Path:
    path = Path(os.environ.get("DISQUAIRE_DATA_DIR") or "./var").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(directory: Path) -> str:
    """The secret key from the environment, else one generated once into the data dir."""
    value = os.environ.get("DISQUAIRE_SECRET_KEY")
    if value:
        return value
    key_file = directory / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting at once agree on the first key written.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


# Words of the placeholders found in example files and tutorials.
PLACEHOLDER_WORDS = (
    "change-me",
    "changeme",
    "change_me",
    "replace-me",
    "your-secret",
    "secret-key",
)
SECRET_KEY_MIN_LENGTH = 50


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` cannot sign anything in production (None when it can): anyone who
    knows or guesses it forges download, invitation and verification links."""
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"is shorter than {SECRET_KEY_MIN_LENGTH} characters"
    if len(set(key)) < 5:
        return "has fewer than 5 different characters"
    lowered = key.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS) or lowered.startswith("django-insecure"):
        return "is a placeholder"
    return None


ENV_FILE_NAME = ".env"
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class EnvFileError(ValueError):
    """A line of a ``.env`` file that is not ``NAME=value``."""


def _env_value(raw: str, *, where: str) -> str:
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = raw.find(quote, 1)
        while quote == '"' and end > 0 and raw[end - 1] == "\\":
            end = raw.find(quote, end + 1)
        if end < 0:
            raise EnvFileError(f"{where}: the value's closing {quote} is missing")
        rest = raw[end + 1 :].strip()
        if rest and not rest.startswith("#"):
            raise EnvFileError(f"{where}: text after the quoted value")
        value = raw[1:end]
        if quote == '"':
            value = value.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
        return value
    # Unquoted: a comment starts at " #" (a "#" inside a value, as in a URL, stays).
    comment = raw.find(" #")
    return (raw[:comment] if comment >= 0 else raw).strip()


def env_file_parse(text: str, *, name: str = ENV_FILE_NAME) -> dict[str, str]:
    """The variables of a ``.env`` file: ``NAME=value`` lines, ``#`` comments, blank
    lines, an optional ``export`` before the name, values bare or in single quotes
    (taken as written) or double quotes (``\\n``, ``\\"`` understood).

    Raises ``EnvFileError`` naming the file and line of anything else."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"{name}, line {number}"
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :].lstrip()
        key, equals, raw = stripped.partition("=")
        key = key.strip()
        if not equals or not _KEY.fullmatch(key):
            raise EnvFileError(f"{where}: expected NAME=value, got {line.strip()!r}")
        values[key] = _env_value(raw, where=where)
    return values


def env_files_load(*, cwd: Path | None = None) -> list[Path]:
    """Read the ``.env`` files into the environment; return the files read.

    The working directory's ``.env`` comes first (it may name the data dir), then the
    data dir's. A variable already in the environment is never replaced, so the real
    environment wins over both files and the working directory's file over the data
    dir's. An empty value (``DATABASE_URL=`` in a copy of ``.env.example``) means "the
    default" and sets nothing. ``DISQUAIRE_ENV_FILES=off`` reads no file.
    """
    read: list[Path] = []
    if os.environ.get("DISQUAIRE_ENV_FILES", "").strip().lower() in FALSE:
        return read  # the test suite's own runs: a developer's .env must not change them
    _env_file_apply(read, (cwd or Path.cwd()) / ENV_FILE_NAME)
    # Looked up after the first file, which may have named it.
    data = Path(os.environ.get("DISQUAIRE_DATA_DIR") or "./var")
    _env_file_apply(read, data / ENV_FILE_NAME)
    return read


def _env_file_apply(read: list[Path], path: Path) -> None:
    path = path.resolve()
    if path in read or not path.is_file():
        return
    for key, value in env_file_parse(path.read_text(encoding="utf-8"), name=str(path)).items():
        if value != "" and key not in os.environ:
            os.environ[key] = value
    read.append(path)
