"""Against a server that is not geventchat: CAP, a taken nick, no automatic room, PING.

The "server" is this test, speaking raw lines on a loopback socket, so each
step of the conversation is asserted as a transcript.
"""

from __future__ import annotations

import re
import socket

import pytest

from tests.support.piped import Piped
from tests.support.transcript import Transcript

pytestmark = pytest.mark.timeout(30)


def test_registration_against_a_plain_irc_server() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    client = Piped("127.0.0.1", "alice", "Alice Tester", "alice", "--port", str(port), "--room", "#chat")
    try:
        listener.settimeout(10)
        conn, _ = listener.accept()
        irc = Transcript(conn)
        irc.expect(r"^CAP LS :?302$")
        irc.expect(r"^NICK :?alice$")
        user = irc.expect(r"^USER ")
        assert re.fullmatch(r"USER alice \S+ 127\.0\.0\.1 :Alice Tester", user), user
        irc.send(":other.server CAP * LS :multi-prefix sasl")
        irc.expect(r"^CAP REQ :multi-prefix sasl$")  # what it uses of what is offered
        irc.send(":other.server CAP * ACK :multi-prefix sasl")
        irc.expect(r"^CAP :?END$")
        irc.send(":other.server 433 * alice :Nickname is already in use")
        irc.expect(r"^NICK :?alice_$")
        client.wait_out("Nick alice is already in use; trying alice_")
        irc.send(":other.server 001 alice_ :Welcome to OtherNet alice_",
                 ":other.server 005 alice_ NICKLEN=30 CHANTYPES=# :are supported by this server",
                 ":other.server 422 alice_ :MOTD File is missing")
        client.wait_out("You are connected as alice_ (alice was not available)")
        irc.expect(r"^JOIN :?#chat$")   # nobody put us in a room: we join --room ourselves
        irc.send(":alice_!a@h JOIN #chat", ":other.server 353 alice_ = #chat :alice_ @op +voiced",
                 ":other.server 366 alice_ #chat :End of /NAMES list.", "PING :are-you-there")
        irc.expect(r"^PONG :?are-you-there$")
        client.wait_out("3 in #chat: @op +voiced alice_")
        client.write("hello other server")
        irc.expect(r"^PRIVMSG #chat :hello other server$")
        irc.send(":op!o@h PRIVMSG #chat :welcome, alice_")
        client.wait_out("<op> welcome, alice_")
        client.write("/quit")
        irc.expect(r"^QUIT :Leaving$")
        irc.send("ERROR :Closing Link: h (Quit: Leaving)")
        conn.close()
        assert client.proc.wait(5) == 0
    finally:
        client.close()
        listener.close()
