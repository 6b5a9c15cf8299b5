"""Authentication wired from settings: which issuers and keys the platform trusts, and its own signer."""

from __future__ import annotations

from ..settings import Settings
from .keys import JwksFile, KeyLoadError, key_source, signing_key_path
from .tokens import ClientCheck, TokenVerifier, TrustedIssuer


def platform_keys(settings: Settings) -> JwksFile | None:
    """The platform's private key set (re-read when the file changes); None when it issues no tokens."""
    path = signing_key_path(settings)
    return JwksFile(path) if path is not None else None


def trusted_issuers(settings: Settings) -> list[TrustedIssuer]:
    """The external identity provider (when configured) and the platform itself (when it has a key)."""
    issuers: list[TrustedIssuer] = []
    if settings.idp_jwks:
        if not settings.idp_issuer:
            raise KeyLoadError("IDP_JWKS is set but IDP_ISSUER is not: tokens must name their issuer")
        if settings.idp_jwks.lower().startswith("http://") and not settings.is_development:
            raise KeyLoadError(
                "IDP_JWKS must be a file or an https URL in production (keys over plain http can be forged)"
            )
        issuers.append(
            TrustedIssuer(settings.idp_issuer, key_source(settings.idp_jwks, max_age=settings.jwks_cache_seconds))
        )
    own = platform_keys(settings)
    if own is not None:
        if settings.idp_issuer == settings.token_issuer:
            raise KeyLoadError("IDP_ISSUER and TOKEN_ISSUER must differ")
        issuers.append(TrustedIssuer(settings.token_issuer, own, platform=True))
    return issuers


def build_verifier(settings: Settings, client_check: ClientCheck | None = None) -> TokenVerifier:
    return TokenVerifier(
        trusted_issuers(settings),
        audience=settings.auth_audience,
        algorithms=settings.jwt_algorithms,
        leeway=settings.clock_skew_seconds,
        client_check=client_check,
        platform_tokens_need_client=not settings.is_development,
        cache_entries=settings.token_cache_entries,
    )
