"""bench.instances: its table reports each caller against the baseline of the same concurrency."""

from __future__ import annotations

from bench.instances import BASELINE, KIT_ONE, KIT_TWO, table


def test_ratios_are_against_the_baseline_of_the_same_concurrency():
    samples = {
        (BASELINE, 1): [100.0, 110.0, 90.0],
        (KIT_TWO, 1): [150.0],
        (KIT_ONE, 1): [120.0],
        (BASELINE, 16): [50.0],
        (KIT_TWO, 16): [50.0],
        (KIT_ONE, 16): [75.0],
    }
    rows = table(samples).splitlines()
    assert f"| {BASELINE} | 1 | 100 | 1.00 |" in rows
    assert f"| {KIT_TWO} | 1 | 150 | 1.50 |" in rows
    assert f"| {KIT_ONE} | 16 | 75 | 1.50 |" in rows
