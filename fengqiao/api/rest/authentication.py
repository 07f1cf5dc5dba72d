"""API keys on the REST API: ``Authorization: Token <key>`` or ``X-Api-Key: <key>``.

A key belongs to a system, and a system acts as the staff account the key names
(``ApiKey.user``): every read then goes through that account's ``visible_to`` and every
write through the services' own role and scope guards, exactly as on the pages. A key that
names no account authenticates (so its requests are told 403, not 401) but reaches only the
public resources.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from fengqiao.api.models import ApiKey
from fengqiao.api.services import KEY_MARKER, MAX_KEY_LENGTH, key_digest, system_case_key
from fengqiao.core.db import execute_prepared

KEYWORD = "Token"


# What the digest of a key is replaced with while the lookup's statement is compiled.
_DIGEST_MARK = "\x00api-key-digest\x00"


@dataclass(frozen=True)
class _KeyLookup:
    """The key lookup compiled once per database: the ORM's own statement for
    ``ApiKey.objects.active().select_related("user").filter(key_hash=…)``, with its column
    layout and converters, so that a request only executes it (compiling it cost more than
    running it)."""

    sql: str
    digest_at: int
    params: tuple[Any, ...]
    key_fields: tuple[str, ...]
    key_slice: slice
    user_model: Any
    user_fields: tuple[str, ...]
    user_slice: slice
    user_pk_at: int
    converters: dict[int, tuple[list[Any], Any]]

    @classmethod
    def compile(cls, alias: str) -> _KeyLookup:
        queryset = (
            ApiKey.objects.using(alias)
            .active()
            .select_related("user")
            .filter(key_hash=_DIGEST_MARK)
            .order_by()[:1]
        )
        compiler = queryset.query.get_compiler(alias)
        sql, params = compiler.as_sql()
        select, klass_info = compiler.select, compiler.klass_info
        assert klass_info is not None and params.count(_DIGEST_MARK) == 1
        (user_info,) = klass_info["related_klass_infos"]
        key_columns, user_columns = klass_info["select_fields"], user_info["select_fields"]

        def names(columns: list[int]) -> tuple[str, ...]:
            return tuple(select[i][0].target.attname for i in columns)

        return cls(
            sql=sql,
            digest_at=params.index(_DIGEST_MARK),
            params=tuple(params),
            key_fields=names(key_columns),
            key_slice=slice(key_columns[0], key_columns[-1] + 1),
            user_model=user_info["model"],
            user_fields=names(user_columns),
            user_slice=slice(user_columns[0], user_columns[-1] + 1),
            user_pk_at=names(user_columns).index(user_info["model"]._meta.pk.attname),
            # As ``SQLCompiler.results_iter`` converts (SQLite's datetimes, for one).
            converters=compiler.get_converters([s[0] for s in select[: compiler.col_count]]),
        )

    def run(self, alias: str, digest: str) -> ApiKey | None:
        params = list(self.params)
        params[self.digest_at] = digest
        if connections[alias].vendor == "postgresql" and alias == DEFAULT_DB_ALIAS:
            # Bound and prepared on the server, as the intake's statement: PostgreSQL parses
            # and plans it once per connection, not on every request.
            row = execute_prepared(self.sql, params)
        else:
            with connections[alias].cursor() as cursor:
                cursor.execute(self.sql, params)
                row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = list(row)
            for position, (converters, expression) in self.converters.items():
                for converter in converters:
                    row[position] = converter(row[position], expression, connections[alias])
        api_key = ApiKey.from_db(alias, self.key_fields, row[self.key_slice])
        user_row = row[self.user_slice]
        user = (
            None
            if user_row[self.user_pk_at] is None  # no account: the outer join's NULLs
            else self.user_model.from_db(alias, self.user_fields, user_row)
        )
        ApiKey._meta.get_field("user").set_cached_value(api_key, user)
        return api_key


_lookups: dict[tuple[str, str], _KeyLookup] = {}
_lookups_lock = threading.Lock()


def api_key_with_account(plaintext: str) -> ApiKey | None:
    """``selectors.api_key_for`` with the account read in the same query (one query a
    request, not two: this runs on every call a system makes). The statement is the ORM's,
    compiled once per process and database rather than on every call."""
    if len(plaintext) > MAX_KEY_LENGTH or not plaintext.startswith(KEY_MARKER):
        return None
    alias = ApiKey.objects.db
    name = (alias, connections[alias].vendor)
    lookup = _lookups.get(name)
    if lookup is None:
        with _lookups_lock:
            lookup = _lookups[name] = _KeyLookup.compile(alias)
    return lookup.run(alias, key_digest(plaintext))


def presented_key(request: Request) -> str | None:
    """The plaintext key the request presents, or None when it presents none."""
    header = get_authorization_header(request).split()
    if header and header[0].lower() == KEYWORD.lower().encode():
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("The Authorization header must be “Token <key>”, with the key after one space.")
            )
        try:
            return header[1].decode()
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed(
                _("The API key has invalid characters.")
            ) from error
    value = request.META.get("HTTP_X_API_KEY")
    return value.strip() if value is not None else None


def idempotency_key_for(request: Request, external_id: str) -> str:
    """The key the intake service stores for a caller's own id: per system for a key (two
    platforms may use the same ids), per account on the web (as the intake forms do)."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiKey):
        return system_case_key(auth, external_id)
    return f"web:{request.user.pk}:{external_id}"


class ApiKeyAuthentication(BaseAuthentication):
    """Resolve the key by its digest; the request acts as the key's account."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        plaintext = presented_key(request)
        if plaintext is None:
            return None
        api_key = api_key_with_account(plaintext)
        if api_key is None:
            raise exceptions.AuthenticationFailed(
                _("Unknown or revoked API key. Ask the platform's administrators for a key.")
            )
        user = api_key.user
        if user is None:
            return AnonymousUser(), api_key
        if not user.is_active:
            raise exceptions.AuthenticationFailed(
                _("The account this API key acts as is disabled.")
            )
        return user, api_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """How the schema describes the key: the ``Authorization: Token …`` form."""

    target_class = "fengqiao.api.rest.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _("“Token <key>”; the key can also be sent as the X-Api-Key header."),
        }
