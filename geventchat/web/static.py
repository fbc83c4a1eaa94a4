"""The chat page's files, read once at start and served from memory.

The page is plain HTML, CSS and JavaScript in this package (web/static/),
with no build step. Every answer says what it is (Content-Type, nosniff) and
forbids what the page never does (a Content-Security-Policy that loads
nothing from other hosts and runs no inline script), so that even a bug in
the page could not turn a user's text into markup that runs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

TYPES = {
    ".html": b"text/html; charset=utf-8",
    ".css": b"text/css; charset=utf-8",
    ".js": b"text/javascript; charset=utf-8",
    ".svg": b"image/svg+xml",
    ".ico": b"image/x-icon",
    ".png": b"image/png",
    ".webmanifest": b"application/manifest+json",
}

SECURITY_HEADERS = (
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                 b"connect-src 'self'; manifest-src 'self'; base-uri 'none'; "
                                 b"form-action 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: bytes
    etag: bytes


class StaticFiles:
    """Path -> file; `/` is index.html. Only files that exist at start are served: no path is ever joined."""

    def __init__(self, files: dict[str, Asset]) -> None:
        self.files = files

    @classmethod
    def packaged(cls) -> StaticFiles:
        folder = resources.files("geventchat.web") / "static"
        files: dict[str, Asset] = {}
        for entry in folder.iterdir():
            suffix = "." + entry.name.rpartition(".")[2]
            if entry.is_file() and suffix in TYPES:
                body = entry.read_bytes()
                etag = b'"' + hashlib.sha256(body).hexdigest()[:16].encode() + b'"'
                files["/" + entry.name] = Asset(body, TYPES[suffix], etag)
        if "/index.html" in files:
            files["/"] = files["/index.html"]
        return cls(files)

    def get(self, target: bytes) -> Asset | None:
        """The file for a request target (its query string ignored)."""
        path = target.split(b"?", 1)[0].split(b"#", 1)[0].decode("latin-1")
        return self.files.get(path)

    @property
    def total_size(self) -> int:
        """Bytes of every file of the page (index.html once)."""
        return sum(len(asset.body) for path, asset in self.files.items() if path != "/")
