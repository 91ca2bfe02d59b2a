"""Channel settings and checks: the SMTP URL, webhook targets, signatures."""

from __future__ import annotations

import pytest

from app.notifications.channels import (
    DeliveryFailed,
    TargetRefused,
    check_target,
    parse_smtp_url,
    sign,
    verify,
)


class TestSmtpUrl:
    @pytest.mark.parametrize(("url", "expected"), [
        ("smtp://mail.example.org:2525", {"host": "mail.example.org", "port": 2525,
                                          "tls": False, "starttls": False, "user": None}),
        ("smtp://bot%40example.org:p%40ss@mail.example.org:587?starttls=1",
         {"host": "mail.example.org", "port": 587, "starttls": True,
          "user": "bot@example.org", "password": "p@ss"}),
        ("smtps://mail.example.org", {"port": 465, "tls": True}),
        ("smtp://mail.example.org", {"port": 25}),
    ])
    def test_the_url_names_host_port_tls_and_login(self, url: str,
                                                   expected: dict[str, object]) -> None:
        parsed = parse_smtp_url(url)

        assert {k: parsed[k] for k in expected} == expected

    @pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "mail.example.org"])
    def test_anything_else_is_refused_with_the_setting_named(self, url: str) -> None:
        with pytest.raises(DeliveryFailed, match="GOVLEDGER_SMTP_URL"):
            parse_smtp_url(url)


class TestWebhookTargets:
    @pytest.mark.parametrize("url", ["http://127.0.0.1/x", "http://10.0.0.8/x",
                                     "http://192.168.1.1/x", "http://[::1]/x",
                                     "http://169.254.169.254/x", "http://0.0.0.0/x"])
    def test_private_and_loopback_addresses_are_refused(self, url: str) -> None:
        with pytest.raises(TargetRefused, match="GOVLEDGER_WEBHOOK_ALLOW_PRIVATE"):
            check_target(url, allow_private=False)

    def test_they_are_allowed_when_the_setting_says_so(self) -> None:
        check_target("http://127.0.0.1:8080/x", allow_private=True)

    @pytest.mark.parametrize("url", ["ftp://example.org/x", "file:///etc/passwd", "http:///x"])
    def test_only_http_urls_with_a_host_are_targets(self, url: str) -> None:
        with pytest.raises(TargetRefused, match="http"):
            check_target(url, allow_private=True)

    def test_a_public_address_is_a_target(self) -> None:
        check_target("https://93.184.215.14/hook", allow_private=False)


def test_the_signature_is_an_hmac_sha256_of_the_body() -> None:
    body = b'{"event":"incident.opened"}'

    signature = sign("s3cret-s3cret-s3cret", body)

    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify("s3cret-s3cret-s3cret", body, signature)
    assert not verify("another-secret-value", body, signature)
    assert not verify("s3cret-s3cret-s3cret", body + b" ", signature)
