"""The `kkr` command: serve, migrate, load-demo and operator tasks."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from . import embedded, migrate
from .auth.commands import add_auth_commands
from .database import resolve_urls
from .settings import get_settings
from .settings_check import SettingsError
from .signals import SHUTDOWN_SIGNALS, shutdown_signals_handled

if TYPE_CHECKING:
    import uvicorn


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
    """Migrate, then serve until SIGTERM or SIGINT, both of which shut down gracefully.

    On either signal uvicorn stops accepting connections at once, lets the
    requests in flight finish for up to SHUTDOWN_TIMEOUT_SECONDS (then cancels
    them), runs the application's shutdown, and returns; the embedded
    PostgreSQL, when this process started or joined it, is released last (and
    stopped if no other process uses it).  The exit status is 0 (128 + the
    signal's number if it comes before the server serves, during the migrations).

    `--workers N` (default: one per core in production, one in development)
    runs N uvicorn worker processes on one socket under uvicorn's supervisor;
    a signal to this process ends every worker gracefully (each with the same
    timeout) before the embedded PostgreSQL is released.  The server runs on
    uvloop and httptools (runtime dependencies; `server_config`).
    """
    import uvicorn

    try:
        if args.demo:
            if cmd_load_demo(argparse.Namespace(path=None, check=False)) != 0:
                return 1
        else:
            asyncio.run(migrate.upgrade(_owner_url()))
        config = server_config(args)
        if config.workers > 1:
            return _serve_workers(config)
        server = uvicorn.Server(config)

        def shut_down(signum: int, frame: object) -> None:
            # While it serves, uvicorn's own handlers take both signals.  This one sees a
            # signal only just before they are installed (it then asks uvicorn to shut
            # down as soon as it has started) or when uvicorn, after its graceful
            # shutdown, raises the signal again for the handler it found: nothing is left to do.
            if not server.should_exit:
                server.handle_exit(signum, frame)  # type: ignore[arg-type]

        for sig in SHUTDOWN_SIGNALS:
            signal.signal(sig, shut_down)
        server.run()
        return 0 if server.started else 3  # 3: uvicorn's status when the server could not start
    finally:
        embedded.stop()


def server_config(args: argparse.Namespace) -> uvicorn.Config:
    """uvicorn's configuration for `kkr serve`: the production server by default (one worker per core in
    production; uvloop's event loop and httptools' HTTP parser, which uvicorn's "auto" picks when installed,
    as they are with the platform; docs/performance.md)."""
    import uvicorn

    settings = get_settings()
    return uvicorn.Config(
        "kkr.platform.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_level=settings.log_level,
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,  # type: ignore[arg-type]  # a float works
        workers=_workers(args.workers, settings.is_development),
        loop="auto",
        http="auto",
    )


def _workers(requested: int | None, development: bool) -> int:
    """Worker processes: as asked, else one per core in production and one in development."""
    if requested is not None:
        return requested
    return 1 if development else max(1, os.cpu_count() or 1)


def _serve_workers(config: uvicorn.Config) -> int:
    """Serve with `config.workers` processes under uvicorn's supervisor, which takes SIGINT and SIGTERM
    from here on and passes SIGTERM to every worker (each shuts down gracefully); returns when all exited."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from .metrics import multiprocess_metrics

    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    with multiprocess_metrics():  # the workers share their metrics through PROMETHEUS_MULTIPROC_DIR
        supervisor.run()
    failed = any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes)
    return 3 if failed else 0  # 3: uvicorn's status when the server could not start


def cmd_export_schema(args: argparse.Namespace) -> int:
    from .contract import export_manifest, export_sdl, manifest_path, sdl_path

    path = Path(args.output) if args.output else sdl_path()
    print(f"{path}: {'updated' if export_sdl(path) else 'unchanged'}")
    if not args.output:  # the contract's own SDL: its trusted-documents manifest too
        print(f"{manifest_path()}: {'updated' if export_manifest() else 'unchanged'}")
    return 0


def cmd_check_schema(args: argparse.Namespace) -> int:
    from .contract import current_sdl, operation_files
    from .schema_changes import gate_failures, registered_operations, schema_changes

    contract_dir = get_settings().frontend_contract_dir
    released = (contract_dir / "released" / "schema.graphql").read_text(encoding="utf-8")
    changelog_path = contract_dir / "CHANGELOG.md"
    changelog = changelog_path.read_text(encoding="utf-8") if changelog_path.exists() else ""
    from graphql import build_schema

    for change in schema_changes(build_schema(released), build_schema(current_sdl())):
        print(f"{'breaking' if change.breaking else 'dangerous'}: {change.description}")
    failures = gate_failures(released, current_sdl(), changelog, registered_operations(operation_files()))
    for failure in failures:
        print(f"FAIL {failure}")
    print("schema gate: " + ("failed" if failures else "passed"))
    return 1 if failures else 0


def cmd_release_schema(args: argparse.Namespace) -> int:
    from .contract import current_sdl, sdl_path
    from .schema_changes import release

    if sdl_path().read_text(encoding="utf-8") != current_sdl():
        print("frontend-contract/schema.graphql differs from the code: run `kkr export-schema` first")
        return 1
    if cmd_check_schema(args) != 0:
        return 1
    try:
        release(args.version, current_sdl(), get_settings().frontend_contract_dir)
    except ValueError as exc:
        print(exc)
        return 1
    print(f"released the schema as {args.version}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kkr", description="The KKR GraphQL platform.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate and run the HTTP server")
    serve.add_argument("--demo", action="store_true", help="load the demo data from TENANTS_DIR first")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers",
        type=_positive,
        metavar="N",
        help="worker processes (default: one per core in production, 1 in development)",
    )
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="upgrade the database schema")
    mig.add_argument("revision", nargs="?", default="head")
    mig.set_defaults(func=cmd_migrate)

    demo = sub.add_parser("load-demo", help="validate and load the curated data under TENANTS_DIR")
    demo.add_argument("--check", action="store_true", help="validate only, write nothing")
    demo.add_argument("--path", help="the tenants folder (default: TENANTS_DIR, the installed package's copy)")
    demo.set_defaults(func=cmd_load_demo)

    export = sub.add_parser(
        "export-schema",
        help="write the GraphQL SDL to frontend-contract/schema.graphql and the trusted-documents manifest",
    )
    export.add_argument("--output", help="another file to write it to")
    export.set_defaults(func=cmd_export_schema)

    check = sub.add_parser("check-schema", help="the breaking-change gate against frontend-contract/released/")
    check.set_defaults(func=cmd_check_schema)
    release = sub.add_parser("release-schema", help="release the current SDL as VERSION (frontend-contract/released/)")
    release.add_argument("version", help="MAJOR.MINOR.PATCH, greater than the released version")
    release.set_defaults(func=cmd_release_schema)

    add_auth_commands(sub, owner_url=_owner_url)
    return parser


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _exit(signum: int, frame: object) -> None:
    """SIGTERM and SIGINT end a command with SystemExit, so that `finally` blocks and atexit hooks run (above
    all the one that stops the embedded PostgreSQL): killed by an unhandled SIGTERM, a process would leave that
    server running.  `kkr serve` refines this once it serves."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run one command; invalid configuration (any command) is exit status 2 with one line per bad variable."""
    args = build_parser().parse_args(argv)
    try:
        logging.basicConfig(level=get_settings().log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
        with shutdown_signals_handled(_exit):
            status: int = args.func(args)
            return status
    except SettingsError as exc:
        print(f"kkr: invalid configuration (environment variables):\n{_indented(exc)}", file=sys.stderr)
        return 2


def _indented(error: SettingsError) -> str:
    return "\n".join(f"  {line}" for line in str(error).splitlines())


if __name__ == "__main__":
    raise SystemExit(main())
