"""Where a ``next`` parameter may send the browser: a path on this site only (no open redirect)."""

from __future__ import annotations

from urllib.parse import urlsplit


def local_path(target: str | None, default: str) -> str:
    """``target`` when it is a same-site relative path ("/…"), else ``default``.

    Refused: absolute and scheme-relative URLs (``https://x``, ``//x``), backslashes (browsers
    read ``/\\x`` as ``//x``), control characters and whitespace (``/\\t/x``), and anything
    with a scheme or host once parsed."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
