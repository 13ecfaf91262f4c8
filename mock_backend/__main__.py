"""`python -m mock_backend`: run the reference backend (and serve the SPA)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import sys
from collections.abc import Sequence
from typing import Any

from mock_backend.config import (
    ALGORITHMS,
    FROM_PROFILE,
    SECRET_ENV,
    ConfigError,
    Settings,
    default_spa_dir,
)
from mock_backend.config import parse_duration as _parse_duration
from mock_backend.profile import ApiProfile, ProfileError, builtin_names, load_profile
from mock_backend.security import new_private_key_pem
from mock_backend.store import StoreUnavailable, open_store


def duration(text: str) -> float:
    try:
        return _parse_duration(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m mock_backend",
        description="Reference backend for the JWT access/refresh token flow of SPAs: short-lived "
                    "access tokens in JSON, rotating refresh tokens in an HttpOnly, Secure, "
                    "SameSite=Strict cookie. Serves the reference SPA at / unless --spa-dir "
                    "names another folder.",
        epilog=f"Durations: 30s, 15m, 7d, 2h or plain seconds. The HS256 key comes from "
               f"${SECRET_ENV} (at least 32 bytes); unset, a random per-process key is used. "
               f"Demo users: alice/alice-pass, bob/bob-pass (role user), admin/admin-pass "
               f"(role admin).")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    p.add_argument("--access-ttl", type=duration, default="15m",
                   help="access token lifetime (default 15m)")
    p.add_argument("--refresh-ttl", type=duration, default="7d",
                   help="absolute refresh lifetime from login; rotation never extends it "
                        "(default 7d)")
    p.add_argument("--alg", choices=ALGORITHMS, default="HS256",
                   help="access token signing algorithm; RS256 and EdDSA publish their key at "
                        "/.well-known/jwks.json (default HS256)")
    p.add_argument("--store", default="memory", metavar="memory|sqlite:PATH|redis://HOST:PORT/DB",
                   help="where refresh families live: memory, a SQLite file, or a Redis server; "
                        "the last two survive restarts and are shared safely by several "
                        "processes (default memory)")
    p.add_argument("--allow-origin", action="append", default=[], metavar="URL",
                   dest="allow_origins",
                   help="an origin (scheme://host:port) allowed by CORS with credentials and "
                        "by the CSRF checks; repeat for several. The server's own origin is "
                        "always allowed")
    p.add_argument("--test-control", action="store_true",
                   help="enable the test-control API under /__harness (journal, reset, clock, "
                        "faults, sessions); off by default, and then every /__harness path is 404")
    p.add_argument("--reuse-grace", type=duration, default="0s",
                   help="how long the immediately previous refresh token is still accepted "
                        "after a rotation; any other reuse revokes the family (default 0s)")
    p.add_argument("--race-window", type=duration, default="2s",
                   help="how long after a rotation committed the immediately previous refresh "
                        "token is refused as a lost race (401, no token) instead of revoking "
                        "the family as a replay; 0s leaves only requests that arrived before "
                        "the commit (default 2s)")
    p.add_argument("--api-profile", default=None, metavar="FILE|NAME",
                   help="speak another auth API: a TOML profile file, or a built-in one ("
                        + ", ".join(builtin_names()) + "); default: the reference API")
    p.add_argument("--cookie-name", default=FROM_PROFILE,
                   help="refresh cookie name (default: the profile's, refresh_token; __Host- "
                        "names need --cookie-path /)")
    p.add_argument("--cookie-path", default=FROM_PROFILE,
                   help="refresh cookie Path (default: the profile's, /api)")
    p.add_argument("--refresh-failure-status", type=int, choices=(400, 401, 403), default=0,
                   help="status of a rejected refresh (default: the profile's, 401; 403 for "
                        "apps written to expect 403 from the refresh endpoint)")
    p.add_argument("--spa-dir", default=None, metavar="PATH",
                   help="folder served at / with history fallback (default: the bundled "
                        "reference SPA)")
    p.add_argument("--no-spa", action="store_true", help="serve the API only")
    p.add_argument("--upstream", default=None, metavar="URL",
                   help="be the edge in front of your own backend at URL instead of the "
                        "reference backend: its API requests are forwarded unchanged, and the "
                        "test-control API (journal, clock, faults, sessions as observed) "
                        "works in front of it. Needs --accounts, and --api-profile for an API "
                        "other than the reference one")
    p.add_argument("--accounts", default=None, metavar="FILE",
                   help="with --upstream: a TOML file of the accounts that can log in to "
                        "your backend ([[account]] username, password, name, role)")
    p.add_argument("--workers", type=_workers, default=1, metavar="N",
                   help="serve with N processes on one port (default 1). They need a store "
                        "they share (sqlite:PATH or redis://...), and sign with one key "
                        "made at start unless $" + SECRET_ENV + " gives it; --test-control "
                        "needs a single process")
    return p


def _workers(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 64:
        raise argparse.ArgumentTypeError(f"invalid worker count {text!r}: a whole number "
                                         "from 1 to 64")
    return n


def settings_from_args(args: argparse.Namespace, **keys: Any) -> Settings:
    """The settings the arguments give; `keys`: the signing key's settings (`secret`,
    `private_key_pem`, `key_id`) when they come from elsewhere (a `--workers` parent)."""
    profile = load_profile(args.api_profile) if args.api_profile else ApiProfile()
    return Settings(**keys, api_profile=profile, access_ttl=args.access_ttl,
                    refresh_ttl=args.refresh_ttl, alg=args.alg,
                    store=args.store, allow_origins=args.allow_origins,
                    test_control=args.test_control, reuse_grace=args.reuse_grace,
                    race_window=args.race_window,
                    cookie_name=args.cookie_name, cookie_path=args.cookie_path,
                    refresh_failure_status=args.refresh_failure_status,
                    spa_dir=None if args.no_spa else (args.spa_dir or default_spa_dir()))


def edge_app_from_args(args: argparse.Namespace) -> Any:
    """The edge's app (`--upstream`), or a ConfigError naming what is missing or useless."""
    from mock_backend.edge.accounts import load_accounts
    from mock_backend.edge.app import EdgeSettings, create_edge_app

    if not args.upstream:
        raise ConfigError("--accounts is for an edge: give --upstream URL as well")
    if not args.accounts:
        raise ConfigError("--upstream needs --accounts FILE: the accounts that can log in to "
                          "your backend (docs/your-backend.md)")
    if args.workers > 1:
        raise ConfigError("--upstream runs one process: the journal, the clock and the "
                          "faults live in it")
    own = [flag for flag, value, default in (
        ("--store", args.store, "memory"), ("--alg", args.alg, "HS256"),
        ("--access-ttl", args.access_ttl, 900.0), ("--refresh-ttl", args.refresh_ttl, 604800.0),
        ("--allow-origin", args.allow_origins, []), ("--reuse-grace", args.reuse_grace, 0.0),
        ("--race-window", args.race_window, 2.0), ("--cookie-name", args.cookie_name,
                                                   FROM_PROFILE),
        ("--cookie-path", args.cookie_path, FROM_PROFILE),
        ("--refresh-failure-status", args.refresh_failure_status, 0)) if value != default]
    if own:
        raise ConfigError(f"{', '.join(own)}: the reference backend's own setting; with "
                          f"--upstream your backend decides it")
    profile = load_profile(args.api_profile) if args.api_profile else ApiProfile()
    return create_edge_app(EdgeSettings(
        upstream=args.upstream, api_profile=profile, accounts=load_accounts(args.accounts),
        spa_dir=None if args.no_spa else (args.spa_dir or default_spa_dir())))


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    from mock_backend import create_app, server_options

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    if args.upstream or args.accounts:
        try:
            app = edge_app_from_args(args)
        except (ConfigError, ProfileError, ValueError) as exc:
            parser.exit(2, f"python -m mock_backend: error: {exc}\n")
        uvicorn.run(app, host=args.host, port=args.port, log_level="info", lifespan="on",
                    **server_options())
        return 0
    if args.workers > 1:
        try:
            _prepare_workers(args, list(sys.argv[1:] if argv is None else argv))
        except (ConfigError, ProfileError, StoreUnavailable, ValueError) as exc:
            parser.exit(2, f"python -m mock_backend: error: {exc}\n")
        uvicorn.run("mock_backend.__main__:worker_app", factory=True, workers=args.workers,
                    host=args.host, port=args.port, log_level="info", lifespan="on",
                    **server_options())
        return 0
    try:
        app = create_app(settings_from_args(args))
    except (ConfigError, ProfileError, StoreUnavailable, ValueError) as exc:
        parser.exit(2, f"python -m mock_backend: error: {exc}\n")
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", lifespan="on",
                **server_options())
    return 0


# What a `--workers` parent hands its processes: its arguments and the one signing key.
WORKER_ENV = "MOCK_BACKEND_WORKER"


def _prepare_workers(args: argparse.Namespace, argv: list[str]) -> None:
    """Check what several processes need, make the key they share, and leave both in the
    environment the worker processes start with (`worker_app` reads them)."""
    if args.test_control:
        raise ConfigError(
            "--workers cannot serve --test-control: the journal, the clock and the faults live "
            "in each process, and a request may reach any of them. Run the processes on ports "
            "of their own, sharing the store, each with its own --test-control "
            "(docs/backend.md: several backend processes)")
    settings = settings_from_args(args, secret=_shared_secret(args.alg))
    if settings.store == "memory":
        raise ConfigError("--workers needs a store the processes share: --store sqlite:PATH or "
                          "--store redis://HOST:PORT/DB (each would have a memory store of "
                          "its own, and a refresh token would be known to one process only)")
    open_store(settings.store).close()  # unreachable or unwritable: said now, once
    pem = new_private_key_pem(settings.alg)
    os.environ[WORKER_ENV] = json.dumps({
        "argv": argv, "secret": settings.secret.hex() if settings.secret else None,
        "private_key_pem": pem.decode() if pem else None, "key_id": secrets.token_hex(8)})


def _shared_secret(alg: str) -> bytes | None:
    if alg != "HS256" or os.environ.get(SECRET_ENV):
        return None  # Settings reads the environment
    logging.getLogger("mock_backend").warning(
        "%s is not set: the worker processes share a random secret made at start; access "
        "tokens will not survive a restart", SECRET_ENV)
    return secrets.token_bytes(32)


def worker_app() -> Any:
    """The app of one `--workers` process (uvicorn's factory), from the parent's arguments
    and signing key."""
    from mock_backend import create_app

    shared = json.loads(os.environ[WORKER_ENV])
    args = build_parser().parse_args(shared["argv"])
    pem = shared["private_key_pem"]
    return create_app(settings_from_args(
        args, secret=bytes.fromhex(shared["secret"]) if shared["secret"] else None,
        private_key_pem=pem.encode() if pem else None, key_id=shared["key_id"]))


if __name__ == "__main__":
    sys.exit(main())
