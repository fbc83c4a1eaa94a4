"""The opening lines of real clients, replayed: each must reach 001 and the lobby,
and each query a client sends after registration gets a sensible reply, not 421."""

from tests.support.client import CAPS, IrcClient


def no_unknown_command(lines):
    assert not [line for line in lines if " 421 " in line], lines


def test_irssi_opening(connect):
    """irssi sends CAP LS 302 and `JOIN :`, then waits for a CAP reply or 451."""
    c = connect()
    c.send("CAP LS 302", "JOIN :")
    assert c.expect(r"CAP") == f":irc.test CAP * LS :{CAPS}"
    assert c.expect(r" 451 ") == ":irc.test 451 * :You have not registered"
    c.send("CAP END", "NICK irssiuser", "USER irssi irssi 127.0.0.1 :Irssi User")
    c.expect(r" 001 irssiuser ")
    c.expect(r"^:irssiuser!irssi@127\.0\.0\.1 JOIN #lobby$")
    c.expect(r" 366 ")
    c.send("MODE irssiuser +i", "MODE #lobby", "WHO #lobby", "MODE #lobby b")
    lines = c.sync()
    no_unknown_command(lines)
    assert ":irssiuser!irssi@127.0.0.1 MODE irssiuser +i" in lines
    assert ":irc.test 324 irssiuser #lobby :+nt" in lines
    assert any(" 352 irssiuser #lobby irssi " in line for line in lines)
    assert ":irc.test 315 irssiuser #lobby :End of /WHO list." in lines
    assert ":irc.test 368 irssiuser #lobby :End of channel ban list" in lines


def test_weechat_opening(connect):
    """weechat sends CAP LS 302, NICK and USER at once."""
    c = connect()
    c.send("CAP LS 302", "NICK weeuser", "USER weeuser 0 * :WeeChat User")
    assert c.expect(r"CAP") == f":irc.test CAP * LS :{CAPS}"
    c.send("CAP END")
    c.expect(r" 001 weeuser ")
    c.expect(r" 366 ")
    c.send("MODE weeuser +i", "WHO #lobby", "PING :irc.test")
    no_unknown_command(c.sync())


def test_netcat_user_typing_by_hand(connect):
    """nc users type lines with LF only, and the seed's USER form without a colon."""
    c = connect()
    c.send_raw(b"NICK guest\n")
    c.send_raw(b"USER guest tolmoon tolsun Ronnie Reagan\n")
    c.expect(r" 001 guest ")
    c.expect(r" 366 ")
    c.send_raw(b"whois guest\n")
    assert c.expect(r" 311 ") == ":irc.test 311 guest guest guest 127.0.0.1 * :Ronnie Reagan"
    c.send_raw(b"privmsg #lobby :hello from nc\n")
    no_unknown_command(c.sync())
