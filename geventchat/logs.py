"""Logging to stderr: text lines for people, or one JSON object a line for log shippers.

Both formats carry the same events. A chat event (connect, register, nick,
quit) passes its parts as `extra` fields (event, uid, nick, detail), which
the JSON form keeps as keys of their own, so a shipper need not parse the
message. configure() runs at start and again on reload (level and format
may change while the server runs).
"""

from __future__ import annotations

import json
import logging
import sys
import time

TEXT_FORMAT = "%(asctime)s %(levelname)s %(message)s"
EVENT_FIELDS = ("event", "uid", "nick", "ip", "detail")


class JsonFormatter(logging.Formatter):
    """`{"time": ..., "level": ..., "message": ..., "event": ...}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        millis = int(record.created * 1000)
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis // 1000)) + f".{millis % 1000:03d}Z",
            "level": record.levelname,
            "message": record.getMessage(),
        }
        for key in EVENT_FIELDS:
            value = record.__dict__.get(key)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str, log_format: str) -> None:
    """Log at `level` to stderr in `log_format` ("text" or "json"); safe to call again."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "geventchat", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.geventchat = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root.setLevel(level)
