"""API keys on the REST API: ``Authorization: Token <key>`` or ``X-Api-Key: <key>``.

A key belongs to a system, and a system acts as the staff account the key names
(``ApiKey.user``): every read then goes through that account's ``visible_to`` and every
write through the services' own role and scope guards, exactly as on the pages. A key that
names no account authenticates (so its requests are told 403, not 401) but reaches only the
public resources.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from fengqiao.api.models import ApiKey
from fengqiao.api.services import KEY_MARKER, MAX_KEY_LENGTH, key_digest, system_case_key

KEYWORD = "Token"


def api_key_with_account(plaintext: str) -> ApiKey | None:
    """``selectors.api_key_for`` with the account read in the same query (one query a
    request, not two: this runs on every call a system makes)."""
    if len(plaintext) > MAX_KEY_LENGTH or not plaintext.startswith(KEY_MARKER):
        return None
    return (
        ApiKey.objects.active()
        .select_related("user")
        .filter(key_hash=key_digest(plaintext))
        .first()
    )


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
