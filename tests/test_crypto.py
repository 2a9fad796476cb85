"""Encryption of sensitive fields (framework-free): keys, rotation, wrong keys, tampering."""

import pytest

from member_crm.engine import crypto

KEY_A = crypto.generate_key()
KEY_B = crypto.generate_key()


def test_round_trip_and_no_clear_text():
    ring = crypto.Keyring(KEY_A)
    stored = ring.encrypt("11010519491231002X", "42:id_number")
    assert "11010519491231002X" not in stored
    assert stored.startswith(f"v1:{ring.current_id}:")
    assert ring.decrypt(stored, "42:id_number") == "11010519491231002X"
    assert ring.encrypt("same", "1:x") != ring.encrypt("same", "1:x"), "a fresh nonce each time"


def test_bound_to_its_record():
    ring = crypto.Keyring(KEY_A)
    stored = ring.encrypt("secret", "42:id_number")
    with pytest.raises(crypto.Locked) as error:
        ring.decrypt(stored, "43:id_number")
    assert error.value.code == "altered"


def test_missing_wrong_and_bad_keys():
    stored = crypto.Keyring(KEY_A).encrypt("secret", "1:x")
    with pytest.raises(crypto.Locked) as error:
        crypto.Keyring().decrypt(stored, "1:x")
    assert error.value.code == "no_key"
    with pytest.raises(crypto.Locked) as error:
        crypto.Keyring().encrypt("secret", "1:x")
    assert error.value.code == "no_key"
    with pytest.raises(crypto.Locked) as error:
        crypto.Keyring(KEY_B).decrypt(stored, "1:x")
    assert (error.value.code, error.value.key_id) == ("unknown_key", crypto.Keyring(KEY_A).current_id)
    for bad in ("not base64!!", "c2hvcnQ="):
        with pytest.raises(crypto.Locked) as error:
            crypto.Keyring(bad)
        assert error.value.code == "bad_key"


def test_tampered_value():
    ring = crypto.Keyring(KEY_A)
    stored = ring.encrypt("secret", "1:x")
    flipped = stored[:-6] + ("A" if stored[-6] != "A" else "B") + stored[-5:]
    for broken in (flipped, "v1:zz", "garbage", stored.replace("v1:", "v9:")):
        with pytest.raises(crypto.Locked) as error:
            ring.decrypt(broken, "1:x")
        assert error.value.code in ("altered", "unknown_key")


def test_rotation_reads_old_writes_new():
    old_ring = crypto.Keyring(KEY_A)
    stored = old_ring.encrypt("secret", "1:x")
    ring = crypto.Keyring(KEY_B, old=[KEY_A])
    assert ring.decrypt(stored, "1:x") == "secret"
    rotated = ring.encrypt(ring.decrypt(stored, "1:x"), "1:x")
    assert crypto.Keyring.key_of(rotated) == ring.current_id != crypto.Keyring.key_of(stored)
    assert crypto.Keyring(KEY_B).decrypt(rotated, "1:x") == "secret"
