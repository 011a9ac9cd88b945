"""The demo contestants keep competing while ``make up`` runs, so the demo contest's board moves live.

Every ``interval_s`` (jittered) one simulated contestant submits to a demo contest problem they have not
solved yet: a wrong or slow attempt first, the accepted solution later, in a language of their own. The
submissions go through the public REST API and the real judge like anyone's. It stops by itself when the
platform stops (``stop``), when the contest is over, or once every contestant has solved everything.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import structlog

from arena.demo.contest import DEMO_CONTESTANT_PASSWORD, DEMO_CONTESTANTS, DEMO_PROBLEMS, DEMO_SUBMISSIONS

log = structlog.get_logger("arena.demo")

Call = Callable[..., tuple[int, dict[str, Any]]]

LANGUAGES = {"demo-ada": "py", "demo-alan": "cpp", "demo-grace": "c"}
"""Each contestant's language (file extension of the solutions); Python for the wrong/slow attempts."""
WRONG_FILES = ("wrong.py", "slow.py")


def attempts(solutions: dict[str, dict[str, tuple[str, str]]], rng: random.Random) -> list[tuple[str, str, str]]:
    """The order of the simulation's submissions: (contestant, problem slug, solution file). Per contestant
    and problem not solved by the demo contest's first submissions: zero to two failing attempts, then the
    accepted one; interleaved at random."""
    solved = {(who, slug) for who, slug, file in DEMO_SUBMISSIONS if file.startswith("accepted.")}
    queues: list[list[tuple[str, str, str]]] = []
    for contestant in DEMO_CONTESTANTS:
        for slug in DEMO_PROBLEMS:
            if (contestant, slug) in solved:
                continue
            files = solutions[slug]
            failing = [f for f in WRONG_FILES if f in files]
            accepted = f"accepted.{LANGUAGES[contestant]}"
            if accepted not in files:
                accepted = "accepted.py"
            tries = [failing[0]] * rng.randint(0, 2) if failing else []
            queues.append([(contestant, slug, f) for f in [*tries, accepted]])
    order: list[tuple[str, str, str]] = []
    while queues:
        queue = rng.choice(queues)
        order.append(queue.pop(0))
        if not queue:
            queues.remove(queue)
    return order


class ContestActivity:
    """Submits the demo contestants' attempts in the background (a daemon thread) until stopped."""

    def __init__(
        self,
        call: Call,
        edge_url: str,
        contest_id: str,
        problem_ids: dict[str, str],
        *,
        interval_s: float = 20.0,
        seed: int | None = None,
    ) -> None:
        from arena.demo.problems import load

        self._call = call
        self._edge_url = edge_url
        self._contest_id = contest_id
        self._problem_ids = problem_ids
        self._interval_s = interval_s
        self._rng = random.Random(seed)
        self._solutions = {p.slug: p.solutions for p in load() if p.slug in problem_ids}
        self._plan = attempts(self._solutions, self._rng)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo contest activity", daemon=True)
        self.submitted = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _token(self, username: str) -> str | None:
        status, body = self._call(
            "POST", f"{self._edge_url}/v1/auth:login", {"username": username, "password": DEMO_CONTESTANT_PASSWORD}
        )
        return str(body["tokens"]["access_token"]) if status == 200 else None

    def submit_next(self) -> bool:
        """One attempt of the plan; False when the plan is done or the contest no longer takes submissions."""
        if not self._plan:
            return False
        contestant, slug, file = self._plan[0]
        token = self._token(contestant)
        if token is None:
            log.warning("demo contestant cannot log in", contestant=contestant)
            return True  # the user service may be restarting: try again next time
        language, source = self._solutions[slug][file]
        status, body = self._call(
            "POST",
            f"{self._edge_url}/v1/submissions",
            {
                "problem_id": self._problem_ids[slug],
                "language_id": language,
                "source": source,
                "contest_id": self._contest_id,
            },
            token=token,
        )
        if status == 200:
            self._plan.pop(0)
            self.submitted += 1
            return True
        if status == 400 or status == 403 or status == 404:  # the contest ended, or it is gone: stop
            log.info("demo contest activity stops", status=status, body=body)
            return False
        return True  # queue full or a service restarting: the same attempt next time

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s * self._rng.uniform(0.5, 1.5)):
            try:
                if not self.submit_next():
                    return
            except Exception:  # a platform going down under it: no traceback storm, try later
                log.warning("demo contest activity failed", exc_info=True)
