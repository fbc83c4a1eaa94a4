"""JOIN PART TOPIC NAMES LIST KICK INVITE MODE: channels, as RFC 2812 and Modern IRC have them.

Every client enters the lobby on registration (unless the server runs with
`--lobby none`); any other channel comes to be when someone joins it, with
that first member as its operator, and ceases to be when the last one leaves.
The lobby has no channel operator: only server operators change its topic
and modes.
"""

from __future__ import annotations

from ...protocol import numerics as N
from ...protocol.message import Message
from ...protocol.names import casefold
from .. import replies
from ..caps import INVITE_NOTIFY
from ..channels import (
    FLAG_MODES, KEY_MODE, LIMIT_MODE, LIST_MODES, STATUS_MODES, Channel, ListEntry, normal_mask, valid_name,
)
from ..context import Context, IrcError
from .opers import WALLOPS

LIST_REPLIES = {
    "b": (N.RPL_BANLIST, N.RPL_ENDOFBANLIST, "End of channel ban list"),
    "e": (N.RPL_EXCEPTLIST, N.RPL_ENDOFEXCEPTLIST, "End of channel exception list"),
    "I": (N.RPL_INVITELIST, N.RPL_ENDOFINVITELIST, "End of channel invite list"),
}


def _channel(ctx: Context, name: str) -> Channel:
    channel = ctx.chat.channels.find(name)
    if channel is None:
        raise IrcError(N.ERR_NOSUCHCHANNEL, name, "No such channel")
    return channel


def _member(ctx: Context, name: str) -> Channel:
    """The channel, which the client must be in (442 otherwise)."""
    channel = _channel(ctx, name)
    if not channel.has(ctx.session.uid):
        raise IrcError(N.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
    return channel


def _operator(ctx: Context, channel: Channel) -> None:
    """482 unless the client is the channel's operator (or a server operator)."""
    if not channel.is_op(ctx.session.uid) and not ctx.chat.is_operator(ctx.session):
        raise IrcError(N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator")


def join(ctx: Context, msg: Message) -> None:
    """JOIN <channel>{,<channel>} [<key>{,<key>}] | JOIN 0

    RFC 2812 3.2.1. "Once a user has joined a channel, he receives information
    about all commands his server receives affecting the channel": the JOIN
    itself, the topic (332/333) and the names (353/366). `JOIN 0` leaves every channel.
    """
    if msg.params[0] == "0":
        for channel in ctx.chat.channels.channels_of(ctx.session.uid):
            leave(ctx, channel, Message("PART", (channel.name,), ctx.session.user.prefix))
        return
    keys = msg.param(1).split(",") if len(msg.params) > 1 else []
    for index, name in enumerate(n for n in msg.params[0].split(",") if n):
        try:
            enter(ctx, name, keys[index] if index < len(keys) else "")
        except IrcError as error:
            ctx.reply(error.numeric, *error.params)


def enter(ctx: Context, name: str, key: str = "") -> None:
    """One channel joined: checks, then the JOIN for everyone, the topic, the names, playback."""
    chat, session = ctx.chat, ctx.session
    user = session.user
    assert user is not None
    limits = chat.config.channels
    if not valid_name(name, chat.config.limits.channellen):
        raise IrcError(N.ERR_BADCHANMASK, name, "Bad Channel Mask")
    channel = chat.channels.find(name)
    if channel is not None and channel.has(session.uid):
        return
    if len(chat.channels.of(session.uid)) >= limits.max_channels_per_user:
        raise IrcError(N.ERR_TOOMANYCHANNELS, name, "You have joined too many channels")
    status = ""
    if channel is None:
        if len(chat.channels) >= limits.max_channels:
            raise IrcError(N.ERR_TOOMANYCHANNELS, name, "This server has as many channels as it may hold")
        first = chat.channels.claim(name, session.uid, ctx.now)
        channel = None if first else chat.channels.find(name)
        if channel is None:  # new: its first member is its operator (on a network, the first anywhere)
            channel = chat.channels.create(name, ctx.now)
            status = "o" if first else ""
    if not status:
        try:
            _admit(ctx, channel, key)
        except IrcError:
            if not channel.members:  # known here only for this join (a network's copy of another's): not kept
                chat.channels.remove(channel, session.uid)
            raise
    chat.join(session, channel, status, ctx.now)


def _admit(ctx: Context, channel: Channel, key: str) -> None:
    """+k, +l, +i (an invitation or +I lets one in), +b (unless +e): RFC 2812 3.2.1's conditions."""
    session, prefix = ctx.session, ctx.session.user.prefix
    invited = session.uid in channel.invited or channel.matches("I", prefix)
    if channel.key is not None and key != channel.key:
        raise IrcError(N.ERR_BADCHANNELKEY, channel.name, "Cannot join channel (+k)")
    if channel.limit is not None and len(channel.members) >= channel.limit and not invited:
        raise IrcError(N.ERR_CHANNELISFULL, channel.name, "Cannot join channel (+l)")
    if "i" in channel.modes and not invited:
        raise IrcError(N.ERR_INVITEONLYCHAN, channel.name, "Cannot join channel (+i)")
    if channel.banned(prefix) and not invited:
        raise IrcError(N.ERR_BANNEDFROMCHAN, channel.name, "Cannot join channel (+b)")


def part(ctx: Context, msg: Message) -> None:
    """PART <channel>{,<channel>} [:<reason>]

    RFC 2812 3.2.2: "the user sending the message to be removed from the list
    of active members for all given channels"; the others see the PART, reason included.
    """
    reason = msg.params[1:2]
    for name in [n for n in msg.params[0].split(",") if n]:
        try:
            channel = _member(ctx, name)
        except IrcError as error:
            ctx.reply(error.numeric, *error.params)
            continue
        leave(ctx, channel, Message("PART", (channel.name, *reason), ctx.session.user.prefix))


def leave(ctx: Context, channel: Channel, line: Message) -> None:
    """The client leaves one channel; everyone in it, the client included, sees `line`."""
    ctx.outbox.to_channel(channel.folded, line, ctx.now, sender=ctx.session, echo=True)
    ctx.chat.leave(ctx.session.uid, channel)


def topic(ctx: Context, msg: Message) -> None:
    """TOPIC <channel> [:<topic>]

    RFC 2812 3.2.4: without a topic, 332 and 333 (who set it, when) or 331;
    with one, it is set (by an operator when the channel is +t) and every
    member sees the TOPIC line; an empty topic clears it.
    """
    channel = _channel(ctx, msg.params[0])
    session = ctx.session
    if len(msg.params) == 1:
        if channel.secret and not channel.has(session.uid):
            raise IrcError(N.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
        replies.topic(ctx, channel)
        return
    if not channel.has(session.uid):
        raise IrcError(N.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
    if "t" in channel.modes or channel.permanent:
        _operator(ctx, channel)
    user = session.user
    text = msg.params[1][: ctx.chat.config.channels.topiclen]
    channel.topic, channel.topic_by, channel.topic_at = text, user.prefix, ctx.now
    ctx.chat.channel_changed(channel)
    ctx.outbox.to_channel(channel.folded, Message("TOPIC", (channel.name, text), user.prefix), ctx.now,
                          sender=session, echo=True)


def names(ctx: Context, msg: Message) -> None:
    """NAMES [<channel>{,<channel>}]

    RFC 2812 3.2.5: the visible members of each channel; a secret channel
    shows its members only to members. Without a channel, the client's own
    channels (the lobby, for most), as the seed's clients expect.
    """
    wanted = [n for n in msg.param(0).split(",") if n] or ctx.chat.channel_names(ctx.session)
    if not wanted:
        ctx.reply(N.RPL_ENDOFNAMES, "*", "End of /NAMES list.")
    for name in wanted:
        channel = ctx.chat.channels.find(name)
        if channel is None or (channel.secret and not channel.has(ctx.session.uid)):
            ctx.reply(N.RPL_ENDOFNAMES, name, "End of /NAMES list.")
            continue
        replies.names(ctx, channel)


def list_(ctx: Context, msg: Message) -> None:
    """LIST [<channel>{,<channel>} | <filter>{,<filter>}]

    RFC 2812 3.2.6, with the ELIST filters `>n` and `<n` (member counts), `mask`
    and `!mask` (names): 322 for each channel shown, then 323. A secret
    channel is listed only to its members.
    """
    from ..channels import mask_regex

    chat, uid = ctx.chat, ctx.session.uid
    wanted = [w for w in msg.param(0).split(",") if w]
    for channel in chat.channels:
        if channel.secret and not channel.has(uid):
            continue
        count = len(channel.members)
        shown = True
        for item in wanted:
            if item.startswith(">") and item[1:].isdigit():
                shown &= count > int(item[1:])
            elif item.startswith("<") and item[1:].isdigit():
                shown &= count < int(item[1:])
            elif item.startswith("!"):
                shown &= not mask_regex(item[1:]).match(channel.folded)
            else:
                shown &= bool(mask_regex(item).match(channel.folded))
        if shown:
            modes = channel.mode_string(show_key=channel.has(uid))[0]
            ctx.reply(N.RPL_LIST, channel.name, str(count), f"[{modes}] {channel.topic}".rstrip()
                      if modes != "+" else channel.topic)
    ctx.reply(N.RPL_LISTEND, "End of /LIST")


def kick(ctx: Context, msg: Message) -> None:
    """KICK <channel> <user>{,<user>} [:<comment>]

    RFC 2812 3.2.8: an operator removes members; everyone in the channel sees
    the KICK, the kicked included. 441 for a nick not on the channel.
    """
    if len(msg.params) < 2:
        raise IrcError(N.ERR_NEEDMOREPARAMS, "KICK", "Not enough parameters")
    channel = _member(ctx, msg.params[0])
    _operator(ctx, channel)
    chat, kicker = ctx.chat, ctx.session.user
    comment = (msg.param(2) or kicker.nick)[: chat.config.channels.kicklen]
    for nick in [n for n in msg.params[1].split(",") if n]:
        target = chat.registry.find(nick)
        if target is None or not channel.has(target.uid):
            ctx.reply(N.ERR_USERNOTINCHANNEL, nick, channel.name, "They aren't on that channel")
            continue
        line = Message("KICK", (channel.name, target.nick, comment), kicker.prefix)
        ctx.outbox.to_channel(channel.folded, line, ctx.now, sender=ctx.session, echo=True)
        chat.leave(target.uid, channel)


def invite(ctx: Context, msg: Message) -> None:
    """INVITE <nick> <channel>

    RFC 2812 3.2.7: 341 to the inviter, the INVITE to the invited, who may then
    pass +i (and +l and +b); on an invite-only channel only operators invite.
    Members with invite-notify see it too.
    """
    if len(msg.params) < 2:
        raise IrcError(N.ERR_NEEDMOREPARAMS, "INVITE", "Not enough parameters")
    chat, session = ctx.chat, ctx.session
    target = chat.registry.find(msg.params[0])
    if target is None:
        raise IrcError(N.ERR_NOSUCHNICK, msg.params[0], "No such nick/channel")
    channel = _member(ctx, msg.params[1])
    if "i" in channel.modes:
        _operator(ctx, channel)
    if channel.has(target.uid):
        raise IrcError(N.ERR_USERONCHANNEL, target.nick, channel.name, "is already on channel")
    channel.invited.add(target.uid)
    chat.channel_changed(channel)
    ctx.reply(N.RPL_INVITING, target.nick, channel.name)
    line = Message("INVITE", (target.nick, channel.name), session.user.prefix)
    ctx.outbox.to_user(target.uid, line, ctx.now, sender=session)
    watchers = tuple(uid for uid, status in channel.status.items() if "o" in status and uid != session.uid)
    if watchers:
        ctx.outbox.to_users(watchers, line, ctx.now, sender=session, needs=INVITE_NOTIFY)
    if target.away:
        ctx.reply(N.RPL_AWAY, target.nick, target.away)


def mode(ctx: Context, msg: Message) -> None:
    """MODE <target> [<modes> [<params>]]

    A channel's modes (RFC 2811 4): 324 and 329 when asked; list modes
    without a parameter list their masks; changes need the channel operator
    and are shown to every member as one MODE line. Otherwise the client's
    own user modes (`+i`, `+w` to hear WALLOPS; `+o` comes only from OPER,
    `-o` gives it up).
    """
    target = msg.params[0]
    if target[:1] == "#":
        _channel_mode(ctx, _channel(ctx, target), msg.params[1:])
    else:
        _user_mode(ctx, target, msg.param(1))


def _channel_mode(ctx: Context, channel: Channel, args: tuple[str, ...]) -> None:
    session, chat = ctx.session, ctx.chat
    if not args:
        ctx.reply(N.RPL_CHANNELMODEIS, channel.name, *channel.mode_string(show_key=channel.has(session.uid)))
        ctx.reply(N.RPL_CREATIONTIME, channel.name, str(int(channel.created)))
        return
    params = list(args[1:])
    adding = True
    applied: list[tuple[str, str, str | None]] = []  # (sign, mode, parameter)
    needs_op = False
    with_params = 0
    limit = chat.config.channels.modes_per_command
    for char in args[0]:
        if char in "+-":
            adding = char == "+"
            continue
        if char not in LIST_MODES + KEY_MODE + LIMIT_MODE + FLAG_MODES + STATUS_MODES:
            ctx.reply(N.ERR_UNKNOWNMODE, char, "is unknown mode char to me")
            continue
        takes = char in LIST_MODES + STATUS_MODES + KEY_MODE or (char == LIMIT_MODE and adding)
        if char in LIST_MODES and not params:
            _list_masks(ctx, channel, char)
            continue
        if takes:
            if not params:
                ctx.reply(N.ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters")
                continue
            with_params += 1
            if with_params > limit:
                continue
        if not needs_op:
            needs_op = True
            _operator(ctx, channel)
        param = params.pop(0) if takes else None
        change = _apply(ctx, channel, adding, char, param)
        if change is not None:
            applied.append(change)
    if applied:
        chat.channel_changed(channel)
        signs, words, sign = "", [], ""
        for this, char, param in applied:
            if this != sign:
                signs += this
                sign = this
            signs += char
            if param is not None:
                words.append(param)
        line = Message("MODE", (channel.name, signs, *words), session.user.prefix)
        ctx.outbox.to_channel(channel.folded, line, ctx.now, sender=session, echo=True)


def _apply(ctx: Context, channel: Channel, adding: bool, char: str, param: str | None
           ) -> tuple[str, str, str | None] | None:
    """One mode change; what to show for it, or None when it changed nothing."""
    sign = "+" if adding else "-"
    if char in FLAG_MODES:
        if (char in channel.modes) == adding:
            return None
        (channel.modes.add if adding else channel.modes.discard)(char)
        return sign, char, None
    if char in STATUS_MODES:
        member = ctx.chat.registry.find(param)
        if member is None:
            ctx.reply(N.ERR_NOSUCHNICK, param, "No such nick/channel")
            return None
        if not channel.has(member.uid):
            ctx.reply(N.ERR_USERNOTINCHANNEL, member.nick, channel.name, "They aren't on that channel")
            return None
        if not channel.set_status(member.uid, char, adding):
            return None
        return sign, char, member.nick
    if char == KEY_MODE:
        if adding:
            key = param.replace(" ", "")[:23]
            if not key or channel.key == key:
                return None
            channel.key = key
            return sign, char, key
        if channel.key is None:
            return None
        channel.key = None
        return sign, char, "*"
    if char == LIMIT_MODE:
        if adding:
            if not param.isdigit() or int(param) < 1:
                return None
            channel.limit = int(param)
            return sign, char, param
        if channel.limit is None:
            return None
        channel.limit = None
        return sign, char, None
    # a list mode with a mask
    mask = normal_mask(param)
    entries = channel.lists[char]
    folded = casefold(mask)
    present = next((entry for entry in entries if casefold(entry.mask) == folded), None)
    if adding:
        if present is not None:
            return None
        if len(entries) >= ctx.chat.config.channels.maxlist:
            ctx.reply(N.ERR_BANLISTFULL, channel.name, char, "Channel list is full")
            return None
        entries.append(ListEntry(mask, ctx.session.user.prefix, ctx.now))
        return sign, char, mask
    if present is None:
        return None
    entries.remove(present)
    return sign, char, present.mask


def _list_masks(ctx: Context, channel: Channel, char: str) -> None:
    item, end, text = LIST_REPLIES[char]
    if char in "eI" and not channel.is_op(ctx.session.uid) and not ctx.chat.is_operator(ctx.session):
        raise IrcError(N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator")
    for entry in channel.lists[char]:
        ctx.reply(item, channel.name, entry.mask, entry.set_by, str(int(entry.set_at)))
    ctx.reply(end, channel.name, text)


def _user_mode(ctx: Context, target: str, change: str) -> None:
    user = ctx.session.user
    assert user is not None
    if casefold(target) != casefold(user.nick):
        if ctx.chat.registry.find(target) is None:
            raise IrcError(N.ERR_NOSUCHNICK, target, "No such nick/channel")
        raise IrcError(N.ERR_USERSDONTMATCH, "Cannot change mode for other users")
    if not change:
        ctx.reply(N.RPL_UMODEIS, "+" + user.modes)
        return
    modes, adding, applied = set(user.modes), True, ""
    for char in change:
        if char in "+-":
            adding = char == "+"
            applied += char
        elif char == "o" and adding:
            continue  # RFC 2812 3.1.5: making oneself an operator is ignored (OPER does that)
        elif char in replies.USER_MODES:
            (modes.add if adding else modes.discard)(char)
            applied += char
        else:
            ctx.reply(N.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag")
    if "o" not in modes:
        ctx.session.oper = None
    if ("w" in modes) != ("w" in user.modes):  # +w: hear WALLOPS
        (ctx.chat.bus.join if "w" in modes else ctx.chat.bus.part)(user.uid, WALLOPS)
    new_modes = "".join(sorted(modes))
    if new_modes != user.modes:
        user.modes = new_modes
        ctx.chat.registry.changed(user)  # other nodes' WHO and WHOIS see it too
    if applied.strip("+-"):
        ctx.outbox.send(ctx.session, Message("MODE", (user.nick, applied), user.prefix))
