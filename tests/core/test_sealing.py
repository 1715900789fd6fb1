"""Sealed database secrets: AES-GCM under keys derived from SECRET_KEY, bound to purpose and row."""

from __future__ import annotations

import pytest

from videoforge.sealing import SealBroken, keys_of, seal, unseal


def test_a_sealed_value_opens_with_its_key_purpose_and_row_only():
    sealed = seal("key-one", "totp", "7", "JBSWY3DPEHPK3PXP")
    assert sealed.startswith("v1:") and "JBSWY3DPEHPK3PXP" not in sealed
    assert unseal(["key-one"], "totp", "7", sealed) == ("JBSWY3DPEHPK3PXP", False)
    for keys, purpose, row in ((["key-two"], "totp", "7"), (["key-one"], "totp", "8"), (["key-one"], "other", "7")):
        with pytest.raises(SealBroken):
            unseal(keys, purpose, row, sealed)


def test_each_seal_is_fresh_and_tampering_is_caught():
    first, second = (seal("k", "totp", "1", "SECRET") for _ in range(2))
    assert first != second  # a new nonce each time
    flipped = first[:-2] + ("A" if first[-2] != "A" else "B") + first[-1]
    with pytest.raises(SealBroken):
        unseal(["k"], "totp", "1", flipped)
    for mangled in ("v1:not*base64!", "v1:" + first[3:10]):  # garbage, and cut short
        with pytest.raises(SealBroken):
            unseal(["k"], "totp", "1", mangled)


def test_older_keys_open_but_ask_to_reseal_and_so_does_a_clear_value():
    sealed = seal("old", "totp", "1", "SECRET")
    assert unseal(["new", "old"], "totp", "1", sealed) == ("SECRET", True)
    assert unseal(["new"], "totp", "1", "SECRET") == ("SECRET", True)  # stored before sealing existed


def test_keys_come_from_secret_key_then_its_fallbacks():
    assert keys_of({"SECRET_KEY": "a", "SECRET_KEY_FALLBACKS": ["b", "c"]}) == ["a", "b", "c"]
    assert keys_of({"SECRET_KEY": "a"}) == ["a"]
