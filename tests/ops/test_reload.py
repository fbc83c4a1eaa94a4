"""Live reload: SIGHUP reads the config file again while clients stay connected; REHASH is for operators."""

from __future__ import annotations

import signal

from tests.support.client import IrcClient

OLD = """\
    [server]
    name = "irc.test"
    lobby = "#hall"
    motd_file = "{motd}"

    [listeners]
    host = "127.0.0.1"
    port = 0

    [limits]
    shutdown_grace = 0.5

    [flood]
    burst = 3
    rate = 0.01
    """


def motd_of(client: IrcClient) -> list[str]:
    return [line.split(" :- ", 1)[1] for line in client.seen if " 372 " in line]


def test_sighup_applies_a_new_motd_and_flood_rate_and_nobody_drops(tmp_path, write_config, file_server):
    (tmp_path / "old-motd").write_text("the old MOTD\n")
    (tmp_path / "new-motd").write_text("the new MOTD\n")
    path = write_config(OLD.format(motd=tmp_path / "old-motd"))
    server = file_server(path)
    alice = IrcClient(server.address).register("alice")  # NICK and USER: two of the three lines of the burst
    bob = IrcClient(server.address).register("bob")
    assert motd_of(bob) == ["the old MOTD"]
    # the file's flood rate holds: past the burst, a line waits 100 s
    dave = IrcClient(server.address).register("dave")
    dave.send("PRIVMSG #hall :one", "PRIVMSG #hall :two")
    assert bob.expect("PRIVMSG") == ":dave!user@127.0.0.1 PRIVMSG #hall :one"
    assert "two" not in " ".join(bob.sync())

    write_config(OLD.format(motd=tmp_path / "new-motd")
                 .replace('lobby = "#hall"', 'lobby = "#elsewhere"')
                 .replace("burst = 3\n    rate = 0.01", "burst = 50\n    rate = 100.0"))
    server.proc.send_signal(signal.SIGHUP)
    line = server.wait_log("reloaded .*chat-server.toml")
    assert "flood.burst 3 -> 50, flood.rate 0.01 -> 100.0" in line
    assert f"server.motd_file '{tmp_path / 'old-motd'}' -> '{tmp_path / 'new-motd'}'" in line
    assert "needs a restart, left as it was: server.lobby '#hall' -> '#elsewhere'" in line

    # alice, connected before the reload, refills at the new rate: fifteen lines go through at once
    # (under the old rate the second would wait 100 s); what she had spent stays spent
    alice.send(*[f"PRIVMSG #hall :line {n}" for n in range(15)])
    alice.sync()
    got = [line for line in bob.sync() if "PRIVMSG" in line]
    assert got == [f":alice!user@127.0.0.1 PRIVMSG #hall :line {n}" for n in range(15)]
    carol = IrcClient(server.address).register("carol")
    assert motd_of(carol) == ["the new MOTD"]
    assert ":carol!user@127.0.0.1 JOIN #hall" in carol.seen  # the lobby waits for a restart
    for client in (alice, bob, carol):
        assert not any(" QUIT " in line or line.startswith("ERROR") for line in client.seen)
        client.close()
    dave.close()


def test_a_broken_file_on_sighup_changes_nothing(tmp_path, write_config, file_server):
    (tmp_path / "old-motd").write_text("the old MOTD\n")
    (tmp_path / "new-motd").write_text("the new MOTD\n")
    path = write_config(OLD.format(motd=tmp_path / "old-motd"))
    server = file_server(path)
    alice = IrcClient(server.address).register("alice")
    write_config(OLD.format(motd=tmp_path / "new-motd").replace("rate = 0.01", 'rate = "fast"'))
    server.proc.send_signal(signal.SIGHUP)
    assert server.wait_log("reload failed").endswith(
        f"reload failed, nothing changed: {path}:15: [flood] rate: expected a number, found a string \"fast\"")
    bob = IrcClient(server.address).register("bob")
    assert motd_of(bob) == ["the old MOTD"]
    # a good file again, but its MOTD cannot be read: still nothing changes, and the log says why
    write_config(OLD.format(motd=tmp_path / "gone-motd").replace("burst = 3", "burst = 4"))
    server.proc.send_signal(signal.SIGHUP)
    server.wait_log(f"reload failed, nothing changed: cannot read MOTD file {tmp_path / 'gone-motd'}")
    # the old budget still holds for alice: one line left in her burst, the next waits
    alice.send("PRIVMSG #hall :one", "PRIVMSG #hall :two")
    assert bob.expect("PRIVMSG") == ":alice!user@127.0.0.1 PRIVMSG #hall :one"
    assert "two" not in " ".join(bob.sync())
    # and REHASH, from anyone who is not an operator, is refused
    bob.send("REHASH")
    assert bob.expect(" 481 ") == ":irc.test 481 bob :Permission Denied- You're not an IRC operator"
    alice.close()
    bob.close()


def test_a_reload_adds_an_operator_who_may_then_rehash(tmp_path, write_config, file_server):
    """Operators are a key of the config file ([opers] oper); SIGHUP applies a new list at once."""
    from tests.server.test_accounts import OPER_PASSWORD, oper_flag

    hashed = oper_flag()[1]
    base = """\
        [server]
        name = "irc.test"

        [listeners]
        host = "127.0.0.1"
        port = 0

        [accounts]
        argon2_time_cost = 1
        argon2_memory_cost = 8
        """
    path = write_config(base)
    server = file_server(path, "--data-dir", str(tmp_path / "data"))
    boss = IrcClient(server.address).register("boss")
    boss.send(f"OPER admin {OPER_PASSWORD}")
    boss.expect(r" 491 boss ")
    write_config(base + f'\n[opers]\noper = ["{hashed}"]\n')
    server.proc.send_signal(signal.SIGHUP)
    line = server.wait_log("reloaded .*chat-server.toml")
    assert "opers.oper" in line and hashed.split(":", 1)[1] not in line  # a secret, masked
    boss.send(f"OPER admin {OPER_PASSWORD}")
    boss.expect(r" 381 boss ")
    boss.send("REHASH")
    assert boss.expect(r" 382 ") == f":irc.test 382 boss {path} :Rehashing"
