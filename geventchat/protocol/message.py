"""One IRC line as a Message: parse bytes in, format bytes out.

Text is UTF-8; a line that is not valid UTF-8 is read as Latin-1 rather than
rejected, so no byte sequence can make parsing fail except a line with no
command. Formatting never emits CR, LF or NUL inside a parameter and never
writes more than 512 bytes, CRLF included.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_LINE = 512
"""Protocol fact (RFC 1459 2.3): a line is at most 512 bytes with its CRLF."""

MAX_TAGS_CLIENT = 4094
"""IRCv3 message-tags: "Clients MUST NOT send messages with tag data exceeding 4094 bytes"
(the tag data without its leading '@' and trailing space; the rest of the line still has its 512)."""

MAX_TAGS_SERVER = 8191
"""IRCv3 message-tags: the size limit for a tag section a server sends is 8191 bytes,
"including the leading '@' (0x40) and trailing space ' ' (0x20) characters"."""

MAX_INPUT = MAX_TAGS_CLIENT + 2 + MAX_LINE
"""The longest line a client may send: a full tag section, then a full 512-byte line."""

MAX_PARAMS = 15
"""RFC 2812 2.3.1: after 14 middle parameters the rest of the line is the 15th."""

_UNSAFE = str.maketrans({"\r": " ", "\n": " ", "\0": " "})

_TEXT_AT = {"PRIVMSG": 1, "NOTICE": 1, "QUIT": 0, "ERROR": 0, "PART": 1, "PONG": 1, "KILL": 1, "TOPIC": 1,
            "AWAY": 0, "KICK": 2, "SETNAME": 0, "WALLOPS": 0, "REDACT": 2}
"""Where a verb's free text sits: written with a `:` whenever it is there, as most servers do
(`PART #a :bye`, but `PART #a`). CAP's last parameter, a list, always has one."""


class ParseError(ValueError):
    """The line is not an IRC message (no command)."""


@dataclass(frozen=True, slots=True)
class Message:
    command: str
    params: tuple[str, ...] = ()
    prefix: str | None = None
    tags: dict[str, str] | None = None  # unescaped values; "" for a tag with no value

    def param(self, index: int, default: str = "") -> str:
        return self.params[index] if index < len(self.params) else default

    def tag(self, key: str) -> str | None:
        return self.tags.get(key) if self.tags else None


_ESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
_ESCAPE = str.maketrans({";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n", "\0": ""})


def unescape_tag(value: str) -> str:
    """A tag value as sent (`\\:` `\\s` `\\\\` `\\r` `\\n`) -> its text; a stray backslash is dropped."""
    if "\\" not in value:
        return value
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append(_ESCAPES.get(following, following))
        else:
            out.append(char)
    return "".join(out)


def escape_tag(value: str) -> str:
    return value.translate(_ESCAPE)


def parse_tags(section: str) -> dict[str, str]:
    """`a=1;+b;c=x\\sy` -> {"a": "1", "+b": "", "c": "x y"}; a later duplicate key wins."""
    tags: dict[str, str] = {}
    for item in section.split(";"):
        key, _, value = item.partition("=")
        if key:
            tags[key] = unescape_tag(value)
    return tags


def format_tags(tags: dict[str, str]) -> bytes:
    """The tag section with its `@` and trailing space; b"" for no tags."""
    if not tags:
        return b""
    items = [f"{key}={escape_tag(value)}" if value else key for key, value in tags.items()]
    return ("@" + ";".join(items) + " ").encode("utf-8", "replace")


def decode(raw: bytes) -> str:
    """UTF-8 if it is, else Latin-1: every byte string decodes."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse(raw: bytes | str) -> Message:
    """Parse one line (without its line ending) into a Message.

    Message tags (`@a=b;c`) are kept, unescaped; the command is upper-cased; a
    `:` starts the trailing parameter, which may hold spaces and colons.
    """
    line = decode(raw) if isinstance(raw, (bytes, bytearray)) else raw
    line = line.strip("\r\n\0").lstrip(" ")  # trailing spaces belong to the last parameter
    tags = None
    if line.startswith("@"):
        section, _, line = line.partition(" ")
        tags = parse_tags(section[1:]) or None
        line = line.lstrip(" ")
    prefix = None
    if line.startswith(":"):
        prefix, _, line = line.partition(" ")
        prefix = prefix[1:]
        line = line.lstrip(" ")
    command, _, rest = line.partition(" ")
    if not command or command.startswith(":"):
        raise ParseError("no command")
    params: list[str] = []
    while rest:
        rest = rest.lstrip(" ")
        if not rest:
            break
        if rest[0] == ":":
            params.append(rest[1:])
            break
        if len(params) == MAX_PARAMS - 1:
            params.append(rest)
            break
        word, _, rest = rest.partition(" ")
        params.append(word)
    return Message(command.upper(), tuple(params), prefix or None, tags)


def clean(text: str) -> str:
    """Replace CR, LF and NUL so a parameter can never end or forge a line.

    Runs on every parameter formatted; three scans in C are much cheaper than
    translate() with a dict, and almost no text holds these characters.
    """
    if "\r" in text or "\n" in text or "\0" in text:
        return text.translate(_UNSAFE)
    return text


def truncate_utf8(data: bytes, limit: int) -> bytes:
    """Cut `data` to at most `limit` bytes without splitting a UTF-8 character."""
    if len(data) <= limit:
        return data
    cut = limit
    while cut > 0 and (data[cut] & 0xC0) == 0x80:
        cut -= 1
    return data[:cut]


def format_line(command: str, *params: str, prefix: str | None = None, tags: dict[str, str] | None = None) -> bytes:
    """Serialise a message to wire bytes with CRLF: at most 512 bytes after the tag section.

    The last parameter gets a `:` when it needs one (empty, has a space, starts
    with `:`). Middle parameters cannot hold spaces: any space in them is
    replaced, since a middle parameter with a space would shift the others, and
    its leading colons are dropped (an empty middle is written `*`).
    """
    parts = [f":{clean(prefix)} {command}" if prefix else command]
    if params:
        for middle in params[:-1]:
            # A middle may not be empty or start with ':' (it would swallow the rest).
            parts.append(clean(middle).replace(" ", "_").lstrip(":") or "*")
        last = clean(params[-1])
        numeric_text = len(params) > 1 and command.isdigit() and command != "004"
        if (not last or " " in last or last[0] == ":" or numeric_text or command == "CAP"
                or _TEXT_AT.get(command) == len(params) - 1):
            last = ":" + last
        parts.append(last)
    data = " ".join(parts).encode("utf-8", "replace")
    if len(data) > MAX_LINE - 2:
        # rstrip: a cut just after a separating space would leave an empty parameter.
        data = truncate_utf8(data, MAX_LINE - 2).rstrip(b" ")
    if tags:
        return format_tags(tags) + data + b"\r\n"
    return data + b"\r\n"


def format(msg: Message) -> bytes:  # noqa: A001 - mirrors parse()
    """Serialise a Message (see format_line)."""
    return format_line(msg.command, *msg.params, prefix=msg.prefix, tags=msg.tags)
