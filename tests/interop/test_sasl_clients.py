"""Third-party clients log in with SASL PLAIN and keep their registered nick: jaraco's `irc`, and weechat.

The account is made first with draft/account-registration over a raw socket;
a guest then finds the nick reserved, and the client that logs in gets it.
"""

from __future__ import annotations

import irc.client

from tests.interop.test_irc_library import pump
from tests.interop.test_real_clients import installed
from tests.server.test_accounts import PASSWORD, make_account
from tests.support.client import IrcClient
from tests.support.server import CHEAP_ARGON2
from tests.support.terminal import Terminal


def test_irc_library_logs_in_with_sasl_plain_and_keeps_its_nick(server_factory):
    server = server_factory(*CHEAP_ARGON2)
    make_account(server, "alice")
    reactor = irc.client.Reactor()
    events: dict[str, list] = {"welcome": [], "login_failed": []}
    for kind in events:
        reactor.add_global_handler(kind, lambda conn, event, kind=kind: events[kind].append(event))
    alice = reactor.server().connect("127.0.0.1", server.port, "alice", password=PASSWORD, sasl_login="alice")
    try:
        pump(reactor, lambda: events["welcome"] or events["login_failed"], "the welcome")
        assert events["login_failed"] == []
        assert alice.get_nickname() == "alice"
        witness = IrcClient(server.address).register("witness")
        witness.send("WHOIS alice")
        assert witness.expect(r" 330 ") == ":irc.test 330 witness alice alice :is logged in as"
    finally:
        alice.disconnect("bye")


def test_weechat_logs_in_with_sasl_plain_and_keeps_its_nick(server_factory, tmp_path):
    installed("weechat")
    server = server_factory(*CHEAP_ARGON2)
    make_account(server, "alice")
    home = tmp_path / "weechat"
    commands = (f"/server add local 127.0.0.1/{server.port} -nicks=alice -sasl_mechanism=plain "
                f"-sasl_username=alice -sasl_password={PASSWORD};/connect local")
    term = Terminal(["weechat", "-d", str(home), "-r", commands], rows=30, cols=120, name="weechat",
                    env={"HOME": str(tmp_path)})
    try:
        # it joins the lobby as alice, and extended-join shows it the account in brackets
        term.wait_for(lambda t: any("alice [alice]" in row and "has joined #lobby" in row for row in t.display)
                      and t.input_line().endswith("│[alice]"),  # its nick, in the input bar
                      "alice [alice] joining #lobby, and [alice] in the input bar", timeout=20)
        witness = IrcClient(server.address).register("witness")
        witness.send("WHOIS alice")
        assert witness.expect(r" 330 ") == ":irc.test 330 witness alice alice :is logged in as"
    finally:
        term.close()
