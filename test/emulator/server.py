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

import extensions  # noqa: E402  (applied in main(), before the server takes requests)
from moto.server import ThreadedMotoServer  # noqa: E402


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
    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    _, port = server.get_host_and_port()

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
