"""Sandbox uids are claimed machine-wide, so two judges never run code as the same uid."""

import os
import time

import pytest

from arena.execution import sandbox
from arena.execution.sandbox import FIRST_SLOT_UID, SandboxUnavailable, claim_slot_uids


def _release(claimed):
    for _, fd in claimed:
        os.close(fd)


def test_two_claimants_get_different_uids_and_a_released_uid_is_reused(tmp_path):
    first = claim_slot_uids(2, lock_dir=tmp_path)
    second = claim_slot_uids(2, lock_dir=tmp_path)
    assert [uid for uid, _ in first] == [FIRST_SLOT_UID, FIRST_SLOT_UID + 1]
    assert {uid for uid, _ in second}.isdisjoint(uid for uid, _ in first)
    _release(first)
    third = claim_slot_uids(1, lock_dir=tmp_path)
    assert third[0][0] == FIRST_SLOT_UID
    _release(second)
    _release(third)


def test_running_out_of_uids_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "SLOT_UID_SPAN", 3)
    held = claim_slot_uids(3, lock_dir=tmp_path)
    with pytest.raises(SandboxUnavailable, match="no free sandbox uids"):
        claim_slot_uids(1, lock_dir=tmp_path)
    _release(held)


def test_a_uid_with_a_zombie_is_passed_over(tmp_path):
    """A zombie (an exited process its parent has not reaped) cannot be killed and counts against its uid."""
    child = os.fork()
    if child == 0:  # becomes the first slot uid and exits at once: a zombie until we reap it
        try:
            os.setresgid(FIRST_SLOT_UID, FIRST_SLOT_UID, FIRST_SLOT_UID)
            os.setresuid(FIRST_SLOT_UID, FIRST_SLOT_UID, FIRST_SLOT_UID)
        finally:
            os._exit(0)
    try:
        deadline = time.monotonic() + 10
        while True:  # until the kernel shows it as a zombie of the first slot uid
            with open(f"/proc/{child}/status") as status:
                text = status.read()
            if "State:\tZ" in text and f"Uid:\t{FIRST_SLOT_UID}\t" in text:
                break
            assert time.monotonic() < deadline, text
            time.sleep(0.01)
        claimed = claim_slot_uids(1, lock_dir=tmp_path)
        assert claimed[0][0] == FIRST_SLOT_UID + 1
        _release(claimed)
    finally:
        os.waitpid(child, 0)
    again = claim_slot_uids(1, lock_dir=tmp_path)
    assert again[0][0] == FIRST_SLOT_UID
    _release(again)
