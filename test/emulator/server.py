"""Runs moto's server with the rds-failsafe extensions applied.

Usage: python server.py [--host 127.0.0.1] [--port N] [--exit-on-stdin-close]

Prints exactly one line, ``moto-ready <port>``, on stdout once the socket accepts
connections (``--port 0`` picks a free port and reports it). Exits on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

# moto picks the account from STS-assumed credentials; a fixed account would silently
# collapse prod and failsafe into one.
os.environ.pop("MOTO_ACCOUNT_ID", None)
# Keep the source tree free of __pycache__ (it is not git-ignored).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import json  # noqa: E402

import account_limits  # noqa: E402  (EXTENSIONS.md row 15, applied after extensions)
import extensions  # noqa: E402  (applied in main(), before the server takes requests)
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402

# Harness-only endpoints (extensions.py 9.): what AWS does on its own schedule, driven by tests.
HARNESS_ROUTES = {"/_rds_failsafe/automated-snapshot": extensions.create_automated_snapshot}


def harness_app(moto_app):
    """moto's WSGI app, plus the harness routes (POST, JSON in and out)."""

    def app(environ, start_response):
        route = HARNESS_ROUTES.get(environ.get("PATH_INFO", ""))
        if route is None or environ.get("REQUEST_METHOD") != "POST":
            return moto_app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            params = json.loads(environ["wsgi.input"].read(length) or b"{}")
            body, status = json.dumps(route(params)), "200 OK"
        except Exception as err:  # the test sees the reason, moto's state is untouched
            body, status = json.dumps({"error": f"{type(err).__name__}: {err}"}), "400 Bad Request"
        start_response(status, [("Content-Type", "application/json")])
        return [body.encode()]

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--exit-on-stdin-close",
        action="store_true",
        help="exit when stdin reaches EOF (the test runner's pipe: no orphan if it dies)",
    )
    args = parser.parse_args()

    extensions.apply()
    account_limits.apply()
    # moto's ThreadedMotoServer, with the harness routes in front of its app.
    server = make_server(
        args.host,
        args.port,
        harness_app(DomainDispatcherApplication(create_backend_app)),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"moto-ready {port}", flush=True)
    if args.exit_on_stdin_close:
        # A parent killed with SIGKILL cannot signal us; its end of the pipe closing can.
        threading.Thread(target=_exit_when_stdin_closes, args=(stop,), daemon=True).start()
    stop.wait()
    # All state is in memory and disposable: skip the slow shutdown of werkzeug's poll loop
    # and of the interpreter (over a second with moto's imports).
    sys.stdout.flush()
    os._exit(0)


def _exit_when_stdin_closes(stop: threading.Event) -> None:
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    stop.set()


if __name__ == "__main__":
    main()
