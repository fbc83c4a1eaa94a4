"""What real terminals send for each special key, by TERM.

Taken from the terminfo entries (`infocmp -1 -x TERM`) and from what the
terminals send outside keypad-transmit mode (the client never turns it on),
with xterm's modifier forms (`ESC [1;5D` is Ctrl-Left), which tmux and
screen pass through. A key may have several forms; each is listed.
"""

from __future__ import annotations

XTERM_MODIFIED = [
    ("ctrl+left", b"\x1b[1;5D"), ("ctrl+right", b"\x1b[1;5C"), ("alt+left", b"\x1b[1;3D"),
    ("alt+right", b"\x1b[1;3C"), ("shift+left", b"\x1b[1;2D"), ("shift+right", b"\x1b[1;2C"),
    ("ctrl+up", b"\x1b[1;5A"), ("shift+home", b"\x1b[1;2H"), ("shift+end", b"\x1b[1;2F"),
    ("ctrl+home", b"\x1b[1;5H"), ("ctrl+end", b"\x1b[1;5F"), ("ctrl+delete", b"\x1b[3;5~"),
    ("shift+delete", b"\x1b[3;2~"), ("shift+insert", b"\x1b[2;2~"), ("shift+pageup", b"\x1b[5;2~"),
    ("ctrl+pagedown", b"\x1b[6;5~"), ("shift+f1", b"\x1b[1;2P"), ("ctrl+f5", b"\x1b[15;5~"),
    ("alt+f12", b"\x1b[24;3~"), ("shift+tab", b"\x1b[Z"),
]
ALT = [("alt+b", b"\x1bb"), ("alt+f", b"\x1bf"), ("alt+d", b"\x1bd"), ("alt+backspace", b"\x1b\x7f")]
ARROWS_BOTH = [
    ("up", b"\x1b[A"), ("down", b"\x1b[B"), ("right", b"\x1b[C"), ("left", b"\x1b[D"),
    ("up", b"\x1bOA"), ("down", b"\x1bOB"), ("right", b"\x1bOC"), ("left", b"\x1bOD"),
]
VT220_EDITING = [
    ("insert", b"\x1b[2~"), ("delete", b"\x1b[3~"), ("pageup", b"\x1b[5~"), ("pagedown", b"\x1b[6~"),
]
F5_F12 = [(f"f{n}", f"\x1b[{code}~".encode()) for n, code in
          zip(range(5, 13), (15, 17, 18, 19, 20, 21, 23, 24))]
SS3_F1_F4 = [("f1", b"\x1bOP"), ("f2", b"\x1bOQ"), ("f3", b"\x1bOR"), ("f4", b"\x1bOS")]

SEQUENCES: dict[str, list[tuple[str, bytes]]] = {
    "xterm-256color": [
        *ARROWS_BOTH, ("home", b"\x1b[H"), ("end", b"\x1b[F"), ("home", b"\x1bOH"), ("end", b"\x1bOF"),
        *VT220_EDITING, *SS3_F1_F4, *F5_F12, *XTERM_MODIFIED, *ALT,
        ("backspace", b"\x7f"),
    ],
    "screen-256color": [
        *ARROWS_BOTH, ("home", b"\x1b[1~"), ("end", b"\x1b[4~"), *VT220_EDITING, *SS3_F1_F4, *F5_F12,
        *XTERM_MODIFIED, *ALT, ("alt+left", b"\x1b\x1b[D"), ("backspace", b"\x7f"),
    ],
    "tmux-256color": [
        *ARROWS_BOTH, ("home", b"\x1b[1~"), ("end", b"\x1b[4~"), *VT220_EDITING, *SS3_F1_F4, *F5_F12,
        *XTERM_MODIFIED, *ALT, ("alt+right", b"\x1b\x1b[C"), ("backspace", b"\x7f"),
    ],
    "linux": [
        *ARROWS_BOTH, ("home", b"\x1b[1~"), ("end", b"\x1b[4~"), *VT220_EDITING,
        ("f1", b"\x1b[[A"), ("f2", b"\x1b[[B"), ("f3", b"\x1b[[C"), ("f4", b"\x1b[[D"), ("f5", b"\x1b[[E"),
        *F5_F12[1:], ("shift+tab", b"\x1b[Z"), *ALT, ("backspace", b"\x7f"),
    ],
    "vt100": [
        *ARROWS_BOTH, *SS3_F1_F4, ("backspace", b"\x08"), ("backspace", b"\x7f"),
        # Terminal programs that call themselves vt100 still send their own editing keys:
        ("home", b"\x1b[1~"), ("end", b"\x1b[4~"), ("home", b"\x1b[H"), ("end", b"\x1b[F"),
        *VT220_EDITING, ("ctrl+left", b"\x1b[1;5D"), ("ctrl+right", b"\x1b[1;5C"), *ALT,
    ],
}

UNKNOWN = [b"\x1b[99~", b"\x1b[5;5;5~", b"\x1b[?1;2c", b"\x1b[I", b"\x1b[O", b"\x1bO5z", b"\x1b[12;34;56H"]
"""Sequences no key table names (terminal replies, focus events, nonsense): all must vanish."""
