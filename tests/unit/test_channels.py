"""Channels as transcripts without sockets, checked against RFC 2812, RFC 2811 and Modern IRC.

Each docstring quotes the sentence it checks.
"""

from __future__ import annotations

import pytest

from geventchat.config import Config
from geventchat.core.channels import Channels
from geventchat.core.chat import Chat
from tests.support.peer import Peer


@pytest.fixture
def chat() -> Chat:
    return Chat(Config.from_flags(server_name="irc.test", max_channels_per_user=5, maxlist=3))


def users(chat: Chat, *nicks: str) -> list[Peer]:
    peers = [Peer(chat, nick) for nick in nicks]
    for peer in peers:
        peer.new()
    return peers


def test_the_first_to_join_becomes_operator_and_sees_join_then_names():
    """Modern IRC JOIN: "the server MUST send ... a JOIN message ... RPL_TOPIC ... RPL_NAMREPLY ... RPL_ENDOFNAMES"."""
    chat = Chat(Config.from_flags(server_name="irc.test"))
    [alice] = users(chat, "alice")
    assert alice.say("JOIN #dev") == [
        ":alice!alice@127.0.0.1 JOIN #dev",
        ":irc.test 353 alice = #dev :@alice",
        ":irc.test 366 alice #dev :End of /NAMES list.",
    ]


def test_others_see_the_join_and_get_the_topic(chat):
    alice, bob = users(chat, "alice", "bob")
    alice.say("JOIN #dev", "TOPIC #dev :ship it", now=1001)
    alice.new()
    assert bob.say("JOIN #dev") == [
        ":bob!bob@127.0.0.1 JOIN #dev",
        ":irc.test 332 bob #dev :ship it",
        ":irc.test 333 bob #dev alice!alice@127.0.0.1 :1001",
        ":irc.test 353 bob = #dev :@alice bob",
        ":irc.test 366 bob #dev :End of /NAMES list.",
    ]
    assert alice.new() == [":bob!bob@127.0.0.1 JOIN #dev"]


def test_several_channels_and_keys_in_one_join(chat):
    """RFC 2812 3.2.1: `JOIN #foo,#bar fubar,foobar`: "join channel #foo using key "fubar" and channel #bar using key "foobar"."""
    alice, bob = users(chat, "alice", "bob")
    alice.say("JOIN #foo,#bar", "MODE #foo +k fubar", "MODE #bar +k foobar")
    assert [line for line in bob.say("JOIN #foo,#bar fubar,wrong") if " JOIN " in line or " 475 " in line] == [
        ":bob!bob@127.0.0.1 JOIN #foo",
        ":irc.test 475 bob #bar :Cannot join channel (+k)",
    ]


def test_join_0_leaves_every_channel(chat):
    """RFC 2812 3.2.1: "JOIN 0 ; Leave all currently joined channels"."""
    [alice] = users(chat, "alice")
    alice.say("JOIN #a,#b")
    lines = alice.say("JOIN 0")
    assert sorted(lines) == sorted([":alice!alice@127.0.0.1 PART #a", ":alice!alice@127.0.0.1 PART #b",
                                    ":alice!alice@127.0.0.1 PART #lobby"])
    assert chat.channels.find("#a") is None


@pytest.mark.parametrize("name", ["dev", "#" + "x" * 60, "#a:b", "#\x07ring"])
def test_a_bad_channel_name_is_476(chat, name):
    [alice] = users(chat, "alice")
    assert alice.say(f"JOIN {name}") == [f":irc.test 476 alice {name} :Bad Channel Mask"]


def test_too_many_channels_is_405(chat):
    """RFC 2812 ERR_TOOMANYCHANNELS: "Sent to a user when they have joined the maximum number of allowed channels"."""
    [alice] = users(chat, "alice")
    alice.say("JOIN #1,#2,#3,#4")  # with the lobby: five, the limit here
    assert alice.say("JOIN #5") == [":irc.test 405 alice #5 :You have joined too many channels"]


def test_part_with_a_reason_and_442_for_a_channel_not_joined(chat):
    """RFC 2812 3.2.2: "the user sending the message to be removed from the list of active members"."""
    alice, bob = users(chat, "alice", "bob")
    alice.say("JOIN #dev")
    bob.say("JOIN #dev")
    alice.new()
    assert bob.say("PART #dev :lunch") == [":bob!bob@127.0.0.1 PART #dev :lunch"]
    assert alice.new() == [":bob!bob@127.0.0.1 PART #dev :lunch"]
    assert bob.say("PART #dev") == [":irc.test 442 bob #dev :You're not on that channel"]
    assert bob.say("PART #nowhere") == [":irc.test 403 bob #nowhere :No such channel"]


def test_an_empty_channel_ceases_to_exist(chat):
    """RFC 2811 2.3: "The channel is created implicitly when the first user joins it, and the channel
    ceases to exist when the last user leaves it"."""
    [alice] = users(chat, "alice")
    alice.say("JOIN #dev", "TOPIC #dev :old topic", "PART #dev")
    assert chat.channels.find("#dev") is None
    assert alice.say("JOIN #dev")[:2] == [":alice!alice@127.0.0.1 JOIN #dev", ":irc.test 353 alice = #dev :@alice"]


def test_topic_needs_an_operator_on_plus_t(chat):
    """RFC 2811 4.2.8: "the channel flag 't' is used to restrict the usage of the TOPIC command to channel operators"."""
    alice, bob = users(chat, "alice", "bob")
    alice.say("JOIN #dev")
    bob.say("JOIN #dev")
    assert bob.say("TOPIC #dev :mine") == [":irc.test 482 bob #dev :You're not channel operator"]
    alice.say("MODE #dev -t")
    bob.new()
    assert bob.say("TOPIC #dev :mine now", now=1234) == [":bob!bob@127.0.0.1 TOPIC #dev :mine now"]
    assert alice.say("TOPIC #dev")[-2:] == [":irc.test 332 alice #dev :mine now",
                                            ":irc.test 333 alice #dev bob!bob@127.0.0.1 :1234"]
    assert bob.say("TOPIC #dev :") == [":bob!bob@127.0.0.1 TOPIC #dev :"]
    assert bob.say("TOPIC #dev") == [":irc.test 331 bob #dev :No topic is set"]


def test_the_lobby_has_no_channel_operator(chat):
    """The lobby stays the seed's room: nobody is its operator; +nt; its topic is not for users to set."""
    alice, bob = users(chat, "alice", "bob")
    assert alice.say("NAMES #lobby")[0] == ":irc.test 353 alice = #lobby :alice bob"
    assert alice.say("TOPIC #lobby :mine") == [":irc.test 482 alice #lobby :You're not channel operator"]
    assert alice.say("MODE #lobby")[0] == ":irc.test 324 alice #lobby :+nt"
    assert alice.say("MODE #lobby +m") == [":irc.test 482 alice #lobby :You're not channel operator"]


def test_kick_removes_a_member_and_everyone_sees_it(chat):
    """RFC 2812 3.2.8: "The KICK command can be used to request the forced removal of a user from a channel"."""
    alice, bob, carol = users(chat, "alice", "bob", "carol")
    for peer in (alice, bob, carol):
        peer.say("JOIN #dev")
    alice.new(), bob.new()
    assert alice.say("KICK #dev bob :behave") == [":alice!alice@127.0.0.1 KICK #dev bob :behave"]
    assert bob.new() == [":alice!alice@127.0.0.1 KICK #dev bob :behave"]
    assert carol.new()[-1] == ":alice!alice@127.0.0.1 KICK #dev bob :behave"
    assert bob.say("PRIVMSG #dev :back?") == [":irc.test 404 bob #dev :Cannot send to channel"]
    assert carol.say("KICK #dev alice") == [":irc.test 482 carol #dev :You're not channel operator"]
    assert alice.say("KICK #dev bob") == [":irc.test 441 alice bob #dev :They aren't on that channel"]
    assert alice.say("KICK #dev carol")[-1] == ":alice!alice@127.0.0.1 KICK #dev carol :alice"  # default comment


def test_invite_lets_one_past_plus_i_and_operators_see_it(chat):
    """RFC 2812 3.2.7: "if the channel has invite only flag set, only channel operators may issue INVITE command"."""
    alice, bob, carol = users(chat, "alice", "bob", "carol")
    alice.say("CAP REQ :invite-notify")
    alice.say("JOIN #ops", "MODE #ops +i")
    assert bob.say("JOIN #ops") == [":irc.test 473 bob #ops :Cannot join channel (+i)"]
    carol.say("JOIN #open")
    assert carol.say("INVITE bob #ops") == [":irc.test 442 carol #ops :You're not on that channel"]
    alice.new()
    assert alice.say("INVITE bob #ops") == [":irc.test 341 alice bob :#ops"]
    assert bob.new() == [":alice!alice@127.0.0.1 INVITE bob #ops"]
    assert bob.say("JOIN #ops")[0] == ":bob!bob@127.0.0.1 JOIN #ops"
    alice.new()
    assert alice.say("INVITE bob #ops") == [":irc.test 443 alice bob #ops :is already on channel"]
    assert alice.say("INVITE nobody #ops") == [":irc.test 401 alice nobody :No such nick/channel"]


def test_bans_exceptions_and_invite_exceptions(chat):
    """RFC 2811 4.3: bans keep users out; exceptions (+e) override bans; +I lets users past +i."""
    alice, bob, carol = users(chat, "alice", "bob", "carol")
    alice.say("JOIN #dev", "MODE #dev +b bob")
    assert alice.say("MODE #dev b")[:2] == [
        ":irc.test 367 alice #dev bob!*@* alice!alice@127.0.0.1 :1000",
        ":irc.test 368 alice #dev :End of channel ban list",
    ]
    assert bob.say("JOIN #dev") == [":irc.test 474 bob #dev :Cannot join channel (+b)"]
    alice.say("MODE #dev +e *!bob@*")
    assert bob.say("JOIN #dev")[0] == ":bob!bob@127.0.0.1 JOIN #dev"
    alice.say("MODE #dev +iI carol!*@*")
    assert carol.say("JOIN #dev")[0] == ":carol!carol@127.0.0.1 JOIN #dev"


def test_a_ban_silences_a_member_who_is_not_voiced(chat):
    alice, bob = users(chat, "alice", "bob")
    alice.say("JOIN #dev")
    bob.say("JOIN #dev")
    alice.say("MODE #dev +b *!bob@*")
    bob.new()
    assert bob.say("PRIVMSG #dev :hi") == [":irc.test 404 bob #dev :Cannot send to channel"]
    alice.say("MODE #dev +v bob")
    bob.new()
    assert bob.say("PRIVMSG #dev :voiced now") == []
    assert alice.new()[-1] == ":bob!bob@127.0.0.1 PRIVMSG #dev :voiced now"


def test_moderated_and_no_external_messages(chat):
    """RFC 2811 4.2.3: +m: "only channel operators and members with voice may speak"; 4.2.5 +n: no outside messages."""
    alice, bob, outsider = users(chat, "alice", "bob", "outsider")
    alice.say("JOIN #dev")
    bob.say("JOIN #dev")
    alice.new()
    assert outsider.say("PRIVMSG #dev :from outside") == [":irc.test 404 outsider #dev :Cannot send to channel"]
    alice.say("MODE #dev -n")
    outsider.say("PRIVMSG #dev :from outside")
    assert alice.new() == [":outsider!outsider@127.0.0.1 PRIVMSG #dev :from outside"]
    alice.say("MODE #dev +m")
    bob.new()
    assert bob.say("PRIVMSG #dev :quiet?") == [":irc.test 404 bob #dev :Cannot send to channel"]


def test_key_and_limit(chat):
    """RFC 2811 4.2.7 +k and 4.2.9 +l: a key to join, a member limit."""
    alice, bob, carol = users(chat, "alice", "bob", "carol")
    alice.say("JOIN #dev")
    assert alice.say("MODE #dev +kl secret 2") == [":alice!alice@127.0.0.1 MODE #dev +kl secret 2"]
    assert alice.say("MODE #dev")[0] == ":irc.test 324 alice #dev +ntkl secret :2"
    assert bob.say("MODE #dev")[0] == ":irc.test 324 bob #dev +ntkl * :2"  # the key only for members
    assert bob.say("JOIN #dev")[0] == ":irc.test 475 bob #dev :Cannot join channel (+k)"
    assert bob.say("JOIN #dev secret")[0] == ":bob!bob@127.0.0.1 JOIN #dev"
    assert carol.say("JOIN #dev secret") == [":irc.test 471 carol #dev :Cannot join channel (+l)"]
    alice.say("MODE #dev -l")
    assert carol.say("JOIN #dev secret")[0] == ":carol!carol@127.0.0.1 JOIN #dev"


def test_op_and_voice_and_their_numerics(chat):
    alice, bob = users(chat, "alice", "bob")
    alice.say("JOIN #dev")
    bob.say("JOIN #dev")
    alice.new(), bob.new()
    assert alice.say("MODE #dev +ov bob bob") == [":alice!alice@127.0.0.1 MODE #dev +ov bob bob"]
    assert bob.new() == [":alice!alice@127.0.0.1 MODE #dev +ov bob bob"]
    assert alice.say("NAMES #dev")[0] == ":irc.test 353 alice = #dev :@alice @bob"
    assert alice.say("MODE #dev -o nobody") == [":irc.test 401 alice nobody :No such nick/channel"]
    alice.say("CAP REQ :multi-prefix")
    assert alice.say("NAMES #dev")[0] == ":irc.test 353 alice = #dev :@alice @+bob"
    assert alice.say("MODE #dev +z") == [":irc.test 472 alice z :is unknown mode char to me"]
    alice.say("MODE #dev +o bob")  # already: nothing changes, nothing is said
    assert bob.new() == []


def test_lists_are_bounded_by_maxlist(chat):
    [alice] = users(chat, "alice")
    alice.say("JOIN #dev", "MODE #dev +bbb a b c")
    alice.new()
    assert alice.say("MODE #dev +b d") == [":irc.test 478 alice #dev b :Channel list is full"]


def test_modes_with_parameters_are_capped_per_command():
    """ISUPPORT MODES: "the maximum number of channel modes with parameter allowed per MODE command"."""
    [alice] = users(Chat(Config.from_flags(server_name="irc.test", modes_per_command=4)), "alice")
    alice.say("JOIN #dev")
    alice.new()
    assert alice.say("MODE #dev +bbbbb a b c d e") == [
        ":alice!alice@127.0.0.1 MODE #dev +bbbb a!*@* b!*@* c!*@* d!*@*"]


def test_list_shows_visible_channels_with_filters(chat):
    """ELIST=MNU: masks, negative masks, user counts."""
    alice, bob = users(chat, "alice", "bob")
    alice.say("JOIN #dev,#secret", "MODE #secret +s", "TOPIC #dev :code")
    bob.say("JOIN #dev")
    listing = bob.say("LIST")
    assert ":irc.test 322 bob #dev 2 :[+nt] code" in listing
    assert not any("#secret" in line for line in listing)
    assert [l.split()[3] for l in bob.say("LIST >1") if " 322 " in l] == ["#lobby", "#dev"]
    assert [l.split()[3] for l in bob.say("LIST #d*") if " 322 " in l] == ["#dev"]
    assert [l.split()[3] for l in bob.say("LIST !#d*,<3") if " 322 " in l] == ["#lobby"]
    assert any("#secret" in line for line in alice.say("LIST"))


def test_secret_channels_are_hidden_from_outsiders_in_whois_names_and_who(chat):
    alice, bob = users(chat, "alice", "bob")
    alice.say("JOIN #hidden", "MODE #hidden +s")
    assert bob.say("WHOIS alice")[1] == ":irc.test 319 bob alice :#lobby"
    assert alice.say("WHOIS alice")[1] == ":irc.test 319 alice alice :@#hidden #lobby" or \
        alice.say("WHOIS alice")[1] == ":irc.test 319 alice alice :#lobby @#hidden"
    assert bob.say("NAMES #hidden") == [":irc.test 366 bob #hidden :End of /NAMES list."]
    assert bob.say("WHO #hidden") == [":irc.test 315 bob #hidden :End of /WHO list."]


def test_statusmsg_reaches_only_the_operators(chat):
    alice, bob, carol = users(chat, "alice", "bob", "carol")
    for peer in (alice, bob, carol):
        peer.say("JOIN #dev")
    alice.say("MODE #dev +o bob")
    bob.new(), carol.new()
    carol.say("PRIVMSG @#dev :ops only")
    assert bob.new() == [":carol!carol@127.0.0.1 PRIVMSG @#dev :ops only"]
    assert alice.new()[-1] == ":carol!carol@127.0.0.1 PRIVMSG @#dev :ops only"
    assert carol.new() == []


def test_who_on_a_channel_and_whox(chat):
    alice, bob = users(chat, "alice", "bob")
    alice.say("JOIN #dev")
    bob.say("JOIN #dev")
    lines = alice.say("WHO #dev")
    assert ":irc.test 352 alice #dev alice 127.0.0.1 irc.test alice H@ :0 Alice Real" in lines
    assert ":irc.test 352 alice #dev bob 127.0.0.1 irc.test bob H :0 Bob Real" in lines
    assert alice.say("WHO #dev %tnuhraf,42") == [
        ":irc.test 354 alice 42 alice 127.0.0.1 alice H@ 0 :Alice Real",
        ":irc.test 354 alice 42 bob 127.0.0.1 bob H 0 :Bob Real",
        ":irc.test 315 alice #dev :End of /WHO list.",
    ]


def test_quit_and_nick_reach_each_neighbour_once(chat):
    """A user in three channels with bob: bob sees its NICK and QUIT once each."""
    alice, bob, carol = users(chat, "alice", "bob", "carol")
    for name in ("#a", "#b", "#c"):
        alice.say(f"JOIN {name}")
        bob.say(f"JOIN {name}")
    bob.new(), carol.new()
    alice.say("NICK alicia")
    assert bob.new() == [":alice!alice@127.0.0.1 NICK alicia"]
    assert carol.new() == [":alice!alice@127.0.0.1 NICK alicia"]  # shares only the lobby
    alice.say("QUIT :bye")
    assert bob.new() == [":alicia!alice@127.0.0.1 QUIT :bye"]


def test_lusers_counts_channels(chat):
    alice, = users(chat, "alice")
    alice.say("JOIN #a,#b")
    assert ":irc.test 254 alice 3 :channels formed" in alice.say("LUSERS")


def test_without_a_lobby_no_channel_is_joined_for_you():
    """--lobby none: a classic IRC server."""
    chat = Chat(Config.from_flags(server_name="irc.test", lobby=None))
    alice = Peer(chat, "alice")
    assert not any(" JOIN " in line or " 353 " in line for line in alice.out)
    assert alice.say("JOIN #dev")[0] == ":alice!alice@127.0.0.1 JOIN #dev"
    bob = Peer(chat, "bob")
    bob.new()
    alice.say("NICK alicia")
    assert bob.new() == []  # shares no channel


def test_playback_on_joining_any_channel(tmp_path):
    from geventchat.store.sqlite import SqliteHistory

    store = SqliteHistory(tmp_path / "h.sqlite3", max_age=86400, max_lines=100)
    chat = Chat(Config.from_flags(server_name="irc.test"), history=store)
    alice = Peer(chat, "alice", now=1000)
    alice.say("JOIN #dev", "PRIVMSG #dev :before you came", now=1001)
    late = Peer(chat, "late", caps="server-time", now=1100)
    late.new()
    assert late.say("JOIN #dev", now=1100)[-1] == \
        "@time=1970-01-01T00:16:41.000Z :alice!alice@127.0.0.1 PRIVMSG #dev :before you came"
    store.close()



class Heard(Channels):
    """A Channels that records what its seams are told, and says a channel exists elsewhere when asked to."""

    def __init__(self, elsewhere: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.elsewhere = elsewhere
        self.heard: list[tuple[str, str | None, str | None]] = []

    def claim(self, name: str, uid: str, now: float) -> bool:
        return name not in self.elsewhere

    def changed(self, channel, joined=None, left=None) -> None:
        self.heard.append((channel.name, joined, left))


def test_a_network_hears_every_change_a_command_makes_and_decides_who_is_first():
    """The seams a network of servers keeps its copies with: each command's change, once, naming who
    joined or left; and whether the joiner of a channel unknown here is its first member."""
    channels = Heard(elsewhere=("#theirs",))
    chat = Chat(Config.from_flags(server_name="irc.test"), channels=channels)
    alice, bob = users(chat, "alice", "bob")
    a, b = alice.session.uid, bob.session.uid
    alice.say("JOIN #dev", "TOPIC #dev :t", "MODE #dev +k key", "INVITE bob #dev")
    bob.say("JOIN #dev key")
    alice.say("MODE #dev +v bob", "KICK #dev bob", "PART #dev")
    assert channels.heard == [
        ("#lobby", a, None), ("#lobby", b, None),
        ("#dev", a, None), ("#dev", None, None), ("#dev", None, None), ("#dev", None, None),  # topic, key, invite
        ("#dev", b, None), ("#dev", None, None), ("#dev", None, b), ("#dev", None, a),  # +v, kick, part
    ]
    assert chat.channels.find("#dev") is None
    bob.new()
    assert bob.say("JOIN #theirs")[1] == ":irc.test 353 bob = #theirs :bob"  # not the first: no @
