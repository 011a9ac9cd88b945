"""Keyset cursors from page tokens: a hand-made cursor of the wrong shape is a clear error."""

import datetime

import pytest

from arena.kit.errors import InvalidArgument
from arena.kit.pagination import keyset_cursor


@pytest.mark.parametrize("cursor", [[1], [1, "x"], ["not a time", "x"], ["2026-01-01T00:00:00+00:00", 5], [None, None]])
def test_a_hand_made_page_cursor_of_the_wrong_shape_is_invalid_argument(cursor):
    with pytest.raises(InvalidArgument) as caught:
        keyset_cursor(cursor, datetime.datetime, str)
    assert caught.value.reason == "INVALID_PAGE_TOKEN"


def test_a_good_cursor_comes_back_with_its_time_parsed():
    when, last_id = keyset_cursor(["2026-01-01T00:00:00+00:00", "p1"], datetime.datetime, str)
    assert when == datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC) and last_id == "p1"
