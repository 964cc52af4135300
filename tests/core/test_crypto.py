"""Secrets kept at rest: sealed with a key derived from SECRET_KEY, for one purpose."""

from __future__ import annotations

from typing import Any

import pytest

from disquaire.core.crypto import SecretUnreadable, secret_mask, secret_open, secret_seal

KEY = "sk_live_51AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"


def test_sealed_secret_opens_again_with_the_same_instance_secret() -> None:
    sealed = secret_seal(value=KEY, purpose="payments.stripe.secret")
    assert KEY not in sealed and "51AbCd" not in sealed
    assert secret_open(sealed=sealed, purpose="payments.stripe.secret") == KEY


def test_two_seals_of_one_secret_differ() -> None:
    first = secret_seal(value=KEY, purpose="p")
    assert first != secret_seal(value=KEY, purpose="p")  # a fresh IV each time


def test_another_secret_key_cannot_open_it(settings: Any) -> None:
    sealed = secret_seal(value=KEY, purpose="payments.stripe.secret")
    settings.SECRET_KEY = "another instance entirely, another secret key of 50 chars"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(SecretUnreadable):
        secret_open(sealed=sealed, purpose="payments.stripe.secret")


def test_a_rotated_secret_key_still_opens_it_from_the_fallbacks(settings: Any) -> None:
    sealed = secret_seal(value=KEY, purpose="p")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the new secret key, after a rotation, fifty characters"
    assert secret_open(sealed=sealed, purpose="p") == KEY


def test_a_secret_sealed_for_one_purpose_does_not_open_for_another() -> None:
    sealed = secret_seal(value=KEY, purpose="payments.stripe.secret")
    with pytest.raises(SecretUnreadable):
        secret_open(sealed=sealed, purpose="payments.stripe.webhook")


def test_an_altered_seal_is_refused_not_decrypted_into_garbage() -> None:
    sealed = secret_seal(value=KEY, purpose="p")
    altered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(SecretUnreadable):
        secret_open(sealed=altered, purpose="p")


def test_the_mask_shows_the_kind_and_last_characters_only() -> None:
    assert secret_mask(KEY) == "sk_live_…6789"
    assert secret_mask("") == ""
    assert secret_mask("short") == "…"
