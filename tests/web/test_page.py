"""The chat page in a real headless Chromium against a real server, with a raw IRC client on the other side.

What a person would see: the nickname form, then the chat; lines both
ways; text that looks like markup shown as text; the page at 360 px wide.
Screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import signal
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.support.browser import console_errors, screenshot, wait_for
from tests.support.client import IrcClient
from tests.support.server import start_server
from tests.support.spawn import free_port


@pytest.fixture(scope="module")
def server():
    process = start_server("--web-port", "0", "--flood-burst", "200")
    yield process
    process.stop()
    assert "Traceback" not in process.log_text(), process.log_text()


@pytest.fixture
def raw(server):
    clients: list[IrcClient] = []

    def make(nick: str) -> IrcClient:
        clients.append(IrcClient(server.address).register(nick))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def url(server) -> str:
    host, port = server.web_address
    return f"http://{host}:{port}/"


def labelled(page, name: str):
    """The element whose accessible name is `name` (a label's for=, aria-label or aria-labelledby)."""
    for element in page.find_elements(By.CSS_SELECTOR, "input, [aria-label], [aria-labelledby]"):
        if page.execute_script(
                "const e = arguments[0];"
                "if (e.labels && e.labels.length) return e.labels[0].textContent.trim();"
                "if (e.getAttribute('aria-label')) return e.getAttribute('aria-label');"
                "const by = e.getAttribute('aria-labelledby');"
                "return by ? document.getElementById(by).textContent.trim() : null;", element) == name:
            return element
    raise AssertionError(f"nothing is labelled {name!r}")


def join(page, server, nick: str, realname: str = "Web Person") -> None:
    page.get(url(server))
    labelled(page, "Nickname").send_keys(nick)
    labelled(page, "Real name").send_keys(realname)
    page.find_element(By.CSS_SELECTOR, "#join-form button[type=submit]").click()
    wait_for(lambda: f"connected as {nick}" in page.find_element(By.ID, "status").text, what="the welcome")


def log_lines(page) -> list[str]:
    return [item.text for item in page.find_elements(By.CSS_SELECTOR, "ol[role=log]:not([hidden]) > li")]


def users(page) -> list[str]:
    return [item.text for item in page.find_elements(By.CSS_SELECTOR, "#users li")]


def type_line(page, text: str) -> None:
    box = labelled(page, "Message")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def test_the_page_loads_takes_a_nickname_and_chats_both_ways(page, server, raw):
    bob = raw("bob")
    page.get(url(server))
    assert page.title == "geventchat"
    screenshot(page, "1-nickname-form")
    join(page, server, "alice", "Alice Liddell")
    assert bob.expect(r" JOIN ") == ":alice!alice@127.0.0.1 JOIN #lobby"
    assert page.find_elements(By.CSS_SELECTOR, "[role=log]")
    wait_for(lambda: users(page) == ["Users (2)"] or sorted(users(page)) == ["alice", "bob"], what="the user list")
    type_line(page, "hello from the page")
    assert bob.expect(r"^:alice!.* PRIVMSG") == ":alice!alice@127.0.0.1 PRIVMSG #lobby :hello from the page"
    bob.send("PRIVMSG #lobby :hello from irc")
    wait_for(lambda: any(line.endswith("bob hello from irc") for line in log_lines(page)), what="bob's line")
    mine = wait_for(lambda: [l for l in log_lines(page) if l.endswith("alice hello from the page")], what="own line")
    assert len(mine) == 1  # echo-message: shown once, as the server relayed it
    colours = {e.text: e.get_attribute("class") for e in page.find_elements(By.CSS_SELECTOR, "[role=log] .nick")}
    assert colours["bob"].startswith("nick c") and colours["alice"].startswith("nick c")
    screenshot(page, "2-chat")
    assert console_errors(page) == []


def test_markup_from_another_client_is_shown_as_text(page, server, raw):
    mallory = raw("mallory")
    join(page, server, "carol")
    before = len(page.find_elements(By.TAG_NAME, "img"))
    mallory.send("PRIVMSG #lobby :<img src=x onerror=alert(1)>", "PRIVMSG carol :<b>bold</b> <script>alert(2)</script>")
    wait_for(lambda: any(line.endswith("mallory <img src=x onerror=alert(1)>") for line in log_lines(page)),
             what="the line as text")
    assert len(page.find_elements(By.TAG_NAME, "img")) == before == 0
    assert not page.find_elements(By.CSS_SELECTOR, "[role=log] b, [role=log] script")
    page.find_element(By.XPATH, "//nav//button[text()='mallory']").click()  # the private message's window
    wait_for(lambda: any(line.endswith("mallory <b>bold</b> <script>alert(2)</script>") for line in log_lines(page)),
             what="the private line")
    screenshot(page, "3-markup-as-text")
    assert console_errors(page) == []


def test_commands_history_and_completion(page, server, raw):
    dave = raw("dave")
    join(page, server, "erin")
    box = labelled(page, "Message")
    box.send_keys("da", Keys.TAB)
    assert box.get_attribute("value") == "dave: "
    box.send_keys("hi", Keys.ENTER)
    assert dave.expect(r"^:erin!.* PRIVMSG") == ":erin!erin@127.0.0.1 PRIVMSG #lobby :dave: hi"
    type_line(page, "/me waves")
    assert dave.expect(r"^:erin!.* PRIVMSG") == ":erin!erin@127.0.0.1 PRIVMSG #lobby :\x01ACTION waves\x01"
    type_line(page, "/msg dave psst")
    assert dave.expect(r"^:erin!.* PRIVMSG") == ":erin!erin@127.0.0.1 PRIVMSG dave :psst"
    box.send_keys(Keys.ARROW_UP)
    assert box.get_attribute("value") == "/msg dave psst"
    box.send_keys(Keys.ARROW_UP, Keys.ARROW_UP)
    assert box.get_attribute("value") == "dave: hi"
    box.send_keys(Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.ARROW_DOWN)
    assert box.get_attribute("value") == ""
    type_line(page, "/nick erin2")
    assert dave.expect(r" NICK ") == ":erin!erin@127.0.0.1 NICK erin2"
    wait_for(lambda: "connected as erin2" in page.find_element(By.ID, "status").text, what="the new nick")
    type_line(page, "/join #other")  # a window of its own where channels exist; the server's answer where not
    wait_for(lambda: page.find_elements(By.XPATH, "//nav//button[text()='#other']")
             or any("No such channel" in line for line in log_lines(page)), what="the join's outcome")
    dave.send("PRIVMSG #lobby :gone?")
    type_line(page, "/quit see you")
    assert dave.expect(r" QUIT ") == ":erin2!erin@127.0.0.1 QUIT :see you"
    wait_for(lambda: labelled(page, "Nickname").is_displayed(), what="the form again")
    assert console_errors(page) == []


def test_the_page_is_usable_360_pixels_wide(page, server, raw):
    frank = raw("frank")
    page.set_window_size(360, 740)
    join(page, server, "grace")
    width = page.execute_script("return document.documentElement.clientWidth")
    assert page.execute_script("return document.documentElement.scrollWidth") <= width  # no sideways scrolling
    for name in ("Message", "Users"):
        box = labelled(page, name).rect
        assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["height"] > 0, (name, box)
    send = page.find_element(By.CSS_SELECTOR, "#input-form button")
    assert send.rect["x"] + send.rect["width"] <= width
    labelled(page, "Message").send_keys("small screen")
    send.click()
    assert frank.expect(r"^:grace!.* PRIVMSG") == ":grace!grace@127.0.0.1 PRIVMSG #lobby :small screen"
    frank.send("PRIVMSG #lobby :" + "a long line that wraps " * 8)
    wait_for(lambda: any("wraps" in line for line in log_lines(page)), what="the long line")
    assert page.execute_script("return document.documentElement.scrollWidth") <= width
    screenshot(page, "4-360px")
    assert console_errors(page) == []


def test_lines_said_before_the_page_opened_are_history_and_scrolling_up_brings_older(page, server, raw):
    """draft/chathistory: the latest 50 on joining, then older pages as the list is scrolled to its top."""
    henry = raw("henry")
    henry.send(*(f"PRIVMSG #lobby :earlier line {i}" for i in range(80)))
    henry.sync()
    join(page, server, "iris")
    wait_for(lambda: any(line.endswith("henry earlier line 79") for line in log_lines(page)), what="the history")
    shown = [line for line in log_lines(page) if "earlier line" in line]
    assert 40 <= len(shown) < 80 and shown[-1].endswith("earlier line 79")  # the latest page, in order
    for _ in range(20):
        page.execute_script("document.querySelector('ol[role=log]:not([hidden])').scrollTop = 0")
        if any(line.endswith("henry earlier line 0") for line in log_lines(page)):
            break
        time.sleep(0.1)
    shown = [line.rsplit(" ", 1)[1] for line in log_lines(page) if "earlier line" in line]
    assert shown == [str(i) for i in range(80)]  # every line once, in order: nothing twice, nothing missing
    screenshot(page, "5-history")
    assert console_errors(page) == []


def test_after_the_server_is_killed_and_restarted_the_page_reconnects_and_shows_what_it_missed(page, tmp_path):
    flags = ("--web-port", str(free_port()), "--data-dir", str(tmp_path), "--history-flush", "0.05")
    first = start_server(*flags)
    restarted = None
    try:
        witness = IrcClient(first.address).register("judy")
        join(page, first, "kate")
        witness.send("PRIVMSG #lobby :before the crash")
        wait_for(lambda: any(l.endswith("judy before the crash") for l in log_lines(page)), what="the first line")
        witness.sync()
        time.sleep(0.2)  # the history store's flush interval (0.05 s) has passed: the line is on disk
        first.stop(signal.SIGKILL)
        wait_for(lambda: "reconnecting in 2 s" in page.find_element(By.ID, "status").text
                 or "reconnecting in 4 s" in page.find_element(By.ID, "status").text,
                 timeout=15, what="a failed reconnect")
        restarted = start_server(*flags)
        witness = IrcClient(restarted.address).register("judy")
        witness.send("PRIVMSG #lobby :while you were away")
        witness.sync()
        wait_for(lambda: "connected as kate" in page.find_element(By.ID, "status").text, timeout=15,
                 what="the reconnect")
        wait_for(lambda: any(l.endswith("judy while you were away") for l in log_lines(page)), what="the missed line")
        assert [l for l in log_lines(page) if l.endswith("judy before the crash")] != []
        assert len([l for l in log_lines(page) if "before the crash" in l]) == 1  # deduplicated by msgid
        screenshot(page, "6-after-restart")
        witness.send("PRIVMSG #lobby :and now live")
        wait_for(lambda: any(l.endswith("judy and now live") for l in log_lines(page)), what="a live line")
        witness.close()
    finally:
        for process in (first, restarted):
            if process is not None:
                process.stop()
