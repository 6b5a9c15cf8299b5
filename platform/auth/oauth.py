"""The OAuth2 token endpoint (POST /oauth/token): the client-credentials grant (RFC 6749 §4.4).

Built on authlib's AuthorizationServer for a custom framework.  authlib's
server is synchronous, so each request first reads the form and looks the
client up asynchronously, then runs a small per-request server in a worker
thread (the scrypt check takes a few tens of milliseconds).  Tokens are
short-lived JWTs signed with the platform's key, carrying the granted scopes
and the `client_id`; they are not stored (the client's state is checked on use).
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import authlib.deprecate  # noqa: F401 - installs authlib's own warning filter before ours
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..settings import Settings
from .clients import RegisteredClient, find_client, hash_secret, verify_secret
from .keys import KeyLoadError
from .tokens import issue_token

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.jose import KeySet
    from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Payload, OAuth2Request
    from authlib.oauth2.rfc6749.errors import InsecureTransportError, InvalidClientError, InvalidScopeError
    from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
    from authlib.oauth2.rfc6749.util import extract_basic_authorization, scope_to_list

_MAX_FORM_BYTES = 16 * 1024

#: Compared against when the client id is unknown, so that unknown ids take as long as wrong secrets.
_DUMMY_HASH = hash_secret("not a secret")


class _Payload(OAuth2Payload):
    def __init__(self, form: list[tuple[str, str]]) -> None:
        self._data = dict(form)
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in form:
            self._datalist[name].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class _TokenRequest(OAuth2Request):
    """An OAuth2Request over a form that has already been read."""

    def __init__(self, request: Request, form: list[tuple[str, str]]) -> None:
        super().__init__(request.method, str(request.url), headers=request.headers)
        self.payload = _Payload(form)

    @property
    def args(self) -> dict[str, str]:
        return {}

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data


class _Client(ClientMixin):
    """authlib's view of a registered client (or of an unknown one, which never authenticates)."""

    def __init__(self, client_id: str, registered: RegisteredClient | None) -> None:
        self.client_id = client_id
        self.registered = registered

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        allowed = self.registered.scopes if self.registered else frozenset()
        requested = set(scope_to_list(scope) or allowed)
        return " ".join(sorted(requested & allowed))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        if self.registered is None:
            verify_secret(client_secret, _DUMMY_HASH)
            return False
        if not verify_secret(client_secret, self.registered.secret_hash):
            return False
        refusal = self.registered.refusal()
        if refusal:  # told only to a caller who knows the secret
            raise InvalidClientError(status_code=401, description=refusal)
        return True

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class _ClientCredentialsGrant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post"]

    def validate_requested_scope(self) -> None:
        """Requested scopes must all be allowed to the client (none requested: all of its scopes)."""
        requested = set(scope_to_list(self.request.payload.scope) or [])
        allowed = self.request.client.registered.scopes
        if requested - allowed:
            raise InvalidScopeError(description=f"The client may not request {sorted(requested - allowed)}.")


class _TokenServer(AuthorizationServer):
    """One request's authorization server, holding the client looked up for it."""

    def __init__(self, client: _Client, keys: KeySet, settings: Settings) -> None:
        super().__init__()
        self._client = client
        self._keys = keys
        self._settings = settings
        self.register_grant(_ClientCredentialsGrant)
        self.register_token_generator("default", self._generate)

    def query_client(self, client_id: str) -> _Client | None:
        return self._client if client_id == self._client.client_id else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Nothing to store: tokens are self-contained JWTs, checked against the client on use."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers=dict(headers))

    def _generate(self, *, grant_type: str, client: _Client, scope: str | None = None, **_: Any) -> dict[str, Any]:
        scopes = client.get_allowed_scope(scope or "").split()
        lifetime = self._settings.token_lifetime_seconds
        token = issue_token(
            self._keys,
            issuer=self._settings.token_issuer,
            audience=self._settings.auth_audience,
            subject=f"client:{client.client_id}",
            scopes=scopes,
            lifetime=lifetime,
            client_id=client.client_id,
        )
        return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "scope": " ".join(scopes)}


def _error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


async def _read_form(request: Request) -> list[tuple[str, str]] | None:
    """The urlencoded body (RFC 6749 §4.4.2: the only format of a token request); None if it is not one."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_FORM_BYTES:
            return None
    try:
        return parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None


async def token_endpoint(request: Request) -> JSONResponse:
    """POST /oauth/token: grant_type=client_credentials with HTTP Basic (or form) client credentials."""
    settings: Settings = request.app.state.settings
    source = request.app.state.platform_keys
    if source is None:
        return _error(503, "temporarily_unavailable", "This server has no signing key and issues no tokens.")
    try:
        keys = await source.key_set()
    except KeyLoadError:
        return _error(503, "temporarily_unavailable", "The signing key is unavailable.")
    throttle = request.app.state.token_throttle
    caller = request.scope.get("client")
    if (wait := await throttle.retry_after(caller)) is not None:
        response = _error(
            429,
            "temporarily_unavailable",
            f"Too many failed client authentications from this address; retry in {wait} s.",
        )
        response.headers["Retry-After"] = str(wait)
        return response
    form = await _read_form(request)
    if form is None:
        return _error(400, "invalid_request", "Send the parameters as application/x-www-form-urlencoded (max 16 KiB).")
    client_id, _ = extract_basic_authorization(request.headers)
    client_id = client_id or dict(form).get("client_id")
    registered = await find_client(request.app.state.db, client_id) if client_id else None
    try:
        oauth_request = _TokenRequest(request, form)
    except InsecureTransportError:
        return _error(400, "invalid_request", "The token endpoint must be called over https.")
    server = _TokenServer(_Client(client_id or "", registered), keys, settings)
    response = await run_in_threadpool(server.create_token_response, oauth_request)
    if response.status_code == 401:
        await throttle.failed(caller)
    return response
