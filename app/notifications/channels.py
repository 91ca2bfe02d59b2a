"""Delivery channels: email over SMTP and signed webhook POSTs. Each ``send`` either returns a
short description of the success or raises ``DeliveryFailed`` with the reason (retried)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

if TYPE_CHECKING:
    from datetime import datetime

TIMEOUT = 10.0
"""Seconds a single SMTP conversation or webhook POST may take."""
SIGNATURE_HEADER = "X-Govledger-Signature"
TIMESTAMP_HEADER = "X-Govledger-Timestamp"
DELIVERY_HEADER = "X-Govledger-Delivery"
EVENT_HEADER = "X-Govledger-Event"


class DeliveryFailed(Exception):
    """Raised when a channel could not deliver (the worker records it and retries)."""


class TargetRefused(ValueError):
    """Raised when a webhook URL is not acceptable (scheme, or a private address)."""


# -- email ---------------------------------------------------------------------------------------

def parse_smtp_url(url: str) -> dict[str, Any]:
    """``smtp://[user:password@]host[:port][?starttls=1]`` or ``smtps://…`` as settings."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise DeliveryFailed(f"GOVLEDGER_SMTP_URL must be smtp://host:port or smtps://host:port, "
                             f"not {url!r}")
    query = parse_qs(parts.query)
    return {"host": parts.hostname, "port": parts.port or (465 if parts.scheme == "smtps" else 25),
            "tls": parts.scheme == "smtps",
            "starttls": query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes", "on"),
            "user": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None}


def build_email(notification_id: str, sender: str, to: str, content: dict[str, Any],
                at: datetime) -> EmailMessage:
    """The message: plain text and HTML alternatives, with a Message-ID derived from the
    notification (so a receiver can recognise a copy re-sent after a worker crash)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = content["subject"]
    message["Date"] = formatdate(at.timestamp(), usegmt=True)
    message["Message-ID"] = f"<{notification_id}@govledger>"
    message["X-Govledger-Kind"] = content.get("kind", "")
    message.set_content(content["text"])
    message.add_alternative(content["html"], subtype="html")
    return message


class EmailChannel:
    """Sends one message per notification to the SMTP server of ``GOVLEDGER_SMTP_URL``."""

    def __init__(self, smtp_url: str, mail_from: str) -> None:
        self.smtp_url = smtp_url
        self.mail_from = mail_from or "govledger@localhost"

    def send(self, notification_id: str, address: str, content: dict[str, Any],
             at: datetime) -> str:
        """Deliver, or raise DeliveryFailed."""
        if not self.smtp_url:
            raise DeliveryFailed("no SMTP server configured (GOVLEDGER_SMTP_URL)")
        cfg = parse_smtp_url(self.smtp_url)
        message = build_email(notification_id, self.mail_from, address, content, at)
        try:
            smtp_class = smtplib.SMTP_SSL if cfg["tls"] else smtplib.SMTP
            with smtp_class(cfg["host"], cfg["port"], timeout=TIMEOUT) as smtp:
                if cfg["starttls"]:
                    smtp.starttls(context=ssl.create_default_context())
                if cfg["user"]:
                    smtp.login(cfg["user"], cfg["password"] or "")
                refused = smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP {cfg['host']}:{cfg['port']}: "
                                 f"{type(exc).__name__}: {exc}") from exc
        if refused:
            raise DeliveryFailed(f"SMTP refused {', '.join(refused)}")
        return f"accepted by {cfg['host']}:{cfg['port']}"


# -- webhooks ------------------------------------------------------------------------------------

def sign(secret: str, body: bytes) -> str:
    """The signature header value: ``sha256=<hex HMAC-SHA256 of the body with the secret>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is the one ``secret`` gives ``body`` (receivers do this)."""
    return hmac.compare_digest(sign(secret, body), signature)


def check_target(url: str, allow_private: bool) -> None:
    """Refuse anything but http(s) URLs, and — unless allowed — hosts that resolve to private,
    loopback, link-local or otherwise non-public addresses (server-side request forgery)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("the URL must be http:// or https:// with a host")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise TargetRefused(f"the host {parts.hostname} does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise TargetRefused(f"the host {parts.hostname} resolves to a private or loopback "
                                f"address ({address}); set GOVLEDGER_WEBHOOK_ALLOW_PRIVATE=1 to "
                                "allow it")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer (3xx, a failure), never followed


_opener = urllib.request.build_opener(_NoRedirects)


class WebhookChannel:
    """POSTs the JSON body, signed with the webhook's secret, to its URL."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def send(self, notification_id: str, url: str, body: dict[str, Any], secret: str,
             at: datetime, event_name: str) -> str:
        """Deliver, or raise DeliveryFailed (a non-2xx answer is a failure)."""
        try:
            check_target(url, self.allow_private)  # again: DNS may have changed since
        except TargetRefused as exc:
            raise DeliveryFailed(str(exc)) from None
        data = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "govledger-webhooks/1",
            SIGNATURE_HEADER: sign(secret, data), TIMESTAMP_HEADER: str(int(at.timestamp())),
            DELIVERY_HEADER: notification_id, EVENT_HEADER: event_name})
        try:
            with _opener.open(request, timeout=TIMEOUT) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise DeliveryFailed(f"HTTP {exc.code} from {urlsplit(url).netloc}") from None
        except (OSError, ValueError) as exc:
            raise DeliveryFailed(f"{urlsplit(url).netloc}: {type(exc).__name__}: {exc}") from exc
        if not 200 <= status < 300:
            raise DeliveryFailed(f"HTTP {status} from {urlsplit(url).netloc}")
        return f"HTTP {status}"
