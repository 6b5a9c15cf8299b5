"""Runtime settings, read from the environment (and an optional `.env` file)."""

from __future__ import annotations

import importlib
import re
from enum import Enum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: JWS algorithms the platform may be configured to accept.
ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"})


def packaged(name: str) -> Path:
    """A data folder of the installed `kkr` package: `kkr/tenants`, `kkr/frontend_contract`, `kkr/migrations`.

    In a checkout these are the symbolic links of `kkr/` (resolved to the top-level folders); in a wheel they are
    real copies.  Either way the path is found through the import system (the `kkr` namespace package's search
    path), never by walking up from a module.  `importlib.resources.files("kkr")` is not used: an editable
    install's import hook adds a placeholder entry to a namespace package's path that it cannot read.
    """
    for entry in importlib.import_module("kkr").__path__:
        folder = Path(entry) / name
        if folder.is_dir():
            return folder.resolve()
    raise FileNotFoundError(
        f"The installed kkr package has no {name}/ folder (searched {list(importlib.import_module('kkr').__path__)})."
    )


class Environment(str, Enum):
    development = "development"
    production = "production"


class Settings(BaseSettings):
    """Everything the platform reads from its environment.

    `DATABASE_URL` is the owner's connection (migrations, demo data, operator
    commands).  The API itself connects as `APP_DATABASE_URL`, a role that owns
    no tables and lacks BYPASSRLS; when unset it is derived from `DATABASE_URL`
    with the user replaced by `app_db_role`.  With neither set, an embedded
    PostgreSQL is started (see `kkr.platform.embedded`).
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(default=None, description="Owner connection URL (postgresql://...).")
    app_database_url: str | None = Field(default=None, description="Connection URL of the non-owner application role.")
    app_db_role: str = Field(default="kkr_app", description="Name of the application's database role.")
    embedded_data_dir: Path | None = Field(default=None, description="Data directory of the embedded PostgreSQL.")
    database_replica_url: str | None = Field(
        default=None,
        description="A streaming read replica (postgresql://host/db): read-only operations go there, as the "
        "application role with APP_DATABASE_URL's credentials (platform/replicas.py).  Unset: all on the primary.",
    )
    replica_max_wait_seconds: float = Field(
        default=0.5,
        ge=0,
        le=30,
        description="How long a read waits for the replica to replay what it must see (the caller's last write, "
        "the request's data versions) before it reads from the primary instead.",
    )

    host: str = "127.0.0.1"
    port: int = 8000
    environment: Environment = Environment.development
    log_level: str = "info"
    shutdown_timeout_seconds: float = Field(
        default=20,
        gt=0,
        description="On SIGTERM or SIGINT, how long requests in flight may take to finish before they are "
        "cancelled and the process exits (new connections are refused at once).",
    )

    db_pool_size: int = 10
    max_page_size: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Largest page of a connection: a larger `first`/`last` is PAGE_TOO_LARGE (before execution), "
        "more `nodes(ids:)` a BAD_USER_INPUT error.",
    )
    # Request limits (docs/read-api.md, "Limits"), enforced before a request is read whole or executed.
    max_body_bytes: int = Field(
        default=1 << 20,
        ge=1024,
        description="Largest request body (and URL query string) in bytes; larger ones get 413 (414) "
        "REQUEST_TOO_LARGE, refused before the body is read whole.",
    )
    max_json_depth: int = Field(
        default=64,
        ge=4,
        le=500,
        description="Deepest nesting of arrays/objects in a GraphQL request's JSON (the body object is level 1); "
        "deeper is 400 BAD_REQUEST.",
    )
    # --- Data folders (docs/operations.md, "Data folders"); default: the copies the installed package holds ---
    tenants_dir: Path = Field(
        default_factory=lambda: packaged("tenants"),
        description="The curated data `kkr load-demo` and `kkr serve --demo` load (format: docs/data-format.md).",
    )
    frontend_contract_dir: Path = Field(
        default_factory=lambda: packaged("frontend_contract"),
        description="The frontend contract: `schema.graphql` (written by `kkr export-schema`) and `operations/`.",
    )

    # --- Trusted documents (platform/trusted_documents.py; frontend-contract/README.md) ---
    trusted_documents_manifest: Path | None = Field(
        default=None,
        description="The trusted-documents manifest the server loads (document id -> document); default: "
        "`trusted-documents.json` of FRONTEND_CONTRACT_DIR.",
    )
    trusted_documents_required_for: list[str] = Field(
        default=[],
        description="Callers that may send only trusted documents (by `documentId`): `client:<client id>`, "
        "`scope:<scope>`, `anonymous` or `*` (everyone). Operators (`admin`) and the development environment "
        "keep free-form queries.",
    )

    # --- Query limits (schema/limits/; docs/security.md, "Limits") ---
    # Each is refused before execution with extensions.code naming it (schema/limits/).
    max_document_chars: int = Field(
        default=100_000,
        ge=1000,
        le=10_000_000,
        description="Longest GraphQL document (`query`) in characters; longer is DOCUMENT_TOO_LARGE, refused "
        "before it is parsed.",
    )
    max_tokens: int = Field(
        default=10_000,
        ge=100,
        le=1_000_000,
        description="Most lexical tokens (names, punctuation, values; comments too) in a document; parsing stops "
        "at the first one over it (TOO_MANY_TOKENS).",
    )
    max_depth: int = Field(
        default=20,
        ge=2,
        le=200,
        description="Deepest nesting of fields in an operation (a root field alone is depth 1; GraphiQL's "
        "introspection query is 15); deeper is QUERY_TOO_DEEP.",
    )
    max_aliases: int = Field(
        default=50,
        ge=0,
        le=100_000,
        description="Most aliased fields in an operation, counted through its fragments (each spread again); "
        "more is TOO_MANY_ALIASES.",
    )
    max_root_fields: int = Field(
        default=30,
        ge=1,
        le=10_000,
        description="Most fields selected at the root of an operation (aliases each count); more is "
        "TOO_MANY_ROOT_FIELDS.",
    )
    max_repeated_fields: int = Field(
        default=30,
        ge=1,
        le=10_000,
        description="Most times one field (by name, aliased or not) may be selected in one selection set, its "
        "fragments included; more is TOO_MANY_REPEATED_FIELDS.",
    )
    max_directives: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Most directives on one field, fragment or operation; more is TOO_MANY_DIRECTIVES.",
    )
    max_cost: int = Field(
        default=200_000,
        ge=100,
        le=10**12,
        description="Highest estimated cost of an operation (every field 1, a list's or connection's fields "
        "times its page size: schema/limits/sizes.py); higher is QUERY_TOO_COSTLY.  Reported in every "
        "response's extensions.cost.",
    )
    max_variables_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        le=100 * 1024 * 1024,
        description="Largest `variables` of a request, in bytes of compact JSON; larger is VARIABLES_TOO_LARGE.",
    )
    max_search_chars: int = Field(
        default=200,
        ge=10,
        le=100_000,
        description="Longest `search:` argument in characters; longer is SEARCH_TOO_COMPLEX.",
    )
    max_search_terms: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="Most words (the operator OR included) and `-` operators in one `search:` argument; more is "
        "SEARCH_TOO_COMPLEX.",
    )

    # --- Errors, time limits and readiness (docs/security.md, "Failures") ---
    request_timeout_seconds: float = Field(
        default=30,
        gt=0,
        le=3600,
        description="Longest time one HTTP request may take; a request still running then is cancelled and "
        "answered 504 REQUEST_TIMEOUT.",
    )
    statement_timeout_seconds: float = Field(
        default=10,
        gt=0,
        le=3600,
        description="PostgreSQL statement_timeout of every transaction the API opens; a statement cancelled by "
        "it is a REQUEST_TIMEOUT error of its field.",
    )
    db_connect_timeout_seconds: float = Field(
        default=3,
        gt=0,
        le=60,
        description="Longest wait for a new database connection; then the request fails with SERVICE_UNAVAILABLE.",
    )
    db_retry_after_seconds: int = Field(
        default=2,
        ge=1,
        le=300,
        description="After the database was found unreachable, requests fail at once (503 SERVICE_UNAVAILABLE, "
        "Retry-After: this) for this long before a connection is tried again.",
    )

    # --- Abuse: rate limits and CORS (docs/security.md, "Abuse") ---
    rate_limit_enabled: bool = Field(
        default=True,
        description="Rate-limit /graphql, the aggregate exports and /oauth/token per caller "
        "(counted in PostgreSQL, shared by every process); false turns the limits off.",
    )
    rate_limit_window_seconds: int = Field(
        default=60, ge=1, le=3600, description="Length of the rate limits' (sliding) window in seconds."
    )
    rate_limit_authenticated: int = Field(
        default=600,
        ge=1,
        le=1_000_000,
        description="Requests per window of a caller with a valid token, counted per client id (all tokens "
        "of one machine client) or else per token subject; more get 429 RATE_LIMITED.",
    )
    rate_limit_anonymous: int = Field(
        default=120,
        ge=1,
        le=1_000_000,
        description="Requests per window of callers without a token, counted per address (per /64 for "
        "IPv6); more get 429 RATE_LIMITED.",
    )
    cors_allowed_origins: list[str] = Field(
        default=[],
        description="Origins (scheme://host[:port]) whose browser pages may call the API "
        'cross-origin; JSON, e.g. ["https://dashboard.example.dk"].  Empty: no cross-origin access.',
    )

    @field_validator("cors_allowed_origins")
    @classmethod
    def _origins_only(cls, value: list[str]) -> list[str]:
        """Each entry an origin as browsers send it (no wildcard, path or trailing slash)."""
        origin = re.compile(r"https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?")
        bad = [o for o in value if not origin.fullmatch(o)]
        if bad:
            raise ValueError(f"not an origin (scheme://host[:port], no wildcard or path): {bad}")
        return value

    # --- Performance: the response cache (platform/response_cache.py; docs/performance.md) ---
    response_cache_enabled: bool = Field(
        default=True,
        description="Keep answers of read queries per process and reuse them while the data they "
        "were computed from is unchanged (per-tenant data versions in PostgreSQL: never stale).",
    )
    response_cache_max_bytes: int = Field(
        default=64 << 20,
        ge=0,
        description="Largest total size of the cached answers of one process, in bytes "
        "(least recently used answers go first).",
    )
    response_cache_max_entry_bytes: int = Field(
        default=4 << 20, ge=0, description="Largest answer kept, in bytes; larger ones are computed every time."
    )
    response_cache_ttl_seconds: float = Field(
        default=300, gt=0, description="How long a cached answer lives at most, even while its data is unchanged."
    )

    # --- Performance: the server and fixed costs per request (docs/performance.md) ---
    token_cache_entries: int = Field(
        default=10_000,
        ge=0,
        description="Verified bearer tokens remembered per process (by their SHA-256), each "
        "until its exp plus the clock-skew leeway; 0 verifies every token every time.",
    )
    document_cache_chars: int = Field(
        default=500_000,
        ge=0,
        description="Parsed and validated GraphQL documents remembered per process, in "
        "characters of their text (least recently used go first; a parsed document takes about 60 bytes per "
        "character, so about 30 MB at most); 0 parses and validates every request.",
    )

    # --- Observability (docs/operations.md, "Monitor") ---
    log_format: str = Field(
        default="text",
        pattern="^(text|json)$",
        description="`text`: a line per failed request; `json`: every log record as a JSON object per line, and "
        "one line per request (platform/json_logs.py).",
    )
    metrics_enabled: bool = Field(
        default=True,
        description="Serve Prometheus metrics at /metrics (platform/metrics.py); in production only with "
        "METRICS_TOKEN set.",
    )
    metrics_token: str | None = Field(
        default=None,
        repr=False,
        min_length=16,
        description="Bearer secret /metrics asks for (`Authorization: Bearer <token>`); unset: /metrics is open "
        "in development and not served in production.",
    )
    tracing_enabled: bool = Field(
        default=False,
        description="OpenTelemetry spans of requests and SQL statements, exported over OTLP/HTTP as the OTEL_* "
        "variables say (platform/tracing.py); needs the `tracing` extra.",
    )

    # Authentication (see docs/auth.md).  Every token must carry `aud` = auth_audience.
    auth_audience: str = Field(default="kkr-platform", description="Required `aud` of every bearer token.")
    idp_issuer: str | None = Field(default=None, description="`iss` of the external identity provider's tokens.")
    idp_jwks: str | None = Field(default=None, description="The identity provider's JWKS: a file path or https URL.")
    token_issuer: str = Field(default="urn:kkr-platform", description="`iss` of the tokens the platform issues.")
    signing_key_file: Path | None = Field(
        default=None,
        description="JWKS file with the platform's private signing key(s); the first signs.  In development a key "
        "is generated in a per-user directory when unset.",
    )
    jwt_algorithms: list[str] = Field(default=["RS256", "ES256"], description="Accepted JWS algorithms.")
    clock_skew_seconds: int = Field(default=60, description="Leeway for exp, nbf and iat.")
    token_lifetime_seconds: int = Field(default=900, description="Lifetime of tokens from /oauth/token.")
    jwks_cache_seconds: int = Field(default=300, description="How long a fetched JWKS URL is trusted.")
    client_cache_seconds: float = Field(default=10, description="How long a client's enabled state is cached.")
    token_failure_limit: int = Field(
        default=10, description="Failed client authentications per address at /oauth/token before it gets 429."
    )
    token_failure_window_seconds: float = Field(default=60, description="The window of token_failure_limit.")
    public_contracts: bool = Field(default=False, description="Anonymous callers may read published contracts.")

    # Statistical disclosure control of the ministries' aggregates (docs/benchmarking.md, "Ministries").
    disclosure_min_contributors: int = Field(
        default=3, ge=2, description="Cells with fewer contributors are suppressed (FEW_CONTRIBUTORS)."
    )
    disclosure_dominance: list[tuple[int, float]] = Field(
        default=[(1, 85.0), (2, 90.0)],
        description="(n, k) dominance rules: a sum whose n largest contributors hold over k % is suppressed "
        "(DOMINANCE); JSON, e.g. [[1, 85], [2, 90]].",
    )
    disclosure_protection_pct: float = Field(
        default=10.0,
        gt=0,
        le=100,
        description="Protection level p: a suppressed cell's feasible interval covers its value -/+ p %.",
    )

    @field_validator("trusted_documents_required_for")
    @classmethod
    def _caller_rules_only(cls, value: list[str]) -> list[str]:
        bad = [r for r in value if r not in ("*", "anonymous") and r.partition(":")[0] not in ("client", "scope")]
        if bad:
            raise ValueError(f"not `client:<id>`, `scope:<scope>`, `anonymous` or `*`: {bad}")
        return value

    @property
    def trusted_documents_path(self) -> Path:
        """The trusted-documents manifest (TRUSTED_DOCUMENTS_MANIFEST, or the frontend contract's)."""
        return self.trusted_documents_manifest or self.frontend_contract_dir / "trusted-documents.json"

    @field_validator("disclosure_dominance")
    @classmethod
    def _dominance_rules(cls, rules: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """The floors of `kkr_aggregate` (migration 0009): n >= 1, 0 < k <= 100."""
        for n, k in rules:
            if n < 1 or not 0 < k <= 100:
                raise ValueError(f"({n}, {k}): n must be at least 1, k above 0 and at most 100 (percent)")
        return rules

    @field_validator("jwt_algorithms")
    @classmethod
    def _asymmetric_algorithms_only(cls, value: list[str]) -> list[str]:
        """Only public-key algorithms: never `none`, never HMAC (a public key must not become a shared secret)."""
        refused = [alg for alg in value if alg not in ASYMMETRIC_ALGORITHMS]
        if refused or not value:
            raise ValueError(f"unsupported JWT algorithm(s) {refused}; allowed: {sorted(ASYMMETRIC_ALGORITHMS)}")
        return value

    @property
    def is_development(self) -> bool:
        return self.environment is Environment.development


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once; invalid configuration raises `SettingsError`
    (`kkr.platform.settings_check.load_settings`)."""
    from .settings_check import load_settings

    return load_settings()
