"""Which refusals are worth retrying soon, and what a port that is not IRC looks like."""

from __future__ import annotations

import pytest

from curses_client.refusal import Retry, closing_reason, judge_error, not_irc


@pytest.mark.parametrize("text, reason, retry", [
    ("Closing Link: 127.0.0.1 (Too many connections from your host)", "Too many connections from your host",
     Retry.LATER),
    ("Closing Link: 127.0.0.1 (Server is full)", "Server is full", Retry.LATER),
    ("Closing Link: 10.0.0.1 (K-Lined: spam)", "K-Lined: spam", Retry.NEVER),
    ("Closing Link: 10.0.0.1 (You are banned from this server)", "You are banned from this server",
     Retry.NEVER),
    ("Closing Link: 10.0.0.1 (Ping timeout: 180 seconds)", "Ping timeout: 180 seconds", Retry.SOON),
    ("Closing Link: 10.0.0.1 (Server shutting down)", "Server shutting down", Retry.SOON),
    ("Trying to reconnect too fast.", "Trying to reconnect too fast.", Retry.SOON),
    ("Closing Link: h (Throttled: Reconnecting too fast)", "Throttled: Reconnecting too fast", Retry.LATER),
])
def test_judge(text: str, reason: str, retry: Retry) -> None:
    verdict = judge_error(text)
    assert (verdict.reason, verdict.retry) == (reason, retry)


def test_closing_reason_keeps_texts_without_the_form() -> None:
    assert closing_reason("Bye") == "Bye"


@pytest.mark.parametrize("first, says", [
    (b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", "ssh server"),
    (b"HTTP/1.1 400 Bad Request\r\n", "web server"),
    (b"\x15\x03\x01\x00\x02\x02\x46", "--tls"),
    (b"\x00\x01\x02garbage", "binary"),
    (b"+OK POP3 ready\r\n", "+OK POP3"),
])
def test_not_irc(first: bytes, says: str) -> None:
    why = not_irc(first)
    assert why is not None and says in why


@pytest.mark.parametrize("first", [
    b":irc.test NOTICE * :*** Looking up your hostname\r\n",
    b"PING :123\r\n",
    b":irc.test 001 alice :Welcome\r\n",
    b"ERROR :Closing Link: 127.0.0.1 (Too many connections from your host)\r\n",
    b"",
])
def test_irc_is_irc(first: bytes) -> None:
    assert not_irc(first) is None
