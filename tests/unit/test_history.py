"""Chat history as transcripts without sockets: a real SQLite store in a temporary file.

draft/chathistory, draft/event-playback, draft/message-redaction,
draft/read-marker, and the playback a client gets on joining when it does
not ask for history itself.
"""

from __future__ import annotations

import re
import time

import pytest

from geventchat.config import Config
from geventchat.core.chat import Chat
from geventchat.core.history import Entry, conversation
from geventchat.core.outbox import server_time
from geventchat.store.sqlite import SqliteHistory
from tests.support.peer import Peer

T0 = 1_790_000_000.0  # 2026-09-21T14:13:20Z
HISTORY = "draft/chathistory batch server-time message-tags"


@pytest.fixture
def store(tmp_path):
    store = SqliteHistory(tmp_path / "history.sqlite3", max_age=30 * 86400, max_lines=1000)
    yield store
    store.close()


@pytest.fixture
def chat(store) -> Chat:
    return Chat(Config.from_flags(server_name="irc.test", history_playback=3), history=store)


def tags_of(line: str) -> dict[str, str]:
    return dict(item.partition("=")[::2] for item in line[1:].split(" ", 1)[0].split(";")) if line[0] == "@" else {}


def body(line: str) -> str:
    return line.split(" ", 1)[1] if line.startswith("@") else line


def say_lines(chat: Chat, count: int, start: float = T0) -> tuple[Peer, list[str]]:
    """alice says `count` lines one second apart; returns alice and the msgids a tagged witness saw."""
    witness = Peer(chat, "witness", now=start - 10, caps="message-tags")
    alice = Peer(chat, "alice", now=start - 5)
    witness.new()
    for i in range(count):
        alice.say(f"PRIVMSG #lobby :line {i}", now=start + i)
    msgids = [tags_of(line)["msgid"] for line in witness.new()]
    return alice, msgids


def batch_of(lines: list[str]) -> tuple[str, list[str]]:
    """(the batch's head, its lines without their batch tag), checking it opens and closes."""
    head = re.fullmatch(r":irc\.test BATCH \+(\w+) (.*)", lines[0])
    assert head, lines[0]
    ref = head.group(1)
    assert lines[-1] == f":irc.test BATCH -{ref}"
    inside = []
    for line in lines[1:-1]:
        tags = tags_of(line)
        assert tags.pop("batch") == ref
        rest = ";".join(f"{k}={v}" if v else k for k, v in tags.items())
        inside.append((f"@{rest} " if rest else "") + body(line))
    return head.group(2), inside


def texts(lines: list[str]) -> list[str]:
    return [body(line).split(" :", 1)[1] for line in lines]


def test_latest_returns_the_newest_lines_oldest_first_with_their_msgid_and_time(chat):
    _, msgids = say_lines(chat, 5)
    reader = Peer(chat, "reader", now=T0 + 10, caps=HISTORY)
    reader.new()
    kind, lines = batch_of(reader.say("CHATHISTORY LATEST #lobby * 3", now=T0 + 11))
    assert kind == "chathistory #lobby"
    assert texts(lines) == ["line 2", "line 3", "line 4"]
    assert [tags_of(line)["msgid"] for line in lines] == msgids[2:]
    assert tags_of(lines[0])["time"] == server_time(T0 + 2)
    assert body(lines[0]) == ":alice!alice@127.0.0.1 PRIVMSG #lobby :line 2"


def test_a_line_can_be_read_back_the_moment_it_is_said(chat):
    """Writes are batched, but a read writes what is pending first."""
    alice = Peer(chat, "alice", now=T0, caps=HISTORY)
    alice.say("PRIVMSG #lobby :just now", now=T0 + 1)
    _, lines = batch_of(alice.say("CHATHISTORY LATEST #lobby * 10", now=T0 + 1))
    assert texts(lines) == ["just now"]


def test_before_after_and_around_a_msgid(chat):
    _, msgids = say_lines(chat, 9)
    reader = Peer(chat, "reader", now=T0 + 20, caps=HISTORY)
    reader.new()
    assert texts(batch_of(reader.say(f"CHATHISTORY BEFORE #lobby msgid={msgids[5]} 2"))[1]) == ["line 3", "line 4"]
    assert texts(batch_of(reader.say(f"CHATHISTORY AFTER #lobby msgid={msgids[5]} 2"))[1]) == ["line 6", "line 7"]
    assert texts(batch_of(reader.say(f"CHATHISTORY AROUND #lobby msgid={msgids[5]} 4"))[1]) == [
        "line 3", "line 4", "line 5", "line 6"]
    assert texts(batch_of(reader.say(f"CHATHISTORY LATEST #lobby msgid={msgids[6]} 10"))[1]) == ["line 7", "line 8"]


def test_timestamps_exclude_the_instant_they_name(chat):
    say_lines(chat, 6)
    reader = Peer(chat, "reader", now=T0 + 20, caps=HISTORY)
    reader.new()
    at_3 = server_time(T0 + 3)
    assert texts(batch_of(reader.say(f"CHATHISTORY BEFORE #lobby timestamp={at_3} 10"))[1]) == [
        "line 0", "line 1", "line 2"]
    assert texts(batch_of(reader.say(f"CHATHISTORY AFTER #lobby timestamp={at_3} 10"))[1]) == ["line 4", "line 5"]


def test_between_works_in_both_directions_and_excludes_both_ends(chat):
    _, msgids = say_lines(chat, 8)
    reader = Peer(chat, "reader", now=T0 + 20, caps=HISTORY)
    reader.new()
    forward = reader.say(f"CHATHISTORY BETWEEN #lobby msgid={msgids[1]} msgid={msgids[6]} 3")
    assert texts(batch_of(forward)[1]) == ["line 2", "line 3", "line 4"]  # counted from the first reference
    backward = reader.say(f"CHATHISTORY BETWEEN #lobby msgid={msgids[6]} msgid={msgids[1]} 3")
    assert texts(batch_of(backward)[1]) == ["line 3", "line 4", "line 5"]  # counted from the first, oldest first
    mixed = reader.say(f"CHATHISTORY BETWEEN #lobby timestamp={server_time(T0 + 4)} msgid={msgids[7]} 10")
    assert texts(batch_of(mixed)[1]) == ["line 5", "line 6"]


def test_targets_lists_the_channels_with_lines_in_a_time_span(chat):
    say_lines(chat, 3)
    reader = Peer(chat, "reader", now=T0 + 20, caps=HISTORY)
    reader.new()
    lines = reader.say(f"CHATHISTORY TARGETS timestamp={server_time(T0 - 100)} timestamp={server_time(T0 + 100)} 10")
    kind, inside = batch_of(lines)
    assert kind == "draft/chathistory-targets"
    assert inside == [f":irc.test CHATHISTORY TARGETS #lobby timestamp={server_time(T0 + 2)}"]
    empty = reader.say(f"CHATHISTORY TARGETS timestamp={server_time(T0 + 50)} timestamp={server_time(T0 + 100)} 10")
    assert batch_of(empty)[1] == []


@pytest.mark.parametrize("line, reply", [
    ("CHATHISTORY FROBNICATE #lobby * 10", "FAIL CHATHISTORY UNKNOWN_COMMAND FROBNICATE :Unknown command"),
    ("CHATHISTORY LATEST #lobby", "FAIL CHATHISTORY NEED_MORE_PARAMS LATEST :Missing parameters"),
    ("CHATHISTORY LATEST #lobby * ten",
     "FAIL CHATHISTORY INVALID_PARAMS LATEST :The limit is a number of lines, at least 1"),
    ("CHATHISTORY LATEST #lobby * 0", "FAIL CHATHISTORY INVALID_PARAMS LATEST :The limit is a number of lines, at least 1"),
    ("CHATHISTORY BEFORE #lobby * 10", "FAIL CHATHISTORY INVALID_PARAMS BEFORE :References are "
     "timestamp=YYYY-MM-DDThh:mm:ss.sssZ or msgid=ID"),
    ("CHATHISTORY AFTER #lobby timestamp=yesterday 10", "FAIL CHATHISTORY INVALID_PARAMS AFTER :References are "
     "timestamp=YYYY-MM-DDThh:mm:ss.sssZ or msgid=ID"),
    ("CHATHISTORY LATEST #elsewhere * 10",
     "FAIL CHATHISTORY INVALID_TARGET LATEST #elsewhere :You are not on that channel"),
    ("CHATHISTORY TARGETS timestamp=x timestamp=y 5", "FAIL CHATHISTORY INVALID_PARAMS TARGETS :TARGETS takes two "
     "timestamp=YYYY-MM-DDThh:mm:ss.sssZ"),
])
def test_bad_requests_get_a_standard_reply(chat, line, reply):
    reader = Peer(chat, "reader", caps=HISTORY)
    reader.new()
    assert reader.say(line) == [f":irc.test {reply}"]


def test_an_unknown_msgid_gives_an_empty_batch(chat):
    say_lines(chat, 2)
    reader = Peer(chat, "reader", now=T0 + 20, caps=HISTORY)
    reader.new()
    assert batch_of(reader.say("CHATHISTORY BEFORE #lobby msgid=nosuchid 10"))[1] == []


def test_the_limit_is_capped_by_the_isupport_maximum(store):
    chat = Chat(Config.from_flags(server_name="irc.test", chathistory_max=2), history=store)
    say_lines(chat, 5)
    reader = Peer(chat, "reader", now=T0 + 20, caps=HISTORY)
    assert "CHATHISTORY=2" in " ".join(reader.out) and "MSGREFTYPES=timestamp,msgid" in " ".join(reader.out)
    reader.new()
    assert texts(batch_of(reader.say("CHATHISTORY LATEST #lobby * 100"))[1]) == ["line 3", "line 4"]


def test_events_only_with_event_playback(chat):
    """draft/chathistory: without event-playback, only PRIVMSG and NOTICE in the batch."""
    bob = Peer(chat, "bob", now=T0, caps="message-tags")
    bob.say("@+typing=active TAGMSG #lobby", "NOTICE #lobby :note", "NICK robert", "QUIT :bye", now=T0 + 1)
    plain = Peer(chat, "plain", now=T0 + 5, caps=HISTORY)
    plain.new()
    assert [body(line).split()[1] for line in batch_of(plain.say("CHATHISTORY LATEST #lobby * 50"))[1]] == ["NOTICE"]
    events = Peer(chat, "events", now=T0 + 5, caps=HISTORY + " draft/event-playback")
    events.new()
    _, lines = batch_of(events.say("CHATHISTORY LATEST #lobby * 50"))
    assert [body(line) for line in lines[:5]] == [
        ":bob!bob@127.0.0.1 JOIN #lobby",
        ":bob!bob@127.0.0.1 TAGMSG #lobby",
        ":bob!bob@127.0.0.1 NOTICE #lobby :note",
        ":bob!bob@127.0.0.1 NICK robert",
        ":robert!bob@127.0.0.1 QUIT :bye",
    ]
    assert tags_of(lines[1])["+typing"] == "active"


def test_a_labeled_request_labels_the_batch_itself(chat):
    say_lines(chat, 1)
    reader = Peer(chat, "reader", now=T0 + 20, caps=HISTORY + " labeled-response")
    reader.new()
    lines = reader.say("@label=h1 CHATHISTORY LATEST #lobby * 5")
    assert re.fullmatch(r"@label=h1 :irc\.test BATCH \+\w+ chathistory #lobby", lines[0])
    assert len(lines) == 3 and lines[-1].startswith(":irc.test BATCH -")


def hhmm(stamp: float) -> str:
    return time.strftime("%H:%M", time.localtime(stamp))


def test_playback_on_join_for_a_plain_client_writes_the_time_into_the_text(chat):
    say_lines(chat, 5)
    plain = Peer(chat, "plain", now=T0 + 3600)
    assert plain.out[-4:] == [
        ":irc.test 366 plain #lobby :End of /NAMES list.",
        f":alice!alice@127.0.0.1 PRIVMSG #lobby :[{hhmm(T0 + 2)}] line 2",
        f":alice!alice@127.0.0.1 PRIVMSG #lobby :[{hhmm(T0 + 3)}] line 3",
        f":alice!alice@127.0.0.1 PRIVMSG #lobby :[{hhmm(T0 + 4)}] line 4",
    ]


def test_playback_for_a_server_time_client_keeps_the_text_and_tags_the_time(chat):
    say_lines(chat, 2)
    modern = Peer(chat, "modern", now=T0 + 3600, caps="server-time batch")
    kind, lines = batch_of(modern.out[-4:])
    assert kind == "chathistory #lobby"
    assert lines == [f"@time={server_time(T0)} :alice!alice@127.0.0.1 PRIVMSG #lobby :line 0",
                     f"@time={server_time(T0 + 1)} :alice!alice@127.0.0.1 PRIVMSG #lobby :line 1"]


def test_an_action_keeps_its_form_with_the_time_inside(chat):
    alice = Peer(chat, "alice", now=T0)
    alice.say("PRIVMSG #lobby :\x01ACTION waves\x01", now=T0 + 1)
    late = Peer(chat, "late", now=T0 + 60)
    assert late.out[-1] == f":alice!alice@127.0.0.1 PRIVMSG #lobby :\x01ACTION [{hhmm(T0 + 1)}] waves\x01"


def test_no_playback_for_a_chathistory_client_or_with_playback_off(store):
    chat = Chat(Config.from_flags(server_name="irc.test", history_playback=0), history=store)
    say_lines(chat, 2)
    assert Peer(chat, "plain", now=T0 + 60).out[-1] == ":irc.test 366 plain #lobby :End of /NAMES list."
    chat = Chat(Config.from_flags(server_name="irc.test"), history=store)
    asks = Peer(chat, "asks", now=T0 + 60, caps=HISTORY)
    assert asks.out[-1] == ":irc.test 366 asks #lobby :End of /NAMES list."


def test_redact_own_line_tells_those_with_the_capability_and_leaves_the_history(chat):
    watcher = Peer(chat, "watcher", now=T0, caps="draft/message-redaction message-tags")
    plain = Peer(chat, "plain", now=T0)
    alice = Peer(chat, "alice", now=T0, caps="draft/message-redaction message-tags echo-message " + HISTORY)
    alice.say("PRIVMSG #lobby :oops", now=T0 + 1)
    msgid = tags_of(alice.out[-1])["msgid"]
    watcher.new(), plain.new()
    assert body(alice.say(f"REDACT #lobby {msgid} :typo", now=T0 + 2)[-1]) == \
        f":alice!alice@127.0.0.1 REDACT #lobby {msgid} :typo"
    assert body(watcher.new()[-1]) == f":alice!alice@127.0.0.1 REDACT #lobby {msgid} :typo"
    assert plain.new() == []
    assert batch_of(alice.say("CHATHISTORY LATEST #lobby * 10", now=T0 + 3))[1] == []


@pytest.mark.parametrize("who, when, code", [
    ("bob", T0 + 2, "REDACT_FORBIDDEN"),
    ("alice", T0 + 2000, "REDACT_WINDOW_EXPIRED"),
])
def test_redact_of_another_users_line_or_too_late_fails(chat, who, when, code):
    alice = Peer(chat, "alice", now=T0, caps="draft/message-redaction message-tags echo-message")
    bob = Peer(chat, "bob", now=T0, caps="draft/message-redaction")
    alice.say("PRIVMSG #lobby :mine", now=T0 + 1)
    msgid = tags_of(alice.out[-1])["msgid"]
    redactor = {"alice": alice, "bob": bob}[who]
    redactor.new()
    [reply] = redactor.say(f"REDACT #lobby {msgid}", now=when)
    assert reply.startswith(f":irc.test FAIL REDACT {code} #lobby {msgid} ")


def test_redact_of_an_unknown_msgid(chat):
    alice = Peer(chat, "alice", caps="draft/message-redaction")
    alice.new()
    assert alice.say("REDACT #lobby nosuch") == [
        ":irc.test FAIL REDACT UNKNOWN_MSGID #lobby nosuch :This message does not exist or is too old"]


def test_markread_moves_forward_only_and_comes_before_the_end_of_names(chat):
    reader = Peer(chat, "reader", now=T0, caps="draft/read-marker")
    assert reader.out[-2:] == [":irc.test MARKREAD #lobby *", ":irc.test 366 reader #lobby :End of /NAMES list."]
    later, earlier = server_time(T0 - 10), server_time(T0 - 100)
    assert reader.say(f"MARKREAD #lobby timestamp={later}", now=T0) == [f":irc.test MARKREAD #lobby timestamp={later}"]
    assert reader.say(f"MARKREAD #lobby timestamp={earlier}", now=T0) == [
        f":irc.test MARKREAD #lobby timestamp={later}"]
    assert reader.say("MARKREAD #lobby", now=T0) == [f":irc.test MARKREAD #lobby timestamp={later}"]
    assert reader.say("MARKREAD #lobby yesterday", now=T0) == [
        ":irc.test FAIL MARKREAD INVALID_PARAMS yesterday :The time is timestamp=YYYY-MM-DDThh:mm:ss.sssZ"]
    assert reader.say("MARKREAD", now=T0) == [":irc.test FAIL MARKREAD NEED_MORE_PARAMS :Missing parameters"]


def test_retention_keeps_the_newest_lines_of_each_channel(tmp_path):
    store = SqliteHistory(tmp_path / "h.sqlite3", max_age=3600, max_lines=3)
    chat = Chat(Config.from_flags(server_name="irc.test"), history=store)
    say_lines(chat, 6)
    store.prune(T0 + 100)
    reader = Peer(chat, "reader", now=T0 + 100, caps=HISTORY)
    reader.new()
    assert texts(batch_of(reader.say("CHATHISTORY LATEST #lobby * 50"))[1]) == ["line 3", "line 4", "line 5"]
    store.prune(T0 + 3700)  # past the age limit: everything said at T0..T0+5 goes
    assert batch_of(reader.say("CHATHISTORY LATEST #lobby * 50"))[1] == []
    store.close()


def test_history_survives_closing_and_opening_the_store(tmp_path):
    path = tmp_path / "h.sqlite3"
    store = SqliteHistory(path, max_age=86400 * 30, max_lines=100)
    chat = Chat(Config.from_flags(server_name="irc.test"), history=store)
    _, msgids = say_lines(chat, 3)
    store.close()
    again = SqliteHistory(path, max_age=86400 * 30, max_lines=100)
    chat = Chat(Config.from_flags(server_name="irc.test"), history=again)
    reader = Peer(chat, "reader", now=T0 + 100, caps=HISTORY)
    reader.new()
    lines = batch_of(reader.say("CHATHISTORY LATEST #lobby * 50"))[1]
    assert [tags_of(line)["msgid"] for line in lines] == msgids
    assert [tags_of(line)["time"] for line in lines] == [server_time(T0 + i) for i in range(3)]
    again.close()


def test_no_history_caps_or_tokens_without_a_store():
    chat = Chat(Config.from_flags(server_name="irc.test"))
    c = Peer(chat)
    assert "chathistory" not in c.say("CAP LS 302")[0]
    c.say("NICK c", "USER c 0 * :C", "CAP END")
    assert "CHATHISTORY=" not in " ".join(c.out)
    assert c.say("CHATHISTORY LATEST #lobby * 10") == [
        ":irc.test FAIL CHATHISTORY MESSAGE_ERROR LATEST :This server keeps no history"]


def test_reads_join_the_file_and_the_lines_still_in_memory(chat, store):
    """Half the lines written to the file, half still waiting for the next flush: one history."""
    alice, msgids = say_lines(chat, 5)
    store.flush()
    for i in range(5, 10):
        alice.say(f"PRIVMSG #lobby :line {i}", now=T0 + i)
    reader = Peer(chat, "reader", now=T0 + 20, caps=HISTORY + " message-tags")
    reader.new()
    newer = [tags_of(line)["msgid"] for line in batch_of(reader.say("CHATHISTORY LATEST #lobby * 10"))[1]]
    assert newer[:5] == msgids
    msgids = newer
    assert texts(batch_of(reader.say(f"CHATHISTORY BEFORE #lobby msgid={msgids[7]} 4"))[1]) == [
        "line 3", "line 4", "line 5", "line 6"]
    assert texts(batch_of(reader.say(f"CHATHISTORY AFTER #lobby msgid={msgids[2]} 4"))[1]) == [
        "line 3", "line 4", "line 5", "line 6"]
    assert texts(batch_of(reader.say(f"CHATHISTORY BETWEEN #lobby msgid={msgids[8]} msgid={msgids[1]} 3"))[1]) == [
        "line 5", "line 6", "line 7"]
    assert texts(batch_of(reader.say(f"CHATHISTORY AROUND #lobby msgid={msgids[5]} 4"))[1]) == [
        "line 3", "line 4", "line 5", "line 6"]
    assert texts(batch_of(reader.say("CHATHISTORY LATEST #lobby * 3"))[1]) == ["line 7", "line 8", "line 9"]


def test_lines_of_one_instant_keep_their_order_through_a_large_write(store):
    """Lines are written many to a statement: 600 said in the same instant read back in the order said."""
    chat = Chat(Config.from_flags(server_name="irc.test", flood_burst=10**6, flood_rate=10**6), history=store)
    alice = Peer(chat, "alice", now=T0 - 5)
    for i in range(600):
        alice.say(f"PRIVMSG #lobby :line {i}", now=T0)
    store.flush()
    reader = Peer(chat, "reader", now=T0 + 10, caps=HISTORY)
    reader.new()
    assert texts(batch_of(reader.say("CHATHISTORY LATEST #lobby * 600"))[1]) == [f"line {i}" for i in range(600)]
    assert texts(batch_of(reader.say(f"CHATHISTORY BEFORE #lobby timestamp={server_time(T0 + 1)} 3"))[1]) == [
        "line 597", "line 598", "line 599"]


def test_a_file_from_before_the_conversations_list_gets_one_when_opened(tmp_path):
    """TARGETS finds private conversations through a list of them; a file written before that list
    existed has it made from its lines when the server opens it."""
    import sqlite3

    path = tmp_path / "history.sqlite3"
    store = SqliteHistory(path, max_age=30 * 86400, max_lines=1000)
    private = conversation("alice", "Bob")
    store.append(Entry("m1", T0, private, "PRIVMSG", b":alice!a@h PRIVMSG Bob :hi\r\n", {}, "u1", "alice"))
    store.append(Entry("m2", T0, "#lobby", "PRIVMSG", b":alice!a@h PRIVMSG #lobby :hi\r\n", {}, "u1", "alice"))
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE conversations")
    store = SqliteHistory(path, max_age=30 * 86400, max_lines=1000)
    try:
        assert store.conversations("alice") == store.conversations("bob") == [private]
        assert store.conversations("carol") == []
    finally:
        store.close()
