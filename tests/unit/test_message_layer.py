"""The IRCv3 message layer, as transcripts without sockets: one relayed line, each client its own view.

Every line a client gets goes through the outbox, which serialises a relayed
line once per view: a client with no capabilities gets exactly the bytes it
always got; one with message-tags and server-time gets the same line with a
tag section in front.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from geventchat.config import Config
from geventchat.core.chat import Chat
from tests.support.peer import Peer

NOW = 1_790_000_000.25  # 2026-09-21T14:13:20.250Z
STAMP = "2026-09-21T14:13:20.250Z"
MSGID = r"[0-9a-z]+~[0-9a-f]+"


@pytest.fixture
def chat() -> Chat:
    return Chat(Config.from_flags(server_name="irc.test"))


def tagged(line: str) -> tuple[dict[str, str], str]:
    """(tags, rest) of a received line."""
    if not line.startswith("@"):
        return {}, line
    section, rest = line[1:].split(" ", 1)
    return dict(item.partition("=")[::2] for item in section.split(";")), rest


def test_one_line_two_views_and_plain_clients_get_the_old_bytes(chat):
    """message-tags: "a client that did not negotiate a cap never sees its tags"."""
    modern = Peer(chat, "modern", caps="message-tags server-time")
    plain = Peer(chat, "plain")
    alice = Peer(chat, "alice")
    modern.new(), plain.new()
    alice.say("@+draft/react=wave;+x=y PRIVMSG #lobby :hello", now=NOW)
    assert plain.new() == [":alice!alice@127.0.0.1 PRIVMSG #lobby :hello"]
    [line] = modern.new()
    tags, rest = tagged(line)
    assert rest == ":alice!alice@127.0.0.1 PRIVMSG #lobby :hello"
    assert tags["time"] == STAMP and re.fullmatch(MSGID, tags["msgid"])
    assert tags["+draft/react"] == "wave" and tags["+x"] == "y"
    assert list(tags)[0] == "time"


def test_a_view_is_serialised_once_for_all_its_members(chat):
    """The same bytes object is queued for every member of a view (and plain members share theirs)."""
    a, b = Peer(chat, "a", caps="message-tags"), Peer(chat, "b", caps="message-tags")
    c, d = Peer(chat, "c"), Peer(chat, "d")
    Peer(chat, "sender").say("PRIVMSG #lobby :once")
    assert a.raw[-1] is b.raw[-1]
    assert c.raw[-1] is d.raw[-1]
    assert a.raw[-1].endswith(c.raw[-1])


def test_server_time_alone_shows_the_time_and_no_msgid(chat):
    timed = Peer(chat, "timed", caps="server-time")
    timed.new()
    Peer(chat, "alice").say("PRIVMSG #lobby :when?", now=NOW)
    assert timed.new()[-1] == f"@time={STAMP} :alice!alice@127.0.0.1 PRIVMSG #lobby :when?"


def test_tagmsg_reaches_only_message_tags_clients(chat):
    modern, plain = Peer(chat, "modern", caps="message-tags"), Peer(chat, "plain")
    alice = Peer(chat, "alice")
    modern.new(), plain.new()
    alice.say("@+typing=active TAGMSG #lobby")
    tags, rest = tagged(modern.new()[-1])
    assert rest == ":alice!alice@127.0.0.1 TAGMSG #lobby" and tags["+typing"] == "active"
    assert plain.new() == []
    assert alice.say("@+typing=active TAGMSG modern")  == []
    assert tagged(modern.new()[-1])[1] == ":alice!alice@127.0.0.1 TAGMSG modern"


def test_server_tags_sent_by_a_client_are_not_relayed(chat):
    """Only client-only tags (`+name`) travel; a client cannot forge msgid, time or account."""
    modern = Peer(chat, "modern", caps="message-tags server-time")
    modern.new()
    Peer(chat, "alice").say("@msgid=forged;time=1999-01-01T00:00:00.000Z;account=admin;+ok PRIVMSG #lobby :hi",
                            now=NOW)
    tags, _ = tagged(modern.new()[-1])
    assert tags["msgid"] != "forged" and tags["time"] == STAMP and "account" not in tags and "+ok" in tags


def test_echo_message_gives_the_sender_its_line_with_the_same_msgid(chat):
    alice = Peer(chat, "alice", caps="echo-message message-tags")
    bob = Peer(chat, "bob", caps="message-tags")
    alice.new()
    assert alice.say("PRIVMSG #lobby :echoed")
    echo_tags, echo = tagged(alice.out[-1])
    bob_tags, seen = tagged(bob.out[-1])
    assert echo == seen == ":alice!alice@127.0.0.1 PRIVMSG #lobby :echoed"
    assert echo_tags["msgid"] == bob_tags["msgid"]
    alice.say("PRIVMSG bob :private too")
    assert tagged(alice.out[-1])[1] == ":alice!alice@127.0.0.1 PRIVMSG bob :private too"


def test_no_echo_without_the_capability(chat):
    alice = Peer(chat, "alice")
    alice.new()
    assert alice.say("PRIVMSG #lobby :not echoed") == []


def test_labeled_response_single_reply_carries_the_label(chat):
    c = Peer(chat, "c", caps="labeled-response batch message-tags")
    c.new()
    assert c.say("@label=abc PING tok") == ["@label=abc :irc.test PONG irc.test :tok"]


def test_labeled_response_no_reply_is_an_ack(chat):
    c = Peer(chat, "c", caps="labeled-response batch")
    Peer(chat, "bob")
    c.new()
    assert c.say("@label=q1 PRIVMSG bob :no echo, so no reply") == ["@label=q1 :irc.test ACK"]


def test_labeled_response_several_replies_come_in_a_batch(chat):
    c = Peer(chat, "c", caps="labeled-response batch")
    c.new()
    lines = c.say("@label=w1 WHOIS c")
    assert re.fullmatch(r"@label=w1 :irc\.test BATCH \+(\w+) labeled-response", lines[0])
    ref = lines[0].split("+")[1].split()[0]
    assert lines[1].startswith(f"@batch={ref} :irc.test 311 c c ")
    assert lines[-2] == f"@batch={ref} :irc.test 318 c c :End of /WHOIS list."
    assert lines[-1] == f":irc.test BATCH -{ref}"


def test_labeled_echo_is_the_reply(chat):
    """labeled-response: with echo-message, the echoed line is the labeled reply."""
    c = Peer(chat, "c", caps="labeled-response batch echo-message")
    c.new()
    assert c.say("@label=e1 PRIVMSG #lobby :hi") == ["@label=e1 :c!c@127.0.0.1 PRIVMSG #lobby :hi"]


def test_a_label_without_the_capability_changes_nothing(chat):
    c = Peer(chat, "c")
    c.new()
    assert c.say("@label=abc PING tok") == [":irc.test PONG irc.test :tok"]


def test_extended_join_and_userhost_in_names(chat):
    ext = Peer(chat, "ext", caps="extended-join userhost-in-names")
    ext.new()
    Peer(chat, "alice")
    assert ext.new() == [":alice!alice@127.0.0.1 JOIN #lobby * :Alice Real"]
    assert ext.say("NAMES #lobby")[0] == ":irc.test 353 ext = #lobby :ext!ext@127.0.0.1 alice!alice@127.0.0.1"


def test_away_notify_and_setname_reach_only_those_who_asked(chat):
    watcher, plain = Peer(chat, "watcher", caps="away-notify setname"), Peer(chat, "plain")
    alice = Peer(chat, "alice", caps="setname")
    watcher.new(), plain.new(), alice.new()
    alice.say("AWAY :lunch")
    assert watcher.new() == [":alice!alice@127.0.0.1 AWAY :lunch"]
    alice.say("AWAY")
    assert watcher.new() == [":alice!alice@127.0.0.1 AWAY"]
    assert alice.say("SETNAME :Alice Liddell") == [":alice!alice@127.0.0.1 SETNAME :Alice Liddell"]
    assert watcher.new() == [":alice!alice@127.0.0.1 SETNAME :Alice Liddell"]
    assert plain.new() == []
    assert plain.say("WHOIS alice")[0] == ":irc.test 311 plain alice alice 127.0.0.1 * :Alice Liddell"
    assert alice.say("SETNAME :") == [":irc.test FAIL SETNAME INVALID_REALNAME :Real name is empty or too long"]


def test_caps_asked_after_registration_change_the_view_at_once(chat):
    late = Peer(chat, "late")
    late.new()
    assert late.say("CAP REQ :server-time") == [":irc.test CAP late ACK :server-time"]
    Peer(chat, "alice").say("PRIVMSG #lobby :now with time", now=NOW)
    assert late.new()[-1] == f"@time={STAMP} :alice!alice@127.0.0.1 PRIVMSG #lobby :now with time"
    late.say("CAP REQ :-server-time")
    Peer(chat, "bob").say("PRIVMSG #lobby :and without", now=NOW)
    assert late.new()[-1] == ":bob!bob@127.0.0.1 PRIVMSG #lobby :and without"


def test_cap_ls_302_values_and_cap_list(chat):
    c = Peer(chat)
    assert c.say("CAP LS") == [":irc.test CAP * LS :message-tags server-time echo-message batch labeled-response "
                               "cap-notify multi-prefix userhost-in-names away-notify extended-join invite-notify setname "
                               "standard-replies account-notify account-tag sasl draft/account-registration"]
    c.say("CAP LS 302")
    assert c.say("CAP LIST") == [":irc.test CAP * LIST :cap-notify"]  # 302 turns cap-notify on


def test_cap_ls_splits_a_long_list_with_a_star(chat):
    from geventchat.core.context import Context
    from geventchat.core.handlers.capabilities import _list

    c = Peer(chat)
    _list(Context(chat, c.session, NOW), "LS", [f"vendor.example/cap-{i:03d}" for i in range(60)], multiline=True)
    lines = c.new()
    assert len(lines) == 3 and all(len(line) <= 510 for line in lines)
    assert lines[0].startswith(":irc.test CAP * LS * :vendor.example/cap-000 ")
    assert lines[-1].startswith(":irc.test CAP * LS :") and lines[-1].endswith("cap-059")
    assert sum(len(line.rsplit(":", 1)[1].split()) for line in lines) == 60


def test_every_relayed_event_has_a_msgid(chat):
    modern = Peer(chat, "modern", caps="message-tags")
    modern.new()
    alice = Peer(chat, "alice")
    alice.say("NOTICE #lobby :n", "NICK alicia", "QUIT :bye")
    events = modern.new()
    assert [tagged(line)[1].split()[1] for line in events] == ["JOIN", "NOTICE", "NICK", "QUIT"]
    ids = [tagged(line)[0]["msgid"] for line in events]
    assert len(set(ids)) == 4


def test_tags_past_4094_bytes_are_417_and_the_connection_stays():
    from geventchat.protocol.framing import LineBuffer

    chat = Chat(Config.from_flags(server_name="irc.test"))
    c = Peer(chat, "c")
    c.new()
    lines = LineBuffer().feed(b"@+x=" + b"a" * 4091 + b" PRIVMSG #lobby :fits\r\n"
                              b"@+x=" + b"a" * 4092 + b" PRIVMSG #lobby :too much\r\n")
    chat.received(c.session, lines, NOW)
    assert c.new() == [":irc.test 417 c :Input line was too long"]


def test_only_the_outbox_formats_lines_for_clients():
    """ARCHITECTURE idea 4: no module but core/outbox.py (and its Delivery) serialises what a client is sent."""
    root = Path(__file__).resolve().parents[2] / "geventchat"
    formatting = sorted(
        str(path.relative_to(root)) for path in root.rglob("*.py")
        if "format_line(" in path.read_text() or "format_tags(" in path.read_text()
    )
    assert formatting == ["core/delivery.py", "core/outbox.py", "protocol/message.py"]


def test_the_core_and_the_outbox_import_without_gevent():
    code = "import sys; sys.modules['gevent'] = None\nimport geventchat.core.outbox, geventchat.core.chat\n"
    subprocess.run([sys.executable, "-c", code], check=True)
