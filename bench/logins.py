"""logins: how many SASL PLAIN logins a node checks a second at its argon2 costs.

    python -m bench.logins [--seconds 10] [--clients 8] [--server-cpus 0] [-- server flags...]

One account is registered, then `--clients` connections at once each open a
connection, log in with SASL PLAIN (the right password, so no throttle
applies), wait for 903 and close, over and over. Argon2 is slow on purpose:
the figure says what that costs a node, and the server's CPU per login says
why. Meanwhile one client already in the lobby PINGs the server every 250 ms:
its round trips show whether hashing (on threads) stalls everyone else.
Flags after `--` go to the server (`--argon2-memory-cost 65536`...).
"""

from __future__ import annotations

import argparse
import base64
import socket
import statistics
import sys
import tempfile
import threading
import time

from .launcher import start_geventchat

ACCOUNT, PASSWORD = "benchacct", "bench-password-1"


def _lines(sock: socket.socket, buffer: bytearray, marker: bytes, timeout: float = 30.0) -> bytes:
    """Read until a line containing `marker`; return that line."""
    deadline = time.monotonic() + timeout
    while True:
        end = buffer.find(b"\n")
        while end >= 0:
            line = bytes(buffer[:end])
            del buffer[:end + 1]
            if marker in line:
                return line
            end = buffer.find(b"\n")
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        buffer += data


def register(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(f"CAP LS 302\r\nNICK {ACCOUNT}\r\nUSER b 0 * :B\r\nREGISTER * * {PASSWORD}\r\n"
                     f"CAP END\r\n".encode())
        _lines(sock, bytearray(), b"REGISTER SUCCESS")


def login(port: int, nick: str) -> float:
    """One SASL PLAIN login on a new connection; seconds from AUTHENTICATE to 903."""
    payload = base64.b64encode(f"\0{ACCOUNT}\0{PASSWORD}".encode()).decode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        buffer = bytearray()
        sock.sendall(f"CAP LS 302\r\nNICK {nick}\r\nUSER b 0 * :B\r\nCAP REQ :sasl\r\nAUTHENTICATE PLAIN\r\n".encode())
        _lines(sock, buffer, b"AUTHENTICATE +")
        started = time.monotonic()
        sock.sendall(f"AUTHENTICATE {payload}\r\n".encode())
        line = _lines(sock, buffer, b" 90")
        if b" 903 " not in line and b" 900 " not in line:
            raise RuntimeError(line.decode(errors="replace"))
        if b" 900 " in line:
            _lines(sock, buffer, b" 903 ")
        took = time.monotonic() - started
        sock.sendall(b"QUIT\r\n")
        return took


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    server_flags: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, server_flags = argv[:at], argv[at + 1:]
    p = argparse.ArgumentParser(prog="python -m bench.logins", description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--clients", type=int, default=8, help="logins in flight at once")
    p.add_argument("--server-cpus", default="0", help="CPUs the server is pinned to, comma-separated")
    args = p.parse_args(argv)
    cpus = {int(cpu) for cpu in args.server_cpus.split(",")}
    data = tempfile.mkdtemp(prefix="bench-logins-")
    server = start_geventchat(cpus, 10_000, ("--data-dir", data, *server_flags))
    try:
        register(server.port)
        times: list[float] = []
        errors: list[str] = []
        stop = time.monotonic() + args.seconds

        def client(index: int) -> None:
            count = 0
            while time.monotonic() < stop:
                count += 1
                try:
                    times.append(login(server.port, f"b{index}x{count}"))
                except Exception as error:  # noqa: BLE001 - reported, never hidden
                    errors.append(str(error))
                    return

        pings: list[float] = []

        def pinger() -> None:
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                buffer = bytearray()
                sock.sendall(b"NICK pinger\r\nUSER p 0 * :P\r\n")
                _lines(sock, buffer, b" 366 ")
                count = 0
                while time.monotonic() < stop:
                    count += 1
                    sent = time.monotonic()
                    sock.sendall(b"PING p%d\r\n" % count)
                    _lines(sock, buffer, b"p%d" % count)
                    pings.append(time.monotonic() - sent)
                    time.sleep(0.25)  # under the PING budget (5/s): no fakelag in the figure

        cpu_before, started = server.cpu(), time.monotonic()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        threads.append(threading.Thread(target=pinger))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall, cpu = time.monotonic() - started, server.cpu() - cpu_before
    finally:
        server.stop()
    if errors:
        print(f"errors: {len(errors)}, first: {errors[0]}", file=sys.stderr)
    if not times:
        return 1
    times.sort()
    print(f"{len(times)} logins in {wall:.1f}s: {len(times) / wall:.1f} logins/s with {args.clients} in flight, "
          f"server on CPUs {sorted(cpus)}; server CPU {1000 * cpu / len(times):.1f} ms per login; "
          f"AUTHENTICATE to 903: median {1000 * statistics.median(times):.0f} ms, "
          f"p95 {1000 * times[int(0.95 * (len(times) - 1))]:.0f} ms; meanwhile PING round trips: median "
          f"{1000 * statistics.median(pings):.1f} ms, max {1000 * max(pings):.1f} ms; "
          f"server flags: {' '.join(server_flags) or 'defaults'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
