"""Broadcast order per sender, while others join and leave.

Several senders number their lobby messages; steady receivers stay for the
whole run, churning receivers come and go (QUIT, close, reset) throughout.
Every log is then checked: a sender's messages arrive in the order sent,
none twice, none skipped while the receiver was there, and a receiver
present for the whole run gets every message exactly once.
"""

from __future__ import annotations

import random
import re
import socket
import struct
import threading
import time

from tests.support.client import Closed, IrcClient

SENDERS = 4
MESSAGES = 300
STEADY = 3
CHURNERS = 6
RELAY = re.compile(r"^:(s\d)!s@127\.0\.0\.1 PRIVMSG #lobby :(s\d) (\d+|END)$")
FLAGS = ("--max-per-ip", "1000", "--flood-burst", "100000", "--flood-rate", "100000")


def sequences(lines: list[str]) -> dict[str, list[int]]:
    """Per sender, the numbers of its messages in the order received (END as -1)."""
    seen: dict[str, list[int]] = {}
    for line in lines:
        match = RELAY.match(line)
        if match:
            sender, claimed, number = match.groups()
            assert sender == claimed, line  # the prefix is the true sender
            seen.setdefault(sender, []).append(-1 if number == "END" else int(number))
    return seen


def assert_contiguous(run: list[int], log_name: str, sender: str) -> None:
    """In order, none twice, none skipped: the run a receiver saw while present."""
    numbers = [n for n in run if n >= 0]
    first = numbers[0] if numbers else 0
    assert numbers == list(range(first, first + len(numbers))), \
        f"{log_name} got {sender}'s messages out of order, twice or with a gap: {numbers}"
    if -1 in run:
        assert run.index(-1) == len(run) - 1 and (not numbers or numbers[-1] == MESSAGES - 1)


def test_per_sender_order_with_receivers_joining_and_leaving(server_factory):
    server = server_factory(*FLAGS)
    errors: list[BaseException] = []
    logs: dict[str, list[str]] = {}  # a receiver's session name -> every line it received
    done = threading.Event()
    deadline = time.monotonic() + 30

    def guarded(work):
        def run(*args):
            try:
                work(*args)
            except BaseException as error:  # reported by the main thread
                errors.append(error)
                done.set()
        return run

    def read_to_the_end(client: IrcClient, name: str, ends: int) -> None:
        """Read until `ends` END markers arrived; the whole log goes in `logs`."""
        got = 0
        while got < ends:
            assert time.monotonic() < deadline, f"{name} did not get every END in time"
            if RELAY.match(line := client.read_line()) and line.endswith(" END"):
                got += 1
        logs[name] = list(client.seen)

    def sender(index: int, client: IrcClient, start: threading.Event) -> None:
        rng = random.Random(index)
        start.wait(10)
        number = 0
        while number < MESSAGES:
            batch = range(number, min(MESSAGES, number + rng.randint(1, 12)))
            client.send(*(f"PRIVMSG #lobby :s{index} {n}" for n in batch))
            number = batch.stop
            time.sleep(rng.random() * 0.006)  # pacing, so the churners overlap the run
        client.send(f"PRIVMSG #lobby :s{index} END")
        read_to_the_end(client, f"sender s{index}", SENDERS - 1)

    def churner(index: int) -> None:
        rng = random.Random(100 + index)
        for session in range(1000):
            if done.is_set() or time.monotonic() > deadline:
                return
            name = f"c{index}x{session}"
            client = IrcClient(server.address).register(name, "c", "Churner")
            wanted = rng.randint(0, 80)
            relayed = 0
            try:
                while relayed < wanted and not done.is_set():
                    if RELAY.match(client.read_line(timeout=0.5)):
                        relayed += 1
            except TimeoutError:
                pass
            how = rng.choice(["quit", "close", "reset"])
            if how == "quit":
                client.send("QUIT :bye")
                try:
                    client.read_until_closed(timeout=5)
                except Closed:
                    pass
            elif how == "reset":
                client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
            logs[name] = list(client.seen)

    steady = [IrcClient(server.address).register(f"r{i}", "r", "Steady") for i in range(STEADY)]
    senders = [IrcClient(server.address).register(f"s{i}", "s", "Sender") for i in range(SENDERS)]
    start = threading.Event()
    threads = [threading.Thread(target=guarded(sender), args=(i, c, start)) for i, c in enumerate(senders)]
    threads += [threading.Thread(target=guarded(churner), args=(i,)) for i in range(CHURNERS)]
    threads += [threading.Thread(target=guarded(read_to_the_end), args=(c, f"steady r{i}", SENDERS))
                for i, c in enumerate(steady)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)  # let the first churners arrive before the senders start
    start.set()
    for thread in threads[:SENDERS]:
        thread.join(35)
    done.set()
    for thread in threads:
        thread.join(35)
        assert not thread.is_alive()
    assert not errors, errors
    for client in steady + senders:
        client.close()

    everything = list(range(MESSAGES)) + [-1]
    for i in range(STEADY):
        assert sequences(logs[f"steady r{i}"]) == {f"s{j}": everything for j in range(SENDERS)}
    for i in range(SENDERS):
        others = {f"s{j}": everything for j in range(SENDERS) if j != i}
        assert sequences(logs[f"sender s{i}"]) == others  # everyone else's, never its own
    churned = [name for name in logs if name.startswith("c")]
    assert len(churned) >= 2 * CHURNERS, churned
    partial = 0
    for name in churned:
        for sender_nick, run in sequences(logs[name]).items():
            assert_contiguous(run, name, sender_nick)
            partial += 0 < len(run) < MESSAGES + 1
    assert partial > 0, "no churning receiver overlapped the senders: the test proved nothing"
    print(f"ordering: {len(churned)} churning sessions, {partial} partial runs checked")
    assert "Traceback" not in server.log_text()
