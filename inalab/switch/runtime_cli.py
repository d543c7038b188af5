"""``inalab-switch-cli``: talk to a running ``inalab-switch`` through its
runtime-control channel, with simple_switch_CLI's command names::

    inalab-switch-cli --thrift-port 9090 table_add ipv4_lpm ipv4_forward 10.0.0.1/32 => 1 2
    inalab-switch-cli < commands.txt          # one command per line, as simple_switch_CLI
    inalab-switch-cli impair 1 egress loss=0.1 delay=5

Exit status 1 if the switch cannot be reached or any command failed.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from collections.abc import Iterable, Sequence

from inalab.switch.io_process import DEFAULT_RUNTIME_PORT

PROG = "inalab-switch-cli"


class RuntimeClient:
    """A connection to one switch's control channel."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = DEFAULT_RUNTIME_PORT, timeout: float = 10.0
    ) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._file = self._sock.makefile("rwb")

    def call(self, line: str) -> tuple[bool, str]:
        """(ok, output or error message) of one command."""
        self._file.write(line.replace("\n", " ").encode() + b"\n")
        self._file.flush()
        raw = self._file.readline()
        if not raw:
            raise ConnectionError("the switch closed the connection")
        reply = json.loads(raw)
        return bool(reply["ok"]), str(reply.get("output") if reply["ok"] else reply["error"])

    def close(self) -> None:
        self._file.close()
        self._sock.close()

    def __enter__(self) -> RuntimeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _lines(args: argparse.Namespace) -> Iterable[str]:
    if args.command:
        yield " ".join(args.command)
        return
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print("RuntimeCmd: ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            return
        yield line.strip()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Runtime control of a running inalab-switch (simple_switch_CLI commands).",
    )
    p.add_argument("--thrift-ip", default="127.0.0.1", help="switch address (default 127.0.0.1)")
    p.add_argument(
        "--thrift-port",
        type=int,
        default=DEFAULT_RUNTIME_PORT,
        help=f"switch control port (default {DEFAULT_RUNTIME_PORT})",
    )
    p.add_argument("command", nargs=argparse.REMAINDER, help="one command; none: read stdin")
    args = p.parse_args(argv)
    if not 0 < args.thrift_port < 65536:
        p.error(f"argument --thrift-port: {args.thrift_port} is not a TCP port (1..65535)")
    try:
        client = RuntimeClient(args.thrift_ip, args.thrift_port)
    except OSError as exc:
        print(
            f"{PROG}: error: cannot reach the switch at {args.thrift_ip}:{args.thrift_port}: "
            f"{exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    try:
        return _run(client, args)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


def _run(client: RuntimeClient, args: argparse.Namespace) -> int:
    """Every command of ``args`` or stdin; the exit status (1 if one failed)."""
    failed = False
    with client:
        for line in _lines(args):
            if not line or line.startswith("#"):
                continue
            try:
                ok, text = client.call(line)
            except UnicodeError:
                print(f"{PROG}: error: command {line[:40]!r}: not UTF-8 text", file=sys.stderr)
                return 1
            except (OSError, ValueError) as exc:
                print(f"{PROG}: error: {exc}", file=sys.stderr)
                return 1
            if ok:
                if text:
                    print(text)
            else:
                failed = True
                print(f"Error: {text}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
