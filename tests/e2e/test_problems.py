"""The problem service through Envoy's REST transcoder: what setters, users and strangers see and may do."""

from __future__ import annotations

import dataclasses
import urllib.parse
import uuid

import grpc
import httpx
import pytest

from arena.launcher import Platform
from arena.problem.v1 import problem_internal_service_pb2, problem_internal_service_pb2_grpc
from e2e.conftest import admin_token, error_reason, register_and_login

pytestmark = pytest.mark.timeout(120)

# In hidden tests only: it must never show up in a reply that is not the judge's.
MARKER = f"zq-hidden-{uuid.uuid4().hex}"


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@dataclasses.dataclass(frozen=True)
class Person:
    token: str
    user_id: str

    @property
    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}


@dataclasses.dataclass(frozen=True)
class People:
    setter: Person
    other_setter: Person
    user: Person
    other_user: Person
    admin: Person


def _person(rest: httpx.Client, token: str) -> Person:
    me = rest.get("/v1/users/me", headers={"authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    return Person(token, me.json()["user"]["user_id"])


def _setter(rest: httpx.Client, admin: str) -> Person:
    name = unique("setter")
    person = _person(rest, register_and_login(rest, name))
    promoted = rest.post(
        f"/v1/users/{person.user_id}:setRole",
        json={"role": "ROLE_SETTER"},
        headers={"authorization": f"Bearer {admin}"},
    )
    assert promoted.status_code == 200, promoted.text
    return _person(rest, register_and_login(rest, name))  # a new login carries the new role


@pytest.fixture(scope="module")
def people(platform: Platform) -> People:
    with httpx.Client(base_url=platform.settings.edge_url, timeout=10) as rest:
        admin = admin_token(rest)
        return People(
            setter=_setter(rest, admin),
            other_setter=_setter(rest, admin),
            user=_person(rest, register_and_login(rest, unique("solver"))),
            other_user=_person(rest, register_and_login(rest, unique("solver"))),
            admin=_person(rest, admin),
        )


def problem_body(**changes) -> dict:
    body = {
        "title": f"Echo {uuid.uuid4().hex[:8]}",
        "statement": "Print the input back.",
        "difficulty": "DIFFICULTY_MEDIUM",
        "tags": [unique("tag")],
        "time_limit": "1.500s",
        "memory_limit_kib": 65536,
        "checker": {"kind": "CHECKER_KIND_FLOAT", "absolute_tolerance": 0.001, "relative_tolerance": 0.0001},
        "sample_tests": [{"input": "hello\n", "expected_output": "hello\n", "explanation": "as is"}],
        "hidden_tests": [
            {"input": f"{MARKER}-input\n", "expected_output": f"{MARKER}-output\n", "explanation": f"{MARKER}-why"},
            {"input": "2\n", "expected_output": "2\n"},
        ],
    }
    body.update(changes)
    return body


def query_string(params: dict) -> str:
    """Spaces as `%20`: the edge does not read `+` as a space (see test_a_plus_in_the_query_string_is_a_space)."""
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def create(rest: httpx.Client, who: Person, **changes) -> dict:
    response = rest.post("/v1/problems", json=problem_body(**changes), headers=who.auth)
    assert response.status_code == 200, response.text
    assert MARKER not in response.text
    return response.json()["problem"]


def _hidden_tests_fields(value) -> list:
    if isinstance(value, dict):
        found = [v for k, v in value.items() if k in ("hidden_tests", "hiddenTests")]
        return found + [f for v in value.values() for f in _hidden_tests_fields(v)]
    if isinstance(value, list):
        return [f for v in value for f in _hidden_tests_fields(v)]
    return []


def assert_no_hidden_data(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url}"
    assert MARKER not in response.text, f"{where} leaked a hidden test"
    assert all(f == [] for f in _hidden_tests_fields(response.json())), f"{where} returned hidden tests"


# -- create ----------------------------------------------------------------------------------------


def test_a_setter_creates_a_problem_and_gets_snake_case_json(rest: httpx.Client, people: People):
    slug = unique("echo-")
    response = rest.post("/v1/problems", json=problem_body(slug=slug), headers=people.setter.auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert_no_hidden_data(response)
    problem = response.json()["problem"]
    assert problem["slug"] == slug and len(problem["problem_id"]) == 32
    assert problem["author_id"] == people.setter.user_id
    assert problem["difficulty"] == "DIFFICULTY_MEDIUM"
    assert problem["time_limit"] == "1.500s" and problem["memory_limit_kib"] == 65536
    assert problem["checker"] == {
        "kind": "CHECKER_KIND_FLOAT",
        "absolute_tolerance": 0.001,
        "relative_tolerance": 0.0001,
        "program_language_id": "",
        "program_source": "",
    }
    assert (problem["test_groups"], problem["run_whole_failed_groups"]) == ([], False)
    assert problem["visibility"] == "VISIBILITY_PUBLIC"
    assert problem["hidden_test_count"] == 2
    assert problem["sample_tests"] == [
        {"ordinal": 1, "input": "hello\n", "expected_output": "hello\n", "sample": True, "explanation": "as is"}
    ]
    # Zero values are printed, names are the proto's.
    assert (problem["like_count"], problem["bookmark_count"], problem["liked"], problem["bookmarked"]) == (
        0,
        0,
        False,
        False,
    )
    assert problem["revision"] == 1
    assert {"create_time", "update_time"} <= set(problem)
    assert "problemId" not in problem and "hiddenTestCount" not in problem


def test_defaults_apply_when_fields_are_left_out(rest: httpx.Client, people: People):
    body = {"title": f"Defaults {uuid.uuid4().hex[:6]}", "statement": "s", "difficulty": "DIFFICULTY_EASY"}
    response = rest.post("/v1/problems", json=body, headers=people.setter.auth)
    assert response.status_code == 200, response.text
    problem = response.json()["problem"]
    assert problem["slug"] == body["title"].lower().replace(" ", "-")
    assert problem["time_limit"] == "1s" and problem["memory_limit_kib"] == 262144
    assert problem["checker"]["kind"] == "CHECKER_KIND_TOKENS"
    assert problem["hidden_test_count"] == 0 and problem["sample_tests"] == [] and problem["tags"] == []


@pytest.mark.parametrize("kind", ["CHECKER_KIND_EXACT", "CHECKER_KIND_TOKENS"])
def test_the_checker_choice_is_stored(rest: httpx.Client, people: People, kind: str):
    problem = create(rest, people.setter, checker={"kind": kind})
    got = rest.get(f"/v1/problems/{problem['problem_id']}").json()["problem"]
    assert got["checker"]["kind"] == kind


def test_users_and_strangers_cannot_create(rest: httpx.Client, people: People):
    refused = rest.post("/v1/problems", json=problem_body(), headers=people.user.auth)
    assert refused.status_code == 403 and error_reason(refused.json()) == "ROLE_REQUIRED"
    assert rest.post("/v1/problems", json=problem_body()).status_code == 401
    admin = rest.post("/v1/problems", json=problem_body(), headers=people.admin.auth)
    assert admin.status_code == 200, admin.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "   "}, "problem.title"),
        ({"slug": "Not A Slug"}, "problem.slug"),
        ({"time_limit": "30s"}, "problem.time_limit"),
        ({"memory_limit_kib": 1024}, "problem.memory_limit_kib"),
        ({"tags": ["Has Space"]}, "problem.tags"),
        ({"checker": {"kind": "CHECKER_KIND_FLOAT", "absolute_tolerance": 2.5}}, "problem.checker.absolute_tolerance"),
        ({"difficulty": "DIFFICULTY_UNSPECIFIED"}, "problem.difficulty"),
    ],
)
def test_invalid_problems_are_400_with_the_field(rest: httpx.Client, people: People, changes: dict, field: str):
    response = rest.post("/v1/problems", json=problem_body(**changes), headers=people.setter.auth)
    assert response.status_code == 400, response.text
    violations = next(d for d in response.json()["details"] if d["@type"].endswith("BadRequest"))["field_violations"]
    assert field in {v["field"] for v in violations}


def test_a_taken_slug_is_409_slug_taken(rest: httpx.Client, people: People):
    slug = unique("taken-")
    create(rest, people.setter, slug=slug)
    again = rest.post("/v1/problems", json=problem_body(slug=slug), headers=people.other_setter.auth)
    assert again.status_code == 409 and error_reason(again.json()) == "SLUG_TAKEN"


# -- get and list ----------------------------------------------------------------------------------


def test_get_by_id_or_slug_for_anyone(rest: httpx.Client, people: People):
    created = create(rest, people.setter)
    for key in (created["problem_id"], created["slug"]):
        for headers in ({}, people.user.auth, people.other_setter.auth):
            response = rest.get(f"/v1/problems/{key}", headers=headers)
            assert response.status_code == 200, response.text
            assert_no_hidden_data(response)
            got = response.json()["problem"]
            assert got["problem_id"] == created["problem_id"] and got["title"] == created["title"]
            assert got["hidden_test_count"] == 2 and len(got["sample_tests"]) == 1
    missing = rest.get(f"/v1/problems/{unique('missing-')}")
    assert missing.status_code == 404 and missing.json()["code"] == 5


def test_list_filters_sorts_and_pages(rest: httpx.Client, people: People):
    tag = unique("set")
    word = uuid.uuid4().hex[:10]
    made = [
        create(rest, people.setter, title=f"A {word} apple", tags=[tag], difficulty="DIFFICULTY_EASY"),
        create(rest, people.setter, title=f"B {word} banana", tags=[tag, "fruit"], difficulty="DIFFICULTY_HARD"),
        create(rest, people.other_setter, title=f"C {word} cherry", tags=[tag], difficulty="DIFFICULTY_HARD"),
        create(rest, people.other_setter, title=f"D {word} date", tags=[tag], difficulty="DIFFICULTY_MEDIUM"),
        create(rest, people.setter, title=f"E {word.upper()} elder", tags=[unique("other")]),
    ]

    def listed(**params) -> tuple[list[str], dict]:
        response = rest.get(f"/v1/problems?{query_string(params)}", headers=people.user.auth)
        assert response.status_code == 200, response.text
        assert_no_hidden_data(response)
        body = response.json()
        return [p["title"] for p in body["problems"]], body

    titles, body = listed(tag=tag, order_by="title")
    assert titles == [p["title"] for p in made[:4]] and body["total_size"] == 4 and body["next_page_token"] == ""
    assert all(p["sample_tests"] == [] and p["hidden_test_count"] == 2 for p in body["problems"])
    assert listed(tag=tag, difficulty="DIFFICULTY_HARD", order_by="title")[0] == [made[1]["title"], made[2]["title"]]
    assert listed(query=word, order_by="title")[0] == [p["title"] for p in made]  # case-insensitive
    assert listed(query=f"{word} CHERRY")[0] == [made[2]["title"]]
    assert listed(tag=tag, order_by="create_time desc")[0] == [p["title"] for p in reversed(made[:4])]
    hard = sorted(made[1:3], key=lambda p: p["problem_id"])  # ties broken by id
    assert listed(tag=tag, order_by="difficulty")[0] == [p["title"] for p in (made[0], made[3], *hard)]

    seen, token, pages = [], "", 0
    while True:
        titles, body = listed(tag=tag, order_by="create_time", page_size=3, page_token=token)
        assert body["total_size"] == 4
        seen.extend(titles)
        pages += 1
        token = body["next_page_token"]
        if not token:
            break
    assert seen == [p["title"] for p in made[:4]] and pages == 2

    garbage = rest.get("/v1/problems", params={"tag": tag, "page_token": "not-a-token"})
    assert garbage.status_code == 400 and error_reason(garbage.json()) == "INVALID_PAGE_TOKEN"
    bad_order = rest.get("/v1/problems", params={"order_by": "random"})
    assert bad_order.status_code == 400


def test_a_plus_in_the_query_string_is_a_space(rest: httpx.Client, people: People):
    word = uuid.uuid4().hex[:10]
    created = create(rest, people.setter, title=f"Plus {word} sign")
    # httpx, like HTML forms and URLSearchParams, encodes a space as `+`.
    found = rest.get("/v1/problems", params={"query": f"{word} sign", "order_by": "create_time desc"})
    assert found.status_code == 200, found.text
    assert [p["problem_id"] for p in found.json()["problems"]] == [created["problem_id"]]


def test_a_page_token_belongs_to_its_query(rest: httpx.Client, people: People):
    tag = unique("pt")
    for _ in range(3):
        create(rest, people.setter, tags=[tag])
    first = rest.get("/v1/problems", params={"tag": tag, "page_size": 1}).json()
    assert len(first["problems"]) == 1 and first["next_page_token"]
    other = rest.get("/v1/problems", params={"tag": unique("pt"), "page_token": first["next_page_token"]})
    assert other.status_code == 400 and error_reason(other.json()) == "INVALID_PAGE_TOKEN"


def test_the_demo_problems_are_listed(rest: httpx.Client):
    slugs = set()
    token = ""
    while True:
        body = rest.get("/v1/problems", params={"page_size": 100, "page_token": token}).json()
        slugs.update(p["slug"] for p in body["problems"])
        token = body["next_page_token"]
        if not token:
            break
    assert {"a-plus-b", "mean-value", "prime-sieve", "reverse-a-string"} <= slugs


def test_hidden_visibility_is_404_for_others(rest: httpx.Client, people: People):
    tag = unique("vis")
    created = create(rest, people.setter, visibility="VISIBILITY_HIDDEN", tags=[tag])
    for headers in ({}, people.user.auth, people.other_setter.auth):
        assert rest.get(f"/v1/problems/{created['problem_id']}", headers=headers).status_code == 404
        assert rest.get("/v1/problems", params={"tag": tag}, headers=headers).json()["total_size"] == 0
    for insider in (people.setter, people.admin):
        assert rest.get(f"/v1/problems/{created['slug']}", headers=insider.auth).status_code == 200
        assert rest.get("/v1/problems", params={"tag": tag}, headers=insider.auth).json()["total_size"] == 1


# -- update ---------------------------------------------------------------------------------------


def test_update_with_a_mask_changes_only_those_fields(rest: httpx.Client, people: People):
    created = create(rest, people.setter)
    new_tag = unique("upd")
    response = rest.patch(
        f"/v1/problems/{created['problem_id']}",
        params={"update_mask": "title,tags"},
        json={"title": "Renamed", "tags": [new_tag], "statement": "ignored: not in the mask", "slug": "ignored-too"},
        headers=people.setter.auth,
    )
    assert response.status_code == 200, response.text
    assert_no_hidden_data(response)
    updated = response.json()["problem"]
    assert updated["title"] == "Renamed" and updated["tags"] == [new_tag]
    assert updated["statement"] == created["statement"] and updated["slug"] == created["slug"]
    assert updated["revision"] == 2 and updated["hidden_test_count"] == 2
    assert updated["checker"] == created["checker"] and updated["time_limit"] == created["time_limit"]
    got = rest.get(f"/v1/problems/{created['slug']}").json()["problem"]
    assert got["title"] == "Renamed" and got["revision"] == 2
    assert rest.get("/v1/problems", params={"tag": new_tag}).json()["total_size"] == 1

    hidden = rest.patch(
        f"/v1/problems/{created['problem_id']}",
        params={"update_mask": "hidden_tests,checker"},
        json={
            "hidden_tests": [{"input": f"{MARKER}-new", "expected_output": "x"}],
            "checker": {"kind": "CHECKER_KIND_EXACT"},
        },
        headers=people.setter.auth,
    )
    assert hidden.status_code == 200, hidden.text
    assert_no_hidden_data(hidden)
    assert hidden.json()["problem"]["hidden_test_count"] == 1
    assert hidden.json()["problem"]["checker"]["kind"] == "CHECKER_KIND_EXACT"


def test_update_refuses_unknown_mask_fields_and_bad_values(rest: httpx.Client, people: People):
    created = create(rest, people.setter)
    for mask in ("author_id", "like_count", "nonsense", "title,revision"):
        response = rest.patch(
            f"/v1/problems/{created['problem_id']}",
            params={"update_mask": mask},
            json={"title": "x", "author_id": people.other_setter.user_id},
            headers=people.setter.auth,
        )
        assert response.status_code == 400, mask
        assert error_reason(response.json()) == "INVALID_UPDATE_MASK", mask
    bad = rest.patch(
        f"/v1/problems/{created['problem_id']}",
        params={"update_mask": "title"},
        json={"title": ""},
        headers=people.setter.auth,
    )
    assert bad.status_code == 400
    got = rest.get(f"/v1/problems/{created['problem_id']}").json()["problem"]
    assert got["title"] == created["title"] and got["revision"] == 1 and got["author_id"] == people.setter.user_id


def test_only_the_author_or_an_admin_may_update_or_delete(rest: httpx.Client, people: People):
    created = create(rest, people.setter)
    url = f"/v1/problems/{created['problem_id']}"
    other = rest.patch(
        url, params={"update_mask": "title"}, json={"title": "Hijacked"}, headers=people.other_setter.auth
    )
    assert other.status_code == 403 and error_reason(other.json()) == "NOT_OWNER"
    user = rest.patch(url, params={"update_mask": "title"}, json={"title": "Hijacked"}, headers=people.user.auth)
    assert user.status_code == 403 and error_reason(user.json()) == "ROLE_REQUIRED"
    deleted_by_other = rest.delete(url, headers=people.other_setter.auth)
    assert deleted_by_other.status_code == 403 and error_reason(deleted_by_other.json()) == "NOT_OWNER"
    assert rest.delete(url, headers=people.user.auth).status_code == 403
    assert rest.get(url).json()["problem"]["title"] == created["title"]
    admin = rest.patch(url, params={"update_mask": "title"}, json={"title": "By Admin"}, headers=people.admin.auth)
    assert admin.status_code == 200 and admin.json()["problem"]["author_id"] == people.setter.user_id
    assert rest.delete(url, headers=people.admin.auth).status_code == 200
    assert rest.get(url).status_code == 404


def test_update_the_time_limit(rest: httpx.Client, people: People):
    created = create(rest, people.setter)
    response = rest.patch(
        f"/v1/problems/{created['problem_id']}",
        params={"update_mask": "time_limit"},
        json={"time_limit": "2.500s"},
        headers=people.setter.auth,
    )
    assert response.status_code == 200, response.text
    assert response.json()["problem"]["time_limit"] == "2.500s"


# -- delete ---------------------------------------------------------------------------------------


def test_a_deleted_problem_is_404_and_not_listed(rest: httpx.Client, people: People):
    tag = unique("del")
    created = create(rest, people.setter, tags=[tag])
    kept = create(rest, people.setter, tags=[tag])
    assert (
        rest.post(
            f"/v1/problems/{created['problem_id']}:bookmark", json={"bookmarked": True}, headers=people.user.auth
        ).status_code
        == 200
    )
    response = rest.delete(f"/v1/problems/{created['problem_id']}", headers=people.setter.auth)
    assert response.status_code == 200 and response.json() == {}
    for key in (created["problem_id"], created["slug"]):
        for headers in ({}, people.setter.auth, people.admin.auth):
            assert rest.get(f"/v1/problems/{key}", headers=headers).status_code == 404
    listed = rest.get("/v1/problems", params={"tag": tag}, headers=people.admin.auth).json()
    assert [p["problem_id"] for p in listed["problems"]] == [kept["problem_id"]] and listed["total_size"] == 1
    bookmarks = rest.get("/v1/bookmarks", params={"page_size": 100}, headers=people.user.auth).json()["problems"]
    assert created["problem_id"] not in {p["problem_id"] for p in bookmarks}
    assert rest.delete(f"/v1/problems/{created['problem_id']}", headers=people.setter.auth).status_code == 404
    like = rest.post(f"/v1/problems/{created['problem_id']}:like", json={"liked": True}, headers=people.user.auth)
    assert like.status_code == 404


# -- likes and bookmarks --------------------------------------------------------------------------


def test_likes_are_idempotent_and_counted_per_user(rest: httpx.Client, people: People):
    created = create(rest, people.setter)
    url = f"/v1/problems/{created['problem_id']}:like"

    def like(who: Person, liked: bool) -> dict:
        response = rest.post(url, json={"liked": liked}, headers=who.auth)
        assert response.status_code == 200, response.text
        return response.json()

    assert like(people.user, True) == {"liked": True, "like_count": 1}
    assert like(people.user, True) == {"liked": True, "like_count": 1}
    assert like(people.other_user, True) == {"liked": True, "like_count": 2}
    mine = rest.get(f"/v1/problems/{created['slug']}", headers=people.user.auth).json()["problem"]
    assert mine["liked"] is True and mine["like_count"] == 2
    assert rest.get(f"/v1/problems/{created['slug']}", headers=people.setter.auth).json()["problem"]["liked"] is False
    assert rest.get(f"/v1/problems/{created['slug']}").json()["problem"]["liked"] is False
    assert like(people.user, False) == {"liked": False, "like_count": 1}
    assert like(people.user, False) == {"liked": False, "like_count": 1}
    assert like(people.other_user, False) == {"liked": False, "like_count": 0}
    assert rest.post(url, json={"liked": True}).status_code == 401


def test_bookmarks_are_idempotent_and_listed_newest_first(rest: httpx.Client, people: People):
    reader = _person(rest, register_and_login(rest, unique("reader")))
    made = [create(rest, people.setter, title=f"Bookmark {i} {uuid.uuid4().hex[:6]}") for i in range(3)]

    def bookmark(who: Person, problem: dict, on: bool) -> dict:
        response = rest.post(
            f"/v1/problems/{problem['problem_id']}:bookmark", json={"bookmarked": on}, headers=who.auth
        )
        assert response.status_code == 200, response.text
        return response.json()

    for problem in made:
        assert bookmark(reader, problem, True) == {"bookmarked": True, "bookmark_count": 1}
    assert bookmark(reader, made[0], True) == {"bookmarked": True, "bookmark_count": 1}
    assert bookmark(people.other_user, made[0], True) == {"bookmarked": True, "bookmark_count": 2}

    seen, token = [], ""
    while True:
        response = rest.get("/v1/bookmarks", params={"page_size": 2, "page_token": token}, headers=reader.auth)
        assert response.status_code == 200, response.text
        assert_no_hidden_data(response)
        body = response.json()
        assert len(body["problems"]) <= 2 and all(p["bookmarked"] for p in body["problems"])
        seen.extend(p["problem_id"] for p in body["problems"])
        token = body["next_page_token"]
        if not token:
            break
    assert seen == [p["problem_id"] for p in reversed(made)]

    assert bookmark(reader, made[1], False) == {"bookmarked": False, "bookmark_count": 0}
    left = rest.get("/v1/bookmarks", headers=reader.auth).json()["problems"]
    assert [p["problem_id"] for p in left] == [made[2]["problem_id"], made[0]["problem_id"]]
    assert rest.get("/v1/bookmarks").status_code == 401


# -- hidden tests stay private ---------------------------------------------------------------------


def test_hidden_tests_never_reach_anyone_but_the_author_and_the_judge(rest: httpx.Client, people: People):
    tag = unique("sec")
    created = create(rest, people.setter, tags=[tag], title=f"Secret tests {uuid.uuid4().hex[:6]}")
    problem_id, slug = created["problem_id"], created["slug"]
    responses = []
    for who in (None, people.user, people.other_setter):
        headers = who.auth if who else {}
        responses += [
            rest.get(f"/v1/problems/{problem_id}", headers=headers),
            rest.get(f"/v1/problems/{slug}", headers=headers),
            rest.get("/v1/problems", params={"tag": tag}, headers=headers),
            rest.get(f"/v1/problems?{query_string({'query': created['title']})}", headers=headers),
            rest.get(f"/v1/problems/{slug}/tests", headers=headers),
        ]
        if who is not None:
            responses += [
                rest.post(f"/v1/problems/{problem_id}:like", json={"liked": True}, headers=headers),
                rest.post(f"/v1/problems/{problem_id}:bookmark", json={"bookmarked": True}, headers=headers),
                rest.get("/v1/bookmarks", headers=headers),
                rest.patch(
                    f"/v1/problems/{problem_id}",
                    params={"update_mask": "title"},
                    json={"title": "x"},
                    headers=headers,
                ),
            ]
    # The author's own replies carry counts only, except the test listing meant for them.
    responses += [
        rest.get(f"/v1/problems/{problem_id}", headers=people.setter.auth),
        rest.patch(
            f"/v1/problems/{problem_id}",
            params={"update_mask": "statement"},
            json={"statement": "Print the input back, again."},
            headers=people.setter.auth,
        ),
    ]
    for response in responses:
        assert response.status_code in (200, 403), (response.request.url, response.text)
        assert_no_hidden_data(response)
    # The replies did carry the problem (the check above is not vacuous).
    assert responses[0].json()["problem"]["hidden_test_count"] == 2
    for listing in responses[2:4]:
        assert [p["problem_id"] for p in listing.json()["problems"]] == [problem_id]
    assert problem_id in {p["problem_id"] for p in responses[7].json()["problems"]}  # the user's bookmarks
    tests = rest.get(f"/v1/problems/{problem_id}/tests", headers=people.user.auth).json()
    assert tests["hidden_included"] is False
    assert [t["input"] for t in tests["tests"]] == ["hello\n"] and tests["tests"][0]["sample"] is True
    own = rest.get(f"/v1/problems/{problem_id}/tests", headers=people.setter.auth).json()
    assert own["hidden_included"] is True
    assert [t["input"] for t in own["tests"]] == ["hello\n", f"{MARKER}-input\n", "2\n"]
    assert own["tests"][1]["explanation"] == ""  # hidden tests keep no explanation
    admin = rest.get(f"/v1/problems/{problem_id}/tests", headers=people.admin.auth).json()
    assert admin["hidden_included"] is True and len(admin["tests"]) == 3


async def test_the_judge_bundle_has_every_test(platform: Platform, rest: httpx.Client, people: People):
    created = create(rest, people.setter, checker={"kind": "CHECKER_KIND_EXACT"})
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.ports['problem'].grpc}") as channel:
        stub = problem_internal_service_pb2_grpc.ProblemInternalServiceStub(channel)
        reply = await stub.GetJudgeBundle(
            problem_internal_service_pb2.GetJudgeBundleRequest(problem_id=created["problem_id"]), timeout=10
        )
    bundle = reply.bundle
    assert bundle.problem_id == created["problem_id"] and bundle.revision == 1
    assert [(t.ordinal, t.sample, t.input, t.expected_output) for t in bundle.tests] == [
        (1, True, "hello\n", "hello\n"),
        (2, False, f"{MARKER}-input\n", f"{MARKER}-output\n"),
        (3, False, "2\n", "2\n"),
    ]
    assert bundle.time_limit.ToMilliseconds() == 1500 and bundle.memory_limit_kib == 65536
    assert bundle.checker.kind == 1  # CHECKER_KIND_EXACT
    # The edge does not route it: the judge's door is not the public one.
    assert rest.post("/arena.problem.v1.ProblemInternalService/GetJudgeBundle", json={}).status_code == 404


# -- the list is cached, never stale for the writer -----------------------------------------------


def test_a_list_read_right_after_a_write_shows_the_write(rest: httpx.Client, people: People):
    """Pages are kept serialized for seconds: every write through the service must drop them at once."""
    tag = unique("fresh")

    def page(who: Person | None) -> list[dict]:
        headers = who.auth if who else {}
        response = rest.get("/v1/problems", params={"tag": tag, "page_size": 20}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["problems"]

    first = create(rest, people.setter, tags=[tag])
    assert [p["problem_id"] for p in page(None)] == [first["problem_id"]]
    assert [p["problem_id"] for p in page(people.user)] == [first["problem_id"]]
    second = create(rest, people.setter, tags=[tag])
    assert [p["problem_id"] for p in page(None)] == [second["problem_id"], first["problem_id"]]
    liked = rest.post(f"/v1/problems/{first['problem_id']}:like", json={"liked": True}, headers=people.user.auth)
    assert liked.status_code == 200
    mine = {p["problem_id"]: p for p in page(people.user)}[first["problem_id"]]
    assert mine["liked"] is True and mine["like_count"] == 1
    assert {p["problem_id"]: p for p in page(None)}[first["problem_id"]]["liked"] is False
    hide = rest.patch(
        f"/v1/problems/{second['problem_id']}",
        params={"update_mask": "visibility"},
        json={"visibility": "VISIBILITY_HIDDEN"},
        headers=people.setter.auth,
    )
    assert hide.status_code == 200, hide.text
    assert [p["problem_id"] for p in page(None)] == [first["problem_id"]]
    assert [p["problem_id"] for p in page(people.setter)] == [second["problem_id"], first["problem_id"]]
    assert rest.delete(f"/v1/problems/{first['problem_id']}", headers=people.setter.auth).status_code == 200
    assert page(None) == [] and all(not p["sample_tests"] for p in page(people.setter))


# -- subtasks and checker programs ------------------------------------------------------------------

CHECKER_SOURCE = "import sys\nsys.exit(0)  # checker-source-marker\n"


def test_demo_subtasks_are_public_and_a_checker_programs_source_never_is(rest: httpx.Client):
    subtasks = rest.get("/v1/problems/triangular-numbers").json()["problem"]
    assert subtasks["test_groups"] == [
        {"name": "n ≤ 1000", "points": 40, "test_ordinals": [3, 4, 5]},
        {"name": "n ≤ 10⁹", "points": 60, "test_ordinals": [6, 7, 8]},
    ]
    checked = rest.get("/v1/problems/divisor-pair").json()["problem"]
    assert checked["checker"]["kind"] == "CHECKER_KIND_PROGRAM"
    assert checked["checker"]["program_language_id"] == "python3"
    assert checked["checker"].get("program_source", "") == ""  # INPUT_ONLY: only the judge bundle carries it


async def test_groups_and_the_checker_program_reach_the_judge_bundle_only(
    platform: Platform, rest: httpx.Client, people: People
):
    groups = [{"name": "hidden ones", "points": 100, "test_ordinals": [2, 3]}]
    checker = {"kind": "CHECKER_KIND_PROGRAM", "program_language_id": "python3", "program_source": CHECKER_SOURCE}
    created = create(rest, people.setter, checker=checker, test_groups=groups, run_whole_failed_groups=True)
    assert "checker-source-marker" not in rest.get(f"/v1/problems/{created['problem_id']}").text
    assert created["test_groups"] == groups and created["run_whole_failed_groups"] is True
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.ports['problem'].grpc}") as channel:
        stub = problem_internal_service_pb2_grpc.ProblemInternalServiceStub(channel)
        reply = await stub.GetJudgeBundle(
            problem_internal_service_pb2.GetJudgeBundleRequest(problem_id=created["problem_id"]), timeout=10
        )
    bundle = reply.bundle
    assert (bundle.checker.program_language_id, bundle.checker.program_source) == ("python3", CHECKER_SOURCE)
    assert [(g.name, g.points, list(g.test_ordinals)) for g in bundle.test_groups] == [("hidden ones", 100, [2, 3])]
    assert bundle.run_whole_failed_groups is True


def test_bad_test_groups_and_checker_programs_are_field_violations(rest: httpx.Client, people: People):
    body = problem_body(
        test_groups=[
            {"name": "a", "points": -5, "test_ordinals": [1, 2]},
            {"name": "b", "points": 10, "test_ordinals": [2]},
            {"name": "c", "points": 10},
        ],
        checker={"kind": "CHECKER_KIND_PROGRAM"},
    )
    response = rest.post("/v1/problems", json=body, headers=people.setter.auth)
    assert response.status_code == 400, response.text
    violations = next(d for d in response.json()["details"] if d["@type"].endswith("BadRequest"))["field_violations"]
    assert {v["field"] for v in violations} == {
        "problem.test_groups[0].points",
        "problem.test_groups[1].test_ordinals",
        "problem.test_groups[2].test_ordinals",
        "problem.checker.program_language_id",
        "problem.checker.program_source",
    }
