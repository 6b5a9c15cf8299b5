"""Operator commands: `kkr register-client`, `kkr disable-client` and (development only) `kkr mint-token`."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from ..database import TenantContext, apply_tenant_context, async_url
from ..settings import get_settings
from .clients import ClientError, disable_client, register_client
from .dev_tokens import NoSigningKey, mint_development_token
from .identity import ADMIN


def _scopes(values: list[str] | None) -> list[str]:
    """--scope may be repeated and may hold several space-separated scopes."""
    return [scope for value in values or () for scope in value.split()]


T = TypeVar("T")


async def _as_operator(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work(session)` in one owner transaction with the `admin` flag and the operator as actor, so the
    command line writes clients through the same database functions as the admin API."""
    engine = create_async_engine(async_url(url))
    try:
        async with AsyncSession(engine) as session, session.begin():
            await apply_tenant_context(session, TenantContext(flags=frozenset({ADMIN}), actor=getpass.getuser()))
            return await work(session)
    finally:
        await engine.dispose()


def _expiry(args: argparse.Namespace) -> dt.datetime | None:
    if args.expires:
        day = dt.date.fromisoformat(args.expires)
        return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    if args.expires_in_days:
        return dt.datetime.now(dt.UTC) + dt.timedelta(days=args.expires_in_days)
    return None


def cmd_register_client(args: argparse.Namespace, owner_url: Callable[[], str]) -> int:
    scopes = _scopes(args.scope)
    try:
        expires_at = _expiry(args)
        registration = asyncio.run(
            _as_operator(
                owner_url(),
                lambda session: register_client(
                    session,
                    args.client_id,
                    name=args.name or args.client_id,
                    scopes=scopes,
                    tenants=args.tenant or (),
                    expires_at=expires_at,
                ),
            )
        )
    except (ClientError, ValueError) as exc:
        print(f"cannot register the client: {exc}", file=sys.stderr)
        return 1
    print(f"client_id: {args.client_id}")
    print(f"client_secret: {registration.secret}")
    print(f"scopes: {' '.join(sorted(set(scopes)))}")
    if expires_at:
        print(f"expires_at: {expires_at.isoformat()}")
    print("The secret is shown only this once and cannot be recovered; store it now.", file=sys.stderr)
    return 0


def cmd_disable_client(args: argparse.Namespace, owner_url: Callable[[], str]) -> int:
    try:
        asyncio.run(_as_operator(owner_url(), lambda session: disable_client(session, args.client_id)))
    except ClientError as exc:
        print(f"cannot disable the client: {exc}", file=sys.stderr)
        return 1
    print(f"client {args.client_id} disabled; its tokens are refused from now on")
    return 0


def cmd_mint_token(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.is_development:
        print("mint-token is a development tool and refuses to run with ENVIRONMENT=production", file=sys.stderr)
        return 2
    try:
        token = mint_development_token(
            settings,
            subject=args.subject or f"developer:{getpass.getuser()}",
            scopes=_scopes(args.scope),
            lifetime=args.lifetime,
        )
    except NoSigningKey as exc:  # pragma: no cover - development always has a key
        print(exc, file=sys.stderr)
        return 1
    print(token)
    return 0


def add_auth_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser], owner_url: Callable[[], str]) -> None:
    register = sub.add_parser("register-client", help="register an OAuth2 client (prints its secret once)")
    register.add_argument("client_id", help="e.g. 'em-dataportal' (a-z, 0-9, . _ -)")
    register.add_argument("--name", help="who the client is, e.g. 'Erhvervsministeriet, dataportal'")
    register.add_argument(
        "--scope",
        action="append",
        required=True,
        help="allowed scope (repeatable): aggregates:read, benchmark:read, admin, region:<slug>:read",
    )
    register.add_argument("--tenant", action="append", help="region the client may get region scopes for (repeatable)")
    expiry = register.add_mutually_exclusive_group()
    expiry.add_argument("--expires", help="expiry date (YYYY-MM-DD, UTC)")
    expiry.add_argument("--expires-in-days", type=int, help="expiry in days from now")
    register.set_defaults(func=lambda args: cmd_register_client(args, owner_url))

    disable = sub.add_parser("disable-client", help="disable an OAuth2 client; its tokens stop working")
    disable.add_argument("client_id")
    disable.set_defaults(func=lambda args: cmd_disable_client(args, owner_url))

    mint = sub.add_parser("mint-token", help="print a bearer token for trying the API (development only)")
    mint.add_argument("--scope", action="append", help="scope (repeatable), e.g. region:sjaelland:write")
    mint.add_argument("--subject", help="the token's subject (default: developer:<user>)")
    mint.add_argument("--lifetime", type=int, default=3600, help="seconds (default 3600)")
    mint.set_defaults(func=cmd_mint_token)
