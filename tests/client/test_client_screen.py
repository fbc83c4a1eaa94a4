"""The curses client as a person sees it: a real client in a pty, a real server, pyte's screen.

Every check waits (with a deadline) for the screen to show something; a
failure prints the screens. Peers that only need to talk are line-level
IrcClients from tests/support/client.py.
"""

from __future__ import annotations

import time

import pytest

from tests.support.client import IrcClient
from tests.support.server import start_server
from tests.support.terminal import Terminal, client_argv

pytestmark = pytest.mark.timeout(30)


def peer(server, nick: str) -> IrcClient:
    return IrcClient(server.address).register(nick)


def test_welcome_status_bar_and_input_line(spawn) -> None:
    alice = spawn("alice")
    alice.wait_pane("You joined #lobby")
    status = alice.status()
    for part in ("alice", "irc.test", "2:#lobby (1 user)", "connected"):
        assert part in status, alice.dump()
    y = len(alice.display) - 2
    assert all(cell.reverse for cell in alice.cells(y)), "the status bar is in reverse video"
    assert alice.input_line() == "[#lobby]"
    alice.wait_for(lambda t: t.cursor() == (23, len("[#lobby] ")), "the cursor on the input line")
    alice.press("alt-1")   # the status window keeps what the server said
    alice.wait_pane("Welcome to the")
    alice.wait_for(lambda t: t.input_line() == "[(status)]" and "1:status" in t.status(), "the status window")


def test_message_reaches_the_other_pane_with_nick_join_and_count(spawn) -> None:
    alice = spawn("alice")
    bob = spawn("bob")
    alice.wait_pane("bob (bob@127.0.0.1) joined #lobby")
    alice.wait_status("#lobby (2 users)")
    alice.send_line("hello there")
    bob.wait_pane("<alice> hello there")
    alice.wait_for(lambda t: t.has("<alice> hello there") and not t.has("sent  <alice>"),
                   "own line, shown at once and confirmed by the server's echo")
    # Own messages stand out (bold); other nicks get a colour.
    y = alice.row_of("<alice> hello there")
    assert alice.cells(y)[len("HH:MM <alice> ")].bold
    y = bob.row_of("<alice> hello there")
    assert bob.cells(y)[len("HH:MM <")].fg != "default"
    assert not bob.cells(y)[len("HH:MM <alice> ")].bold
    # A mention of my nick stands out too.
    alice.send_line("bob: are you there?")
    bob.wait_pane("<alice> bob: are you there?")
    y = bob.row_of("bob: are you there?")
    assert bob.cells(y)[len("HH:MM <alice> ")].bold


def test_private_message_both_ways_and_not_seen_by_others(spawn, chat_server) -> None:
    alice = spawn("alice")
    bob = spawn("bob")
    carol = spawn("carol")
    alice.wait_status("#lobby (3 users)")
    alice.send_line("/msg bob the secret word")
    alice.wait_pane("[msg to bob] the secret word")    # a copy where it was typed
    bob.wait_status("Act: 3:alice!")                   # a window of its own, not shown yet
    bob.press("alt-3")
    bob.wait_pane("<alice> the secret word")
    bob.send_line("got it")                            # typed in the conversation's window
    alice.wait_status("Act: 3:bob!")
    alice.send_line("/window 3")
    alice.wait_pane("<bob> got it")
    assert alice.has("<alice> the secret word")
    alice.press("alt-2")
    alice.wait_status("2:#lobby")
    alice.send_line("back to everyone")
    carol.wait_pane("<alice> back to everyone")  # after the private lines, in order
    assert not carol.has("secret") and not carol.has("got it"), carol.dump()


def test_join_and_quit_with_message_change_the_count(spawn, chat_server) -> None:
    alice = spawn("alice")
    bob = spawn("bob", wrapped=True)
    alice.wait_status("#lobby (2 users)")
    bob.send_line("/quit gone fishing")
    alice.wait_pane("bob quit (gone fishing)")
    alice.wait_status("#lobby (1 user)")
    bob.wait_text("EXIT:0 MODES: ixon isig icanon echo")


def test_resize_smaller_larger_and_too_small_keeps_input_and_scrollback(spawn) -> None:
    alice = spawn("alice")
    alice.wait_pane("You joined #lobby")
    alice.type("half typed")
    alice.wait_for(lambda t: t.input_line() == "[#lobby] half typed", "the typed input")

    alice.resize(10, 40)
    alice.wait_for(lambda t: len(t.display) == 10 and "#lobby (1 user)" in t.status()
                   and t.input_line() == "[#lobby] half typed", "a redraw at 40x10")
    alice.wait_for(lambda t: t.cursor() == (9, len("[#lobby] half typed")), "the cursor after the input")
    assert alice.pane_lines()[-1].endswith("1 in #lobby: alice"), alice.dump()

    alice.resize(30, 100)
    alice.wait_for(lambda t: t.display[-1] == "[#lobby] half typed" and "connected" in t.status()
                   and t.has("You joined #lobby") and t.cursor() == (29, len("[#lobby] half typed")),
                   "a redraw at 100x30")

    alice.resize(3, 12)
    alice.wait_for(lambda t: " ".join(t.display).split() == "Terminal too small: 12x3, need 20x4".split(),
                   "the too-small notice")

    alice.resize(1, 1)
    alice.wait_for(lambda t: t.display == ["T"], "the notice's first letter at 1x1")
    alice.resize(4, 20)  # the smallest full screen: two pane rows, status, input
    alice.wait_for(lambda t: t.display[-1] == "> half typed" and t.status().startswith(" alice |"),
                   "the smallest full screen")
    assert alice.proc.isalive()

    alice.resize(24, 80)
    alice.wait_for(lambda t: t.display[-1] == "[#lobby] half typed" and "#lobby (1 user)" in t.status(),
                   "the screen back at 80x24")
    alice.type(" and finished")
    alice.press("enter")
    alice.wait_pane("<alice> half typed and finished")


def test_scrolling_back_and_forward(spawn, chat_server) -> None:
    alice = spawn("alice")
    bob = peer(chat_server, "bob")
    bob.send(*[f"PRIVMSG #lobby :line {i:02}" for i in range(60)])
    alice.wait_pane("<bob> line 59")

    alice.press("pageup")
    alice.wait_status("more below")
    assert not alice.has("line 59")
    shown = alice.pane_lines()
    assert any("<bob> line" in row for row in shown), alice.dump()

    # New output does not yank the view down; the status line counts it.
    bob.send("PRIVMSG #lobby :arrived while reading")
    alice.wait_status("more below (1 new)")
    assert alice.pane_lines() == shown
    assert not alice.has("arrived while reading")

    alice.press("pageup", "pageup")
    alice.wait_pane("<bob> line 05")
    alice.press("home")  # input is empty: Home goes to the top of the buffer
    alice.wait_for(lambda t: "You joined #lobby" in t.display[0], "the window's first line at the top")
    alice.press("pagedown")
    alice.wait_for(lambda t: not t.has("You joined #lobby"), "a page down")
    alice.press("end")
    alice.wait_pane("<bob> arrived while reading")
    alice.wait_for(lambda t: "more below" not in t.status(), "the status line back to normal")
    for _ in range(10):
        alice.press("pageup")
    alice.wait_status("more below")
    for _ in range(12):
        alice.press("pagedown")
    alice.wait_for(lambda t: "more below" not in t.status() and t.has("arrived while reading"),
                   "paging down to the end")
    bob.close()


def test_history_recall_and_editing_keys(spawn) -> None:
    alice = spawn("alice")
    alice.send_line("first line")
    alice.wait_pane("<alice> first line")
    alice.send_line("second line")
    alice.wait_pane("<alice> second line")

    alice.press("up")
    alice.wait_for(lambda t: t.input_line() == "[#lobby] second line", "history: the last line")
    alice.press("up")
    alice.wait_for(lambda t: t.input_line() == "[#lobby] first line", "history: the line before")
    alice.press("down")
    alice.wait_for(lambda t: t.input_line() == "[#lobby] second line", "history: forward again")
    alice.press("ctrl-u")
    alice.wait_for(lambda t: t.input_line() == "[#lobby]", "Ctrl-U clears")

    alice.type("hello wrld")
    alice.press("left", "left", "left")
    alice.type("o")
    alice.wait_for(lambda t: t.input_line() == "[#lobby] hello world", "an insert in the middle")
    alice.wait_for(lambda t: t.cursor() == (23, len("[#lobby] hello wo")), "the cursor after the insert")
    alice.press("ctrl-a")
    alice.type(">> ")
    alice.press("end", "backspace", "ctrl-w")
    alice.wait_for(lambda t: t.input_line() == "[#lobby] >> hello", "Home, End, Backspace, Ctrl-W")
    alice.proc.write(b"\x13")  # Ctrl-S: no flow control, the screen must not freeze
    alice.press("home", "delete", "delete", "delete", "ctrl-e")
    alice.wait_for(lambda t: t.input_line() == "[#lobby] hello", "Delete")
    alice.press("enter")
    alice.wait_pane("<alice> hello")


def test_long_input_scrolls_horizontally(spawn) -> None:
    alice = spawn("alice", cols=40)
    text = "".join(f"{i:02}-" for i in range(30))  # 90 characters
    alice.type(text)
    alice.wait_for(lambda t: t.input_line().endswith("29-"), "the end of a long line")
    assert len(alice.input_line()) <= 40
    alice.press("home")
    alice.wait_for(lambda t: t.input_line().startswith("[#lobby] 00-01-"), "the start of a long line")
    alice.press("enter")
    alice.wait_pane("28-29-")


def test_tab_completes_nicks_in_the_room(spawn, chat_server) -> None:
    alice = spawn("alice")
    bob = peer(chat_server, "bobby")
    alice.wait_status("#lobby (2 users)")
    alice.type("bo")
    alice.press("tab")
    alice.wait_for(lambda t: t.input_line() == "[#lobby] bobby:", "the completed nick")
    alice.type("hi")
    alice.press("enter")
    alice.wait_pane("<alice> bobby: hi")
    bob.expect(r"PRIVMSG #lobby :bobby: hi")
    bob.close()


def test_utf8_typed_and_received_with_wide_characters(spawn, chat_server) -> None:
    alice = spawn("alice")
    bob = peer(chat_server, "bob")
    alice.type("héllo ☃ 漢字")
    alice.wait_for(lambda t: t.input_line() == "[#lobby] héllo ☃ 漢字", "UTF-8 in the input line")
    # Two wide characters take four cells: the cursor is where the next one goes.
    alice.wait_for(lambda t: t.cursor() == (23, len("[#lobby] héllo ☃ ") + 4), "the cursor after 漢字")
    alice.press("backspace")
    alice.wait_for(lambda t: t.cursor()[1] == len("[#lobby] héllo ☃ ") + 2, "Backspace over a wide char")
    alice.type("字")
    alice.press("enter")
    bob.expect("PRIVMSG #lobby :héllo ☃ 漢字$")
    alice.wait_pane("<alice> héllo ☃ 漢字")
    bob.send("PRIVMSG #lobby :日本語 naïve café 😀 ok")
    alice.wait_pane("<bob> 日本語 naïve café 😀 ok")
    # A combining accent takes no cell of its own: "ok" sits right after "café ".
    bob.send("PRIVMSG #lobby :cafe\u0301 ok")
    alice.wait_pane("<bob> café ok")  # pyte composes e + U+0301 into é in one cell
    y = alice.row_of("<bob> café ok")
    assert alice.cells(y)[len("HH:MM <bob> café ")].data == "o"
    bob.close()


def test_long_lines_wrap_with_a_hanging_indent(spawn, chat_server) -> None:
    alice = spawn("alice", cols=40)
    bob = peer(chat_server, "bob")
    words = " ".join(f"word{i:02}" for i in range(20))
    bob.send(f"PRIVMSG #lobby :{words} 漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字")
    alice.wait_pane("<bob> word00")
    alice.wait_pane("漢字")
    top = alice.row_of("<bob> word00")
    rows = alice.pane()[top:]
    indent = " " * len("HH:MM <bob> ")
    continuation = [row for row in rows[1:] if row]
    assert len(continuation) >= 3, alice.dump()
    assert all(row.startswith(indent) and row[len(indent)] != " " for row in continuation), alice.dump()
    assert " ".join(" ".join(rows).split()).count("word") == 20  # no word cut in two
    bob.close()


def test_nick_collision_at_start_is_resolved_with_a_notice(spawn, chat_server) -> None:
    holder = peer(chat_server, "alice")
    alice = spawn("alice")
    alice.wait_status("alice_ |")
    alice.press("alt-1")
    alice.wait_pane("Nick alice is already in use; trying alice_")
    alice.send_line("who am i")
    holder.expect(r"^:alice_!\S+ PRIVMSG #lobby :who am i$")
    holder.close()


def test_commands_whois_me_names_and_mistakes(spawn, chat_server) -> None:
    alice = spawn("alice")
    bob = spawn("bob")
    alice.wait_status("(2 users)")
    alice.send_line("/whois bob")
    alice.wait_pane("bob is bob@127.0.0.1 (Bob Tester)")
    alice.wait_pane("bob is connected to irc.test")
    alice.send_line("/me waves")
    bob.wait_pane("* alice waves")
    alice.send_line("/names")
    alice.wait_pane("2 in #lobby: alice bob")
    alice.send_line("/frobnicate")
    alice.wait_pane("!!! Unknown command /frobnicate; /help lists the commands")
    alice.send_line("/msg")
    alice.wait_pane("!!! Usage: /msg <nick|#channel> <text>")
    alice.send_line("/msg nobody hello?")
    alice.wait_pane("!!! No such nick or channel: nobody")
    alice.send_line("/nick alicia")
    bob.wait_pane("alice is now known as alicia")
    alice.wait_status("alicia |")


def test_server_shutdown_is_explained_and_the_client_reconnects(spawn) -> None:
    server = start_server()
    try:
        alice = spawn("alice", server=server)
        alice.type("unsent draft")
        server.stop()
        alice.wait_pane("Server shutting down")
        alice.wait_pane("Disconnected: the server closed the connection; reconnecting in 1s")
        alice.wait_status("disconnected")
        assert alice.input_line() == "[#lobby] unsent draft"
        server = start_server("--port", str(server.port))
        alice.wait_status("#lobby (1 user)", timeout=15)
        alice.wait_status("connected")
        assert alice.input_line() == "[#lobby] unsent draft"
    finally:
        server.stop()


def test_no_reconnect_keeps_the_screen_until_quit(spawn) -> None:
    server = start_server()
    try:
        alice = spawn("alice", "--no-reconnect", server=server, wrapped=True)
        server.stop()
        alice.wait_pane("Disconnected: the server closed the connection")
        alice.wait_status("not reconnecting")
        alice.send_line("/quit")
        alice.wait_text("MODES: ixon isig icanon echo")
    finally:
        server.stop()


def test_ctrl_c_sends_quit_and_restores_the_terminal(spawn, chat_server) -> None:
    bob = peer(chat_server, "bob")
    alice = spawn("alice", wrapped=True)
    bob.expect(r"^:alice!\S+ JOIN #lobby")
    alice.press("ctrl-c")
    bob.expect(r"^:alice!\S+ QUIT :")
    alice.wait_text("EXIT:0 MODES: ixon isig icanon echo")
    assert not alice.has("Traceback"), alice.dump()
    bob.close()


def test_quit_exits_zero(spawn) -> None:
    alice = spawn("alice")
    alice.send_line("/quit bye")
    assert alice.wait_exit() == 0


def test_a_terminal_that_cannot_do_full_screen_gets_line_mode(chat_server) -> None:
    argv = client_argv("127.0.0.1", "alice", "Alice", "alice", "--port", str(chat_server.port))
    term = Terminal(argv, name="dumb", env={"TERM": "dumb"})
    try:
        term.wait_text("cannot run full screen; using line mode")
        term.wait_text("You joined #lobby")
        term.type("hello from a dumb terminal\r")
        term.wait_text("<alice> hello from a dumb terminal")
        term.type("/quit\r")
        assert term.wait_exit() == 0
    finally:
        term.close()


def test_closing_the_terminal_sends_quit(spawn, chat_server) -> None:
    bob = peer(chat_server, "bob")
    alice = spawn("alice")
    bob.expect(r"^:alice!\S+ JOIN #lobby")
    alice.ended = True
    alice.proc.fileobj.close()  # the ssh session drops: the kernel sends SIGHUP
    bob.expect(r"^:alice!\S+ QUIT :Terminal closed$")
    deadline = time.monotonic() + 5
    while alice.proc.isalive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alice.proc.isalive()
    bob.close()
