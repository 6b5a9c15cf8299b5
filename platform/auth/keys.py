"""Keys: the platform's own signing key(s) and the JSON Web Key Sets the verifier trusts.

Only asymmetric keys (RSA, EC) are ever loaded for verification, so a public key
can never be used as an HMAC secret.  Key sets are re-read when their source
changes (a file's modification time, a URL after `jwks_cache_seconds` or on an
unknown `kid`), so keys rotate without a restart: publish the new key next to
the old one, switch the signer, remove the old key once its tokens expired.
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from pathlib import Path
from typing import Any

import authlib.deprecate  # noqa: F401 - installs authlib's own warning filter before ours
import httpx
import platformdirs

from ..settings import Settings

with warnings.catch_warnings():
    # authlib.jose warns that joserfc is its successor; the API used here is unchanged in authlib 1.x.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.jose import JsonWebKey, KeySet
    from authlib.jose.rfc7517 import Key

log = logging.getLogger(__name__)

#: Key types that may verify signatures (never "oct": no shared secrets).
VERIFYING_KEY_TYPES = frozenset({"RSA", "EC"})
#: Default algorithm per key type, for keys whose JWK carries no "alg".
DEFAULT_ALGORITHM = {"RSA": "RS256", "EC": "ES256"}


class KeyLoadError(Exception):
    """A key or key set could not be loaded."""


# --- the platform's own signing keys -------------------------------------------------------------


def generate_signing_key(kty: str = "RSA") -> dict[str, Any]:
    """A new private JWK (RSA 2048 or EC P-256) with `kid` (its thumbprint), `alg` and `use`."""
    key = JsonWebKey.generate_key(kty, 2048 if kty == "RSA" else "P-256", is_private=True)
    jwk: dict[str, Any] = key.as_dict(is_private=True, kid=key.thumbprint(), alg=DEFAULT_ALGORITHM[kty], use="sig")
    return jwk


def write_key_set(path: Path, keys: list[dict[str, Any]]) -> None:
    """Write a JWKS file readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"keys": keys}, f, indent=2)
    os.replace(tmp, path)


def dev_signing_key_path() -> Path:
    """Where development generates its signing key (per user, like the embedded database)."""
    return Path(platformdirs.user_data_dir("kkr-platform")) / "signing-keys.json"


def signing_key_path(settings: Settings) -> Path | None:
    """The configured signing-key file; in development a per-user key, generated on first use."""
    if settings.signing_key_file is not None:
        return settings.signing_key_file
    if not settings.is_development:
        return None
    path = dev_signing_key_path()
    if not path.exists():
        log.info("generating a development signing key in %s", path)
        write_key_set(path, [generate_signing_key()])
    return path


def load_signing_keys(settings: Settings) -> KeySet | None:
    """The platform's private keys (the first one signs), or None when the platform issues no tokens."""
    path = signing_key_path(settings)
    if path is None:
        return None
    keys = read_key_set(path, private=True)
    if not keys.keys:
        raise KeyLoadError(f"{path}: no signing key")
    return keys


def algorithm_of(key: Key) -> str:
    return key.tokens.get("alg") or DEFAULT_ALGORITHM[key.kty]


def public_jwks(keys: KeySet) -> dict[str, Any]:
    """The public half of a key set, as published at /.well-known/jwks.json."""
    return {"keys": [k.as_dict(is_private=False, alg=algorithm_of(k), use="sig") for k in keys.keys]}


# --- key sets the verifier trusts ----------------------------------------------------------------


def parse_key_set(data: Any, *, origin: str, private: bool = False) -> KeySet:
    """Import the asymmetric signing keys of a JWKS document; other keys are skipped with a warning."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise KeyLoadError(f"{origin}: not a JWKS document (expected {{'keys': [...]}})")
    keys: list[Key] = []
    for raw in data["keys"]:
        if not isinstance(raw, dict) or raw.get("kty") not in VERIFYING_KEY_TYPES or raw.get("use", "sig") != "sig":
            log.warning("%s: skipping a key that is not an RSA/EC signing key (kid %r)", origin, _get(raw, "kid"))
            continue
        if not raw.get("kid"):
            raise KeyLoadError(f"{origin}: every key needs a 'kid'")
        if private and "d" not in raw:
            raise KeyLoadError(f"{origin}: key {raw['kid']!r} is not a private key")
        try:
            keys.append(JsonWebKey.import_key(raw))
        except Exception as exc:
            raise KeyLoadError(f"{origin}: key {raw.get('kid')!r} is invalid: {exc}") from exc
    return KeySet(keys)


def _get(raw: Any, name: str) -> Any:
    return raw.get(name) if isinstance(raw, dict) else None


def read_key_set(path: Path, *, private: bool = False) -> KeySet:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise KeyLoadError(f"cannot read the key set {path}: {exc}") from exc
    return parse_key_set(data, origin=str(path), private=private)


class KeySource:
    """Where a trusted issuer's keys come from."""

    async def key_set(self, *, refresh: bool = False) -> KeySet:  # pragma: no cover - interface
        raise NotImplementedError


class StaticKeys(KeySource):
    def __init__(self, keys: KeySet) -> None:
        self._keys = keys

    async def key_set(self, *, refresh: bool = False) -> KeySet:
        return self._keys


class JwksFile(KeySource):
    """A JWKS file, re-read whenever it changes (edit it to rotate keys)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._stamp: tuple[int, int] | None = None
        self._keys = KeySet([])

    async def key_set(self, *, refresh: bool = False) -> KeySet:
        try:
            stat = self.path.stat()
        except OSError as exc:
            raise KeyLoadError(f"cannot read the key set {self.path}: {exc}") from exc
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._keys = read_key_set(self.path)
            self._stamp = stamp
        return self._keys


class JwksUrl(KeySource):
    """A JWKS URL (the identity provider's `jwks_uri`), cached for `max_age` seconds and re-fetched
    early when a token names an unknown `kid` (at most every `min_refresh` seconds)."""

    def __init__(self, url: str, *, max_age: float = 300, min_refresh: float = 30) -> None:
        self.url = url
        self.max_age = max_age
        self.min_refresh = min_refresh
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")

    async def key_set(self, *, refresh: bool = False) -> KeySet:
        age = time.monotonic() - self._fetched_at
        if self._keys is None or age > self.max_age or (refresh and age > self.min_refresh):
            try:
                async with httpx.AsyncClient(timeout=10) as client:
                    response = await client.get(self.url, headers={"Accept": "application/json"})
                    response.raise_for_status()
                    data = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                if self._keys is None:
                    raise KeyLoadError(f"cannot fetch the key set {self.url}: {exc}") from exc
                log.warning("keeping the cached key set: cannot fetch %s: %s", self.url, exc)
                self._fetched_at = time.monotonic()
                return self._keys
            self._keys = parse_key_set(data, origin=self.url)
            self._fetched_at = time.monotonic()
        return self._keys


def key_source(location: str, *, max_age: float = 300) -> KeySource:
    """A file path or an http(s) URL."""
    if location.lower().startswith(("https://", "http://")):
        return JwksUrl(location, max_age=max_age)
    return JwksFile(Path(location))
