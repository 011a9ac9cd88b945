"""A JVM program that exhausts its heap is judged MEMORY_LIMIT_EXCEEDED, as in every other language."""

from __future__ import annotations

import pytest

from arena.execution.checkers import CheckerSpec
from arena.execution.domain import Verdict
from arena.execution.judge import Bundle, BundleTest, Judge, Steps

pytestmark = pytest.mark.timeout(180)

ALLOCATES_PAST_THE_LIMIT = """
import java.util.ArrayList;
public class Main {
    public static void main(String[] args) {
        ArrayList<long[]> keep = new ArrayList<>();
        while (true) keep.add(new long[1 << 20]);
    }
}
"""

CATCHES_ITS_OUT_OF_MEMORY_ERROR = """
import java.util.ArrayList;
public class Main {
    public static void main(String[] args) {
        try {
            ArrayList<long[]> keep = new ArrayList<>();
            while (true) keep.add(new long[1 << 20]);
        } catch (OutOfMemoryError e) {
            System.out.println("ok");
        }
    }
}
"""

EXITS_WITH_STATUS_3 = "public class Main { public static void main(String[] a) { System.exit(3); } }\n"


def bundle() -> Bundle:
    return Bundle(
        problem_id="jvm-oom",
        revision=1,
        time_limit_ms=5000,
        memory_limit_kib=64 * 1024,
        checker=CheckerSpec("TOKENS"),
        tests=(BundleTest(ordinal=1, input="", expected_output="ok\n", sample=True),),
    )


@pytest.fixture
def java(languages):
    if "java" not in languages:
        pytest.skip("no JDK on this machine")
    return languages["java"]


@pytest.mark.parametrize("source", [ALLOCATES_PAST_THE_LIMIT, CATCHES_ITS_OUT_OF_MEMORY_ERROR])
async def test_a_java_heap_exhausted_is_memory_limit_exceeded(judge: Judge, java, source: str):
    final = await judge.judge(java, source, bundle(), run_all_tests=True, steps=Steps())
    assert final.verdict is Verdict.MEMORY_LIMIT_EXCEEDED


async def test_a_java_program_exiting_with_3_by_itself_is_a_runtime_error(judge: Judge, java):
    final = await judge.judge(java, EXITS_WITH_STATUS_3, bundle(), run_all_tests=True, steps=Steps())
    assert final.verdict is Verdict.RUNTIME_ERROR
