"""UserService over gRPC: proto ↔ domain values, a few lines per RPC.

Nothing here decides anything: rules live in ``domain``, orchestration in ``app``. A method
reads its request (and the caller from the request context), calls one use case and builds
its response; errors raised below become statuses in the kit's middleware.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeAlias, cast

import grpc

from arena.kit import context as request_context
from arena.kit import pagination
from arena.kit.cache import TtlCache
from arena.kit.convert import timestamp
from arena.kit.errors import InvalidArgument
from arena.user.app import Session, UserApp
from arena.user.domain import ME, Role, User, may_see_private_fields
from arena.user.v1 import user_pb2, user_service_pb2, user_service_pb2_grpc

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

_ROLE_TO_PROTO: dict[Role, user_pb2.Role] = {
    role: cast("user_pb2.Role", user_pb2.Role.Value(f"ROLE_{role.name}")) for role in Role
}
_ROLE_FROM_PROTO = {value: role for role, value in _ROLE_TO_PROTO.items()}


def user_message(user: User, *, with_email: bool) -> user_pb2.User:
    return user_pb2.User(
        user_id=user.user_id,
        username=user.username,
        email=user.email if with_email else "",
        display_name=user.display_name,
        bio=user.bio,
        country_code=user.country_code,
        role=_ROLE_TO_PROTO[user.role],
        create_time=timestamp(user.create_time),
        update_time=timestamp(user.update_time),
    )


def tokens_message(session: Session) -> user_pb2.AuthTokens:
    return user_pb2.AuthTokens(
        access_token=session.access.token,
        token_type="Bearer",
        access_token_expire_time=timestamp(session.access.expire_time),
        refresh_token=session.refresh_token,
        refresh_token_expire_time=timestamp(session.refresh_expire_time),
    )


def resolve_user_id(user_id: str, field: str = "user_id") -> str:
    """``me`` means the caller (who must then be signed in)."""
    if user_id == ME:
        return request_context.require_identity().user_id
    if len(user_id) > 64:
        raise InvalidArgument.field(field, "is too long")
    return user_id


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("page token time without a zone")
    return value


def client_address() -> str:
    current = request_context.current()
    return "" if current is None else current.client_address()


class UserServicer(user_service_pb2_grpc.UserServiceServicer):
    def __init__(self, app: UserApp, *, profile_cache_ttl_s: float = 2.0) -> None:
        self.app = app
        # GetUser answers, serialized, by (user id, with private fields). Writers here invalidate;
        # the TTL bounds what another process of the service may still serve after a change.
        self._profiles: TtlCache[tuple[str, bool], bytes] = TtlCache(ttl_s=profile_cache_ttl_s)

    def _forget(self, user_id: str) -> None:
        self._profiles.invalidate(lambda key: key[0] == user_id)

    async def CreateUser(
        self, request: user_service_pb2.CreateUserRequest, context: Context
    ) -> user_service_pb2.CreateUserResponse:
        user = await self.app.register(request.username, request.email, request.password, request.display_name)
        return user_service_pb2.CreateUserResponse(user=user_message(user, with_email=True))

    async def Login(self, request: user_service_pb2.LoginRequest, context: Context) -> user_service_pb2.LoginResponse:
        user, session = await self.app.login(request.username, request.password, client_address=client_address())
        return user_service_pb2.LoginResponse(tokens=tokens_message(session), user=user_message(user, with_email=True))

    async def RefreshToken(
        self, request: user_service_pb2.RefreshTokenRequest, context: Context
    ) -> user_service_pb2.RefreshTokenResponse:
        _, session = await self.app.refresh(request.refresh_token)
        return user_service_pb2.RefreshTokenResponse(tokens=tokens_message(session))

    async def Logout(
        self, request: user_service_pb2.LogoutRequest, context: Context
    ) -> user_service_pb2.LogoutResponse:
        await self.app.logout(request.refresh_token)
        return user_service_pb2.LogoutResponse()

    async def ValidateToken(
        self, request: user_service_pb2.ValidateTokenRequest, context: Context
    ) -> user_service_pb2.ValidateTokenResponse:
        identity = await self.app.validate_token(request.access_token)
        claims = user_pb2.TokenClaims(
            user_id=identity.user_id,
            username=identity.username,
            roles=sorted(_ROLE_TO_PROTO[Role[r]] for r in identity.roles),
            token_id=identity.token_id,
            session_id=identity.session_id,
            issuer=self.app.settings.issuer,
            audience=self.app.settings.audience,
        )
        claims.expire_time.FromSeconds(int(identity.expires_at))
        return user_service_pb2.ValidateTokenResponse(claims=claims)

    async def GetJwks(
        self, request: user_service_pb2.GetJwksRequest, context: Context
    ) -> user_service_pb2.GetJwksResponse:
        keys = await self.app.published_keys(fresh=True)
        return user_service_pb2.GetJwksResponse(keys=[user_pb2.Jwk(**k.public_jwk) for k in keys])

    async def RotateSigningKey(
        self, request: user_service_pb2.RotateSigningKeyRequest, context: Context
    ) -> user_service_pb2.RotateSigningKeyResponse:
        key = await self.app.rotate_signing_key()
        return user_service_pb2.RotateSigningKeyResponse(key=user_pb2.Jwk(**key.public_jwk))

    async def GetUser(
        self, request: user_service_pb2.GetUserRequest, context: Context
    ) -> user_service_pb2.GetUserResponse | bytes:
        user_id = resolve_user_id(request.user_id)
        key = (user_id, may_see_private_fields(request_context.identity(), user_id))
        cached = self._profiles.get(key)
        if cached is not None:
            return cached
        user = await self.app.get_user(user_id)
        answer = user_service_pb2.GetUserResponse(user=user_message(user, with_email=key[1])).SerializeToString()
        self._profiles.put(key, answer)
        return answer

    async def UpdateUser(
        self, request: user_service_pb2.UpdateUserRequest, context: Context
    ) -> user_service_pb2.UpdateUserResponse:
        user_id = resolve_user_id(request.user.user_id, "user.user_id")
        changes: dict[str, str] = {}
        for path in request.update_mask.paths:
            field = user_pb2.User.DESCRIPTOR.fields_by_name.get(path)
            if field is None:
                raise InvalidArgument.field(
                    "update_mask", f"`{path}` is not a field of User", reason="INVALID_UPDATE_MASK"
                )
            changes[path] = getattr(request.user, path)
        user = await self.app.update_profile(request_context.require_identity(), user_id, changes)
        self._forget(user_id)
        return user_service_pb2.UpdateUserResponse(user=user_message(user, with_email=True))

    async def ChangePassword(
        self, request: user_service_pb2.ChangePasswordRequest, context: Context
    ) -> user_service_pb2.ChangePasswordResponse:
        caller = request_context.require_identity()
        user_id = resolve_user_id(request.user_id)
        await self.app.change_password(caller, user_id, request.old_password, request.new_password)
        return user_service_pb2.ChangePasswordResponse()

    async def ListUsers(
        self, request: user_service_pb2.ListUsersRequest, context: Context
    ) -> user_service_pb2.ListUsersResponse:
        role = _ROLE_FROM_PROTO.get(request.role) if request.role else None
        if request.role and role is None:
            raise InvalidArgument.field("role", "is not a known role")
        filters = {"role": role.name if role else None}
        size = pagination.page_size(request.page_size, default=50, maximum=200)
        cursor = pagination.decode_token(request.page_token, filters)
        position = None
        if cursor is not None:
            try:
                position = (_aware(dt.datetime.fromisoformat(cursor[0])), str(cursor[1]))
            except (ValueError, IndexError, TypeError):
                raise InvalidArgument.field(
                    "page_token", "is not a valid page token", reason="INVALID_PAGE_TOKEN"
                ) from None
        page = await self.app.list_users(role, size, position)
        token = ""
        if page.next_cursor is not None:
            token = pagination.encode_token([page.next_cursor[0].isoformat(), page.next_cursor[1]], filters)
        return user_service_pb2.ListUsersResponse(
            users=[user_message(u, with_email=True) for u in page.users], next_page_token=token
        )

    async def SetUserRole(
        self, request: user_service_pb2.SetUserRoleRequest, context: Context
    ) -> user_service_pb2.SetUserRoleResponse:
        role = _ROLE_FROM_PROTO.get(request.role)
        if role is None:
            raise InvalidArgument.field("role", "is not a known role")
        user = await self.app.set_role(request_context.require_identity(), resolve_user_id(request.user_id), role)
        self._forget(user.user_id)
        return user_service_pb2.SetUserRoleResponse(user=user_message(user, with_email=True))
