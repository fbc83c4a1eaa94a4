"""The smaller things a daily user trips over, each seen on the screen of the real client."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.support.client import IrcClient
from tests.support.piped import Piped
from tests.support.server import start_server
from tests.support.terminal import Terminal, child_env, client_argv

pytestmark = pytest.mark.timeout(40)


def test_the_screen_is_up_at_once_while_the_connection_waits(spawn) -> None:
    """A server whose accept queue is full leaves our connect pending: the screen works meanwhile."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):  # fill the accept queue; later SYNs are dropped and connects stay pending
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        alice = spawn("alice", port=port, wait=False)
        alice.wait_status("connecting…")
        alice.type("typed while connecting")
        alice.wait_for(lambda t: t.input_line() == "[(status)] typed while connecting", "the input line works")
        alice.press("enter")
        alice.wait_pane("Not connected yet; lines typed now are sent once we are")
        alice.wait_status("1 waiting")
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_a_20_column_status_bar_keeps_the_connection_state(spawn) -> None:
    alice = spawn("alice", cols=20, wait=False)
    alice.wait_for(lambda t: t.status().rstrip().endswith("connected"), "the state at 20 columns")
    assert alice.status().startswith(" alice |")


def test_keys_typed_while_the_terminal_is_too_small_are_not_sent(spawn, chat_server) -> None:
    bob = IrcClient(chat_server.address).register("bob")
    alice = spawn("alice")
    alice.wait_status("#lobby (2 users)")
    alice.resize(3, 12)
    alice.wait_for(lambda t: " ".join(t.display).split() == "Terminal too small: 12x3, need 20x4".split(),
                   "the too-small notice")
    alice.type("typed blind")
    alice.press("enter")
    alice.paste("pasted blind\n")
    alice.resize(24, 80)
    alice.wait_for(lambda t: "#lobby (2 users)" in t.status(), "the screen back")
    assert alice.input_line() == "[#lobby]"
    alice.send_line("seen")
    bob.expect(r"PRIVMSG #lobby :seen$")
    assert not any("blind" in line for line in bob.seen), bob.seen
    bob.close()


def test_a_long_word_wraps_where_the_row_ends_not_after_the_nick(spawn, chat_server) -> None:
    bob = IrcClient(chat_server.address).register("bob")
    alice = spawn("alice", cols=40)
    word = "https://example.org/" + "a" * 60
    bob.send(f"PRIVMSG #lobby :{word}")
    alice.wait_pane("<bob> https://example.org/")
    row = alice.display[alice.row_of("<bob> https://")]
    assert len(row) == 40, alice.dump()   # the first row is filled
    assert alice.said().endswith(word), alice.dump()
    bob.close()


def test_the_welcome_block_is_not_repeated_on_reconnect(spawn) -> None:
    server = start_server()
    try:
        alice = spawn("alice", server=server)
        alice.press("alt-1")     # the status window: what the server says about the connection
        alice.wait_pane("Welcome to the")
        server.stop()
        alice.wait_status("disconnected")
        server = start_server("--port", str(server.port))
        alice.wait_pane("Reconnected to irc.test as alice", timeout=15)
        alice.wait_status("Act: 2:#lobby")    # back in the lobby, whose window is not the one shown
        alice.press("home")  # the whole scrollback, from the top
        alice.wait_pane("Connected to 127.0.0.1")
        text = "\n".join(alice.pane())
        assert text.count("Welcome to the") == 1 and text.count("Your host is") == 1, alice.dump()
    finally:
        server.stop()


def test_host_port_and_ipv6_are_understood_and_printed_right(server_factory) -> None:
    server = server_factory("--host", "::1")
    argv = client_argv(f"[::1]:{server.port}", "alice", "Alice", "alice")
    term = Terminal(argv, name="alice")
    try:
        term.wait_status("#lobby (1 user)")
        term.press("alt-1")
        term.wait_pane(f"Connected to [::1]:{server.port}; registering as alice")
    finally:
        term.close()
    v4 = server_factory()
    term = Terminal(client_argv(f"127.0.0.1:{v4.port}", "bob", "Bob", "bob"), name="bob")
    try:
        term.wait_status("#lobby (1 user)")
        term.press("alt-1")
        term.wait_pane(f"Connected to 127.0.0.1:{v4.port}; registering as bob")
    finally:
        term.close()


def test_an_unquoted_real_name_gets_a_hint() -> None:
    run = subprocess.run([sys.executable, "-m", "curses_client", "127.0.0.1", "bob", "Bob", "Smith", "bob"],
                         capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert run.returncode == 2
    assert 'a real name with spaces needs quotes: chat-client 127.0.0.1 bob "Bob Smith" bob' in run.stderr
    assert "Traceback" not in run.stderr


def test_reconnect_command(spawn, chat_server) -> None:
    bob = IrcClient(chat_server.address).register("bob")
    alice = spawn("alice")
    alice.wait_status("#lobby (2 users)")
    alice.send_line("/reconnect")
    bob.expect(r"^:alice!\S+ QUIT :Reconnecting$")
    bob.expect(r"^:alice!\S+ JOIN #lobby")
    alice.wait_pane("Reconnected to irc.test as alice")    # the old link closed first: the nick was free
    alice.wait_status("#lobby (2 users)")
    assert not any("!!!" in row for row in alice.pane()), alice.dump()   # leaving on purpose is no error
    bob.close()


def test_line_mode_over_ssh_without_a_terminal_says_why(chat_server) -> None:
    env = dict(child_env(), SSH_CONNECTION="127.0.0.1 50000 127.0.0.1 22")
    env.pop("SSH_TTY", None)
    proc = subprocess.Popen([sys.executable, "-m", "curses_client", "127.0.0.1", "alice", "Alice", "alice",
                             "--port", str(chat_server.port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    try:
        proc.stdin.close()
        proc.wait(15)
        assert proc.stderr.read().decode() == (
            "chat-client: ssh gave no terminal (run ssh with -t for the full screen); using line mode\n")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_line_mode_says_terminal_closed_when_the_other_end_goes(chat_server) -> None:
    """ssh without -t drops: our stdin ends and our stdout has no reader any more."""
    bob = IrcClient(chat_server.address).register("bob")
    client = Piped("127.0.0.1", "alice", "Alice", "alice", "--port", str(chat_server.port), "--plain")
    try:
        client.wait_out("You joined #lobby")
        client.proc.stdout.close()
        client.proc.stdin.close()
        bob.expect(r"^:alice!\S+ QUIT :Terminal closed$")
        assert client.proc.wait(5) == 0
        assert b"Traceback" not in client.proc.stderr.read()
    finally:
        client.close()
        bob.close()


def test_line_mode_in_a_terminal_that_hangs_up_says_terminal_closed(chat_server) -> None:
    bob = IrcClient(chat_server.address).register("bob")
    argv = client_argv("127.0.0.1", "alice", "Alice", "alice", "--port", str(chat_server.port))
    term = Terminal(argv, name="dumb", env={"TERM": "dumb"})
    try:
        term.wait_text("You joined #lobby")
        term.ended = True
        term.proc.fileobj.close()  # the terminal goes away: SIGHUP
        bob.expect(r"^:alice!\S+ QUIT :Terminal closed$")
    finally:
        term.close()
        bob.close()
