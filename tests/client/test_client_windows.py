"""Windows as a person sees them: channels and a private conversation, switching, marks, closing."""

from __future__ import annotations

import pytest

from tests.support.client import IrcClient

pytestmark = pytest.mark.timeout(40)


def test_two_channels_and_a_private_window(spawn, chat_server) -> None:
    bob = IrcClient(chat_server.address).register("bob")
    alice = spawn("alice")
    alice.wait_status("2:#lobby (2 users)")
    alice.send_line("/join #dev")
    alice.wait_status("3:#dev (1 user)")             # asked for: shown at once
    alice.wait_pane("You joined #dev")
    bob.send("JOIN #dev")
    alice.wait_pane("bob (user@127.0.0.1) joined #dev")
    alice.wait_status("3:#dev (2 users)")

    bob.send("PRIVMSG alice :psst, a word")
    alice.wait_status("Act: 4:bob!")                 # a window of its own, not shown
    bob.send("PRIVMSG #lobby :hello lobby")
    alice.wait_status("Act: 2:#lobby* 4:bob!")
    assert not alice.has("hello lobby") and not alice.has("psst")

    alice.press("alt-2")
    alice.wait_pane("<bob> hello lobby")
    alice.wait_for(lambda t: "2:#lobby (2 users)" in t.status() and "Act: 4:bob!" in t.status()
                   and t.input_line() == "[#lobby]", "window 2 shown, its mark gone")
    bob.send("PRIVMSG #dev :alice: the build is green")
    alice.wait_status("Act: 3:#dev! 4:bob!")         # named: a mention

    alice.send_line("/window 3")
    alice.wait_pane("<bob> alice: the build is green")
    alice.wait_for(lambda t: t.input_line() == "[#dev]" and "Act: 4:bob!" in t.status(), "window 3 shown")
    alice.type("thanks b")
    alice.press("tab")                                # nicks complete in the channel's window
    alice.wait_for(lambda t: t.input_line() == "[#dev] thanks bob", "bob completed")
    alice.type("and see #l")
    alice.press("tab")                                # and channels anywhere
    alice.wait_for(lambda t: t.input_line() == "[#dev] thanks bob and see #lobby", "#lobby completed")
    alice.press("enter")
    bob.expect(r"^:alice!\S+ PRIVMSG #dev :thanks bob and see #lobby $")

    alice.press("alt-4")
    alice.wait_pane("<bob> psst, a word")
    alice.send_line("sure, what is it?")              # a line typed here goes to bob alone
    bob.expect(r"^:alice!\S+ PRIVMSG bob :sure, what is it\?$")
    alice.wait_pane("<alice> sure, what is it?")

    alice.press("alt-3")
    alice.wait_status("3:#dev")
    alice.send_line("/part off to lunch")             # the window closes; the conversation is now 3
    bob.expect(r"^:alice!\S+ PART #dev :off to lunch$")
    alice.wait_for(lambda t: "#dev" not in t.status(), "the #dev window closed")
    alice.wait_status("3:bob")                        # back to the window shown before it
    alice.wait_pane("<bob> psst, a word")
    alice.send_line("/window 2")
    alice.wait_status("2:#lobby")
    alice.press("ctrl-n")                              # the next window, and back
    alice.wait_status("3:bob")
    alice.press("ctrl-p")
    alice.wait_status("2:#lobby")
    bob.close()


def test_a_kick_keeps_the_window_and_says_so(spawn, chat_server) -> None:
    bob = IrcClient(chat_server.address).register("bob")
    bob.send("JOIN #ops")
    bob.expect(r" 366 ")
    alice = spawn("alice")
    alice.send_line("/join #ops")
    alice.wait_status("3:#ops (2 users)")
    bob.send("KICK #ops alice :not today")
    alice.wait_said("You were kicked from #ops by bob (not today); /join #ops to go back")
    alice.wait_status("3:#ops (not joined)")
    alice.send_line("/join #ops")
    alice.wait_status("3:#ops (2 users)")
    bob.close()


def test_the_nick_list_is_a_column_on_a_wide_terminal(spawn, chat_server) -> None:
    bob = IrcClient(chat_server.address).register("bob")
    bob.send("JOIN #dev")
    bob.expect(r" 366 ")
    alice = spawn("alice", cols=110)
    alice.send_line("/join #dev")
    alice.wait_status("3:#dev (2 users)")
    bob.send("MODE #dev +v alice")
    alice.wait_for(lambda t: [row[-12:].strip() for row in t.pane()[:2]] == ["│@bob", "│+alice"],
                   "operators first, then the voiced")
    column = 110 - (8 + 2)      # the list takes the widest nick (8 cells at least), a prefix and a separator
    assert alice.display[0][column:] == "│@bob" and alice.cells(0)[column + 1].bold
    alice.send_line("/names")
    alice.wait_said("2 in #dev: @bob +alice")
    bob.send("QUIT :bye")
    alice.wait_for(lambda t: [row[-12:].strip() for row in t.pane()[:2]] == ["│+alice", "│"],
                   "bob gone from the list")
