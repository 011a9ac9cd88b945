"""Sandbox uids are claimed machine-wide, so two judges never run code as the same uid."""

import os

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
