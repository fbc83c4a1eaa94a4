"""Windows as transcripts: server lines in, which window shows what, marks, members, the stream."""

from __future__ import annotations

from curses_client.linemode import stream_text
from curses_client.state import Activity, ChatState, Phase, WindowKind
from tests.support.client_state import NOW, feed


def texts(window) -> list[str]:
    return [line.text for line in window.scrollback]


def connected() -> ChatState:
    state = ChatState(nick="alice", server="irc.test")
    state.phase, state.motd_done = Phase.CONNECTED, True
    feed(state, ":irc.test 005 alice PREFIX=(ov)@+ CHANMODES=beI,k,l,imnst CHANTYPES=# :are supported")
    return state


def test_the_first_channel_is_shown_others_the_server_joins_are_not() -> None:
    state = connected()
    feed(state, ":alice!a@h JOIN #lobby", ":alice!a@h JOIN #news")
    assert [w.label for w in state.windows] == ["status", "#lobby", "#news"]
    assert state.active.name == "#lobby"
    assert state.windows.find("#news").activity is Activity.EVENT


def test_a_channel_the_user_asked_for_is_shown_when_joined() -> None:
    from curses_client.commands import parse_input
    state = connected()
    feed(state, ":alice!a@h JOIN #lobby")
    assert parse_input(state, "/join #dev", NOW).send == [("JOIN", "#dev")]
    assert state.active.name == "#lobby"
    feed(state, ":alice!a@h JOIN #dev")
    assert state.active.name == "#dev"


def test_part_closes_the_window_and_renumbers_kick_keeps_it() -> None:
    state = connected()
    feed(state, ":alice!a@h JOIN #lobby", ":alice!a@h JOIN #dev", ":alice!a@h JOIN #ops")
    state.windows.show_number(3)
    feed(state, ":alice!a@h PART #dev :bye")
    assert [w.label for w in state.windows] == ["status", "#lobby", "#ops"]
    assert state.active.name == "#lobby"    # the window shown before
    assert texts(state.windows.status)[-1] == "You left #dev (bye)"
    assert "#dev" not in [name for name, _ in state.wanted.values()]
    feed(state, ":bob!b@h KICK #ops alice :out you go")
    ops = state.windows.find("#ops")
    assert ops is not None and not ops.joined and not ops.members
    assert texts(ops)[-1] == "You were kicked from #ops by bob (out you go); /join #ops to go back"
    assert ops.activity is Activity.MENTION


def test_quit_and_nick_show_where_the_person_is() -> None:
    state = connected()
    feed(state, ":alice!a@h JOIN #lobby", ":irc.test 353 alice = #lobby :alice bob",
         ":irc.test 366 alice #lobby :End", ":alice!a@h JOIN #dev", ":bob!b@h PRIVMSG alice :psst")
    feed(state, ":bob!b@h NICK robert")
    query = state.windows.find("robert")
    assert query is not None and query.kind is WindowKind.QUERY
    assert texts(query)[-1] == "bob is now known as robert"
    assert texts(state.windows.find("#lobby"))[-1] == "bob is now known as robert"
    assert "bob is now known as robert" not in texts(state.windows.find("#dev"))
    feed(state, ":robert!b@h QUIT :gone")
    assert texts(state.windows.find("#lobby"))[-1] == "robert quit (gone)"
    assert texts(query)[-1] == "robert quit (gone)"
    assert not state.windows.find("#lobby").members.get("robert")


def test_names_and_modes_keep_each_members_prefix() -> None:
    state = connected()
    feed(state, ":alice!a@h JOIN #dev", ":irc.test 353 alice = #dev :@alice +bob carol @+dan",
         ":irc.test 366 alice #dev :End")
    window = state.windows.find("#dev")
    assert texts(window)[-1] == "4 in #dev: @alice @dan +bob carol"
    assert [(m.prefixes, m.nick) for m in window.ranked(state.features)] == [
        ("@", "alice"), ("@+", "dan"), ("+", "bob"), ("", "carol")]
    feed(state, ":alice!a@h MODE #dev +o-v+k carol bob sesame")
    assert window.member("carol").prefixes == "@" and window.member("bob").prefixes == ""
    assert texts(window)[-1] == "mode/#dev [+o-v+k carol bob sesame] by alice"
    feed(state, ":alice!a@h MODE #dev -o+v dan dan")
    assert window.member("dan").prefixes == "+"


def test_a_private_message_opens_a_window_marked_not_shown() -> None:
    state = connected()
    feed(state, ":alice!a@h JOIN #lobby", ":bob!b@h PRIVMSG alice :psst",
         ":bob!b@h PRIVMSG #lobby :hello all", ":irc.test NOTICE alice :server news")
    query = state.windows.find("bob")
    assert state.active.name == "#lobby" and query.activity is Activity.MENTION
    assert texts(state.windows.status)[-1] == "server news"
    state.windows.show(query)
    assert query.activity is Activity.NONE and state.nicks() == ["bob", "alice"]


def test_errors_about_a_channel_go_to_its_window() -> None:
    state = connected()
    feed(state, ":alice!a@h JOIN #lobby", ":alice!a@h JOIN #dev")
    feed(state, ":irc.test 482 alice #dev :You're not channel operator")
    assert texts(state.windows.find("#dev"))[-1] == "You are not an operator of #dev"
    feed(state, ":irc.test 474 alice #ops :Cannot join channel (+b)")
    assert texts(state.active)[-1] == "Cannot join #ops: you are banned (+b)"


def test_topic_is_kept_and_shown() -> None:
    state = connected()
    feed(state, ":alice!a@h JOIN #dev", ":irc.test 332 alice #dev :release day",
         ":irc.test 333 alice #dev bob!b@h 1700000000")
    window = state.windows.find("#dev")
    assert window.topic == "release day" and texts(window)[-2] == "Topic of #dev: release day"
    feed(state, ":bob!b@h TOPIC #dev :freeze")
    assert window.topic == "freeze" and texts(window)[-1] == "bob changed the topic of #dev to: freeze"


def test_line_mode_prints_every_window_once_naming_the_others() -> None:
    state = connected()
    feed(state, ":alice!a@h JOIN #lobby", ":alice!a@h JOIN #dev", ":bob!b@h PRIVMSG #lobby :in lobby",
         ":bob!b@h PRIVMSG #dev :in dev", ":bob!b@h PRIVMSG alice :psst")
    stream = [stream_text(w, line, w is state.active or w is state.windows.status)
              for w, line in state.windows.journal.since(0)]
    assert any(text.endswith(" <bob> in lobby") and "[" not in text for text in stream)
    assert any(text.endswith(" [#dev] <bob> in dev") for text in stream)
    assert any(text.endswith(" [msg from bob] psst") for text in stream)
