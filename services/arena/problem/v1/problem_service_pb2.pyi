from arena.common.v1 import access_pb2 as _access_pb2
from arena.problem.v1 import problem_pb2 as _problem_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateProblemRequest(_message.Message):
    __slots__ = ("problem",)
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    problem: _problem_pb2.Problem
    def __init__(self, problem: _Optional[_Union[_problem_pb2.Problem, _Mapping]] = ...) -> None: ...

class CreateProblemResponse(_message.Message):
    __slots__ = ("problem",)
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    problem: _problem_pb2.Problem
    def __init__(self, problem: _Optional[_Union[_problem_pb2.Problem, _Mapping]] = ...) -> None: ...

class GetProblemRequest(_message.Message):
    __slots__ = ("problem_id",)
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    def __init__(self, problem_id: _Optional[str] = ...) -> None: ...

class GetProblemResponse(_message.Message):
    __slots__ = ("problem",)
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    problem: _problem_pb2.Problem
    def __init__(self, problem: _Optional[_Union[_problem_pb2.Problem, _Mapping]] = ...) -> None: ...

class ListProblemsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "difficulty", "tag", "query", "order_by")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DIFFICULTY_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    difficulty: _problem_pb2.Difficulty
    tag: str
    query: str
    order_by: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., difficulty: _Optional[_Union[_problem_pb2.Difficulty, str]] = ..., tag: _Optional[str] = ..., query: _Optional[str] = ..., order_by: _Optional[str] = ...) -> None: ...

class ListProblemsResponse(_message.Message):
    __slots__ = ("problems", "next_page_token", "total_size")
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    problems: _containers.RepeatedCompositeFieldContainer[_problem_pb2.Problem]
    next_page_token: str
    total_size: int
    def __init__(self, problems: _Optional[_Iterable[_Union[_problem_pb2.Problem, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateProblemRequest(_message.Message):
    __slots__ = ("problem", "update_mask")
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    problem: _problem_pb2.Problem
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, problem: _Optional[_Union[_problem_pb2.Problem, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateProblemResponse(_message.Message):
    __slots__ = ("problem",)
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    problem: _problem_pb2.Problem
    def __init__(self, problem: _Optional[_Union[_problem_pb2.Problem, _Mapping]] = ...) -> None: ...

class DeleteProblemRequest(_message.Message):
    __slots__ = ("problem_id",)
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    def __init__(self, problem_id: _Optional[str] = ...) -> None: ...

class DeleteProblemResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTestCasesRequest(_message.Message):
    __slots__ = ("problem_id",)
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    def __init__(self, problem_id: _Optional[str] = ...) -> None: ...

class ListTestCasesResponse(_message.Message):
    __slots__ = ("tests", "hidden_included")
    TESTS_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_INCLUDED_FIELD_NUMBER: _ClassVar[int]
    tests: _containers.RepeatedCompositeFieldContainer[_problem_pb2.TestCase]
    hidden_included: bool
    def __init__(self, tests: _Optional[_Iterable[_Union[_problem_pb2.TestCase, _Mapping]]] = ..., hidden_included: _Optional[bool] = ...) -> None: ...

class LikeProblemRequest(_message.Message):
    __slots__ = ("problem_id", "liked")
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    LIKED_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    liked: bool
    def __init__(self, problem_id: _Optional[str] = ..., liked: _Optional[bool] = ...) -> None: ...

class LikeProblemResponse(_message.Message):
    __slots__ = ("liked", "like_count")
    LIKED_FIELD_NUMBER: _ClassVar[int]
    LIKE_COUNT_FIELD_NUMBER: _ClassVar[int]
    liked: bool
    like_count: int
    def __init__(self, liked: _Optional[bool] = ..., like_count: _Optional[int] = ...) -> None: ...

class BookmarkProblemRequest(_message.Message):
    __slots__ = ("problem_id", "bookmarked")
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    BOOKMARKED_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    bookmarked: bool
    def __init__(self, problem_id: _Optional[str] = ..., bookmarked: _Optional[bool] = ...) -> None: ...

class BookmarkProblemResponse(_message.Message):
    __slots__ = ("bookmarked", "bookmark_count")
    BOOKMARKED_FIELD_NUMBER: _ClassVar[int]
    BOOKMARK_COUNT_FIELD_NUMBER: _ClassVar[int]
    bookmarked: bool
    bookmark_count: int
    def __init__(self, bookmarked: _Optional[bool] = ..., bookmark_count: _Optional[int] = ...) -> None: ...

class ListBookmarksRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListBookmarksResponse(_message.Message):
    __slots__ = ("problems", "next_page_token")
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    problems: _containers.RepeatedCompositeFieldContainer[_problem_pb2.Problem]
    next_page_token: str
    def __init__(self, problems: _Optional[_Iterable[_Union[_problem_pb2.Problem, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
