"""The TTL cache behind hot read paths."""

from arena.kit.cache import TtlCache


def test_entries_expire_and_least_recent_ones_are_evicted():
    now = [0.0]
    cache: TtlCache[str, bytes] = TtlCache(max_entries=2, ttl_s=5, clock=lambda: now[0])
    cache.put("a", b"1")
    cache.put("b", b"2")
    assert cache.get("a") == b"1"  # a is now the most recent
    cache.put("c", b"3")
    assert cache.get("b") is None and cache.get("a") == b"1" and cache.get("c") == b"3"
    now[0] = 5.0
    assert cache.get("a") is None
    assert (cache.hits, cache.misses) == (3, 2)


def test_invalidation_by_predicate():
    cache: TtlCache[tuple[str, bool], bytes] = TtlCache()
    cache.put(("u1", True), b"x")
    cache.put(("u1", False), b"y")
    cache.put(("u2", False), b"z")
    cache.invalidate(lambda key: key[0] == "u1")
    assert cache.get(("u1", True)) is None and cache.get(("u1", False)) is None
    assert cache.get(("u2", False)) == b"z"
