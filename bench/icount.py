"""The core's work per lobby line, for counting instructions: python -m bench.icount off|on MESSAGES CLIENTS

Drives a Chat with no sockets: CLIENTS sessions registered in the lobby,
then MESSAGES lobby lines from one of them through Chat.received (flood
control, parsing, dispatch, the outbox, the bus, every member's queue).
`on` reports to the metrics counters as --metrics-port does. Run it under
callgrind twice with different MESSAGES: the difference of the two counts,
divided by the difference of MESSAGES, is the instructions per message, with
start-up and imports cancelled out:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python -m bench.icount on 5500 100
"""

from __future__ import annotations

import sys

import gevent  # noqa: F401 - loaded in the server either way: the heap a garbage collection walks is the same

from geventchat.config import Config
from geventchat.core.chat import Chat


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in ("off", "on") or not (argv[1].isdigit() and argv[2].isdigit()):
        print("usage: python -m bench.icount off|on MESSAGES CLIENTS", file=sys.stderr)
        return 2
    mode, messages, clients = argv[0], int(argv[1]), int(argv[2])
    chat = Chat(Config.from_flags(server_name="irc.test", flood_burst=10**9, flood_rate=10**9, history="none"))
    if mode == "on":
        from prometheus_client import CollectorRegistry

        from geventchat.metrics import Counts

        chat.use_metrics(Counts(CollectorRegistry()))
    queues = []
    for i in range(clients):
        queue: list[bytes] = []
        session = chat.connect("127.0.0.1", queue.append, lambda: None, 1000.0)
        chat.received(session, [f"NICK u{i}".encode(), b"USER u 0 * :U"], 1000.0)
        queues.append((session, queue))
    sender = queues[0][0]
    line = [b"PRIVMSG #lobby :hello everyone, a line of ordinary length for a chat message"]
    for n in range(messages):
        chat.received(sender, line, 1000.0 + n * 1e-6)
        if n % 200 == 0:
            for _, queue in queues:
                queue.clear()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
