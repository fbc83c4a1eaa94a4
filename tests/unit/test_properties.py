"""Properties of the wire format and the protocol state machine, without sockets.

Hypothesis feeds arbitrary bytes to the line splitter and the parser, and
arbitrary command sequences from several clients to a Chat. Whatever comes
in, nothing raises, no handler bug is logged, and every line the server
produces is one well-formed IRC line of at most 512 bytes ending in CRLF,
with no CR, LF or NUL inside (PROTOCOL.md, Framing).
"""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geventchat.config import Config
from geventchat.core.chat import Chat
from geventchat.protocol.framing import TOO_LONG, LineBuffer
from geventchat.protocol.message import (
    MAX_INPUT, MAX_LINE, MAX_PARAMS, MAX_TAGS_CLIENT, Message, ParseError, format_line, parse,
)
from geventchat.protocol.names import casefold

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

WELL_FORMED = re.compile(
    rb"(?::[^ \r\n\0]+ )?"  # prefix
    rb"(?:[A-Za-z]+|[0-9]{3})"  # command
    rb"(?: [^: \r\n\0][^ \r\n\0]*)*"  # middle parameters: not empty, no leading colon
    rb"(?: :[^\r\n\0]*)?"  # trailing parameter
    rb"\r\n"
)


def assert_well_formed(line: bytes) -> None:
    """One IRC line as RFC 2812 2.3.1 spells it, within 512 bytes, in UTF-8."""
    assert len(line) <= MAX_LINE, line
    assert WELL_FORMED.fullmatch(line), line
    line.decode("utf-8")
    assert len(parse(line[:-2]).params) <= MAX_PARAMS, line


# --- the line splitter -------------------------------------------------------

def over_limit(line: bytes) -> bool:
    """IRCv3 message-tags: up to 4094 bytes of tag data, then up to 510 bytes of line."""
    if not line.startswith(b"@"):
        return len(line) > MAX_LINE - 2
    tags, space, rest = line.partition(b" ")
    return len(tags) - 1 > MAX_TAGS_CLIENT or (bool(space) and len(rest) > MAX_LINE - 2)


def reference_lines(data: bytes) -> list[object]:
    """What LineBuffer must yield for `data` however it is cut into reads."""
    pieces = re.split(rb"\r\n|\r|\n", data)
    tail = pieces.pop()
    out: list[object] = [TOO_LONG if over_limit(p) else p for p in pieces if p]
    if over_limit(tail):
        out.append(TOO_LONG)
    return out


line_bytes = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"\r", b"\n", b"\r\n", b"\n\r", b"\0", b" ", b":", b"PRIVMSG #lobby :"]),
    st.builds(lambda n, b: b * n, st.integers(400, 1400), st.sampled_from([b"x", b"\xff", b" "])),
    st.builds(lambda n: b"@" + b"t" * n + b" ", st.integers(4000, 4200)),
)


@FAST
@given(st.lists(line_bytes, max_size=30), st.data())
def test_line_buffer_splits_any_bytes_the_same_however_they_arrive(parts, data):
    stream = b"".join(parts)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    buffer = LineBuffer()
    got: list[object] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)]):
        got += buffer.feed(stream[start:end])
        assert buffer.pending <= MAX_INPUT - 2
    for line in got:
        assert line is TOO_LONG or (line and not over_limit(line) and not re.search(rb"[\r\n]", line))
    assert got == reference_lines(stream)


# --- the parser and the formatter ------------------------------------------------

@FAST
@given(st.one_of(st.binary(max_size=600), st.lists(line_bytes, max_size=12).map(b"".join)))
def test_parse_gives_a_message_or_a_parse_error(raw):
    try:
        msg = parse(raw)
    except ParseError:
        return
    assert isinstance(msg, Message)
    assert msg.command and " " not in msg.command and msg.command == msg.command.upper()
    assert len(msg.params) <= MAX_PARAMS
    for middle in msg.params[:-1]:
        assert middle and " " not in middle and not middle.startswith(":")


tricky_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", ":", "::", ": :", " ", "a b", ":x", "\r\n", "\0", "\u00e9", "\U0001f600" * 3]),
    st.builds(lambda n, s: s * n, st.integers(100, 600), st.sampled_from(["y", "\u00e9", "\U0001f600", " "])),
)
commands = st.sampled_from(["PRIVMSG", "NOTICE", "QUIT", "NICK", "JOIN", "001", "353", "401", "PING", "ERROR"])


@FAST
@given(commands, st.lists(tricky_text, max_size=6), st.one_of(st.none(), st.sampled_from(["irc.test", "a!b@c"])))
def test_format_line_always_writes_one_well_formed_line(command, params, prefix):
    assert_well_formed(format_line(command, *params, prefix=prefix))


@FAST
@given(st.integers(0, 520), st.integers(0, 520), st.sampled_from(["401", "PRIVMSG", "NICK"]))
def test_truncation_cuts_anywhere_without_breaking_the_grammar(first, second, command):
    """Wherever the 512-byte cut falls (inside a middle, on a space, in the text), the line stays whole."""
    assert_well_formed(format_line(command, "n" * first, "m" * second, "the text", prefix="irc.test"))


# --- the protocol state machine ----------------------------------------------------

NICKS = ["alice", "ALICE", "bob", "[x]", "{X}", "x|", "X\\", "a" * 10, "1bad", "-x", "", "é"]
TARGETS = ["#lobby", "#LOBBY", "#other", "alice", "bob", "{x}", "a,b,#lobby,bob", ":", ",:", "::x", "*", ""]
VERBS = ["NICK", "USER", "PRIVMSG", "NOTICE", "QUIT", "PING", "PONG", "CAP", "PASS", "JOIN", "PART",
         "TOPIC", "MODE", "LIST", "WHOIS", "WHO", "NAMES", "LUSERS", "MOTD", "VERSION", "TIME", "ISON",
         "USERHOST", "AWAY", "FOO", "001"]

word = st.one_of(st.sampled_from(NICKS + TARGETS + ["LS", "302", "END", "REQ", "LIST", "+i", "-i", "+b", "0"]),
                 st.text(alphabet=st.characters(blacklist_characters="\r\n"), max_size=12))


@st.composite
def command_lines(draw) -> bytes:
    """A plausible or hostile line: a verb, some words, maybe a trailing text, maybe junk bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=80))
    verb = draw(st.sampled_from(VERBS))
    if draw(st.booleans()):
        verb = verb.lower()
    words = draw(st.lists(word.map(lambda w: w.replace(" ", "")), max_size=6))
    line = " ".join([verb, *words])
    if draw(st.booleans()):
        line += " :" + draw(tricky_text)
    if draw(st.integers(0, 4)) == 0:
        line = ":" + draw(st.sampled_from(["alice!a@h", "irc.test", "x"])) + " " + line
    return line.encode("utf-8", "surrogatepass")


steps = st.lists(
    st.one_of(
        st.tuples(st.integers(0, 2), command_lines()),
        st.tuples(st.just(-1), st.floats(0, 200)),  # time passes, the sweep runs
    ),
    max_size=40,
)


class LogCatcher(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def bugs():
    catcher = LogCatcher()
    logger = logging.getLogger("geventchat")
    logger.addHandler(catcher)
    yield catcher.records
    logger.removeHandler(catcher)


def registered_users_are_consistent(chat: Chat) -> None:
    users = chat.registry.users()
    folded = [casefold(u.nick) for u in users]
    assert len(folded) == len(set(folded))
    for user in users:
        assert chat.registry.find(user.nick) is user


@SLOW
@given(steps)
def test_any_command_sequence_leaves_the_chat_sound(bugs, sequence):
    chat = Chat(Config.from_flags(server_name="irc.test", registration_timeout=60, ping_interval=90, ping_timeout=30))
    now = 1000.0
    outputs: list[list[bytes]] = [[], [], []]
    sessions = [chat.connect("127.0.0.1", out.append, lambda: None, now) for out in outputs]
    for who, step in [(0, b"NICK alice"), (0, b"USER a 0 * :Alice"), (1, b"NICK bob"), *sequence]:
        if who < 0:
            now += step
            chat.sweep(now)
            continue
        buffer = LineBuffer()
        for raw in buffer.feed(step + b"\r\n"):
            if raw is TOO_LONG:
                chat.too_long(sessions[who])
            else:
                chat.receive(sessions[who], raw, now)
        registered_users_are_consistent(chat)
    chat.shutdown(now)
    assert not bugs, [record.getMessage() for record in bugs]
    for out in outputs:
        for line in out:
            assert_well_formed(line)
        assert out[-1].startswith(b"ERROR :Closing Link: 127.0.0.1 (")
    assert not chat.sessions and len(chat.registry) == 0
