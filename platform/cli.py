"""The `kkr` command: serve, migrate, load-demo and operator tasks."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from . import migrate
from .auth.commands import add_auth_commands
from .database import resolve_urls
from .settings import get_settings


def _owner_url() -> str:
    """The owner's URL; starts the embedded server when DATABASE_URL is unset, and
    exports it so that everything started from here (uvicorn) uses the same server."""
    settings = get_settings()
    urls = resolve_urls(settings)
    if not settings.database_url:
        os.environ["DATABASE_URL"] = urls.owner.render_as_string(hide_password=False)
        get_settings.cache_clear()
    return urls.owner.render_as_string(hide_password=False)


def cmd_migrate(args: argparse.Namespace) -> int:
    url = _owner_url()
    asyncio.run(migrate.upgrade(url, args.revision))
    print(f"database at revision {asyncio.run(migrate.current_revision(url))}")
    return 0


def cmd_load_demo(args: argparse.Namespace) -> int:
    from .importer.load import load, read_all
    from .importer.records import InvalidData

    root = Path(args.path or get_settings().tenants_dir)
    try:
        if args.check:
            plan = read_all(root)
            records = len(plan.national) + sum(len(r) for r in plan.tenants.values())
            print(f"{len(plan.files)} files, {records} records: all valid")
            return 0
        url = _owner_url()
        asyncio.run(migrate.upgrade(url))
        summary = asyncio.run(load(url, root, progress=print))
    except InvalidData as exc:
        print(f"{len(exc.errors)} error(s) in the data files; nothing was written:", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    print("summary:")
    print("\n".join(summary.lines()))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    if args.demo:
        if cmd_load_demo(argparse.Namespace(path=None, check=False)) != 0:
            return 1
    else:
        asyncio.run(migrate.upgrade(_owner_url()))
    uvicorn.run(
        "kkr.platform.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_level=settings.log_level,
    )
    return 0


def cmd_export_schema(args: argparse.Namespace) -> int:
    from .contract import SDL_PATH, export_sdl

    path = Path(args.output) if args.output else SDL_PATH
    print(f"{path}: {'updated' if export_sdl(path) else 'unchanged'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kkr", description="The KKR GraphQL platform.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate and run the HTTP server")
    serve.add_argument("--demo", action="store_true", help="load the demo data from tenants/ first")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="upgrade the database schema")
    mig.add_argument("revision", nargs="?", default="head")
    mig.set_defaults(func=cmd_migrate)

    demo = sub.add_parser("load-demo", help="validate and load the curated data under tenants/")
    demo.add_argument("--check", action="store_true", help="validate only, write nothing")
    demo.add_argument("--path", help="the tenants folder (default: the repository's)")
    demo.set_defaults(func=cmd_load_demo)

    export = sub.add_parser("export-schema", help="write the GraphQL SDL to frontend-contract/schema.graphql")
    export.add_argument("--output", help="another file to write it to")
    export.set_defaults(func=cmd_export_schema)

    add_auth_commands(sub, owner_url=_owner_url)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=get_settings().log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
