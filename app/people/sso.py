"""Single sign-on with OpenID Connect: its settings, and how a signed-in identity becomes a person.

Settings (the app config or the environment; SSO is on when the issuer and client id are set):

- ``GOVLEDGER_OIDC_ISSUER``: the provider's issuer URL (its ``/.well-known/openid-configuration``
  is read on the first sign-in);
- ``GOVLEDGER_OIDC_CLIENT_ID`` and ``GOVLEDGER_OIDC_CLIENT_SECRET``: this service's client;
- ``GOVLEDGER_OIDC_NAME``: the provider's name on the sign-in button (default: the issuer's host);
- ``GOVLEDGER_OIDC_SCOPES``: default ``openid email profile``;
- ``GOVLEDGER_OIDC_DEFAULT_ROLE``: the role of people provisioned at first sign-in (``member``);
- ``GOVLEDGER_OIDC_FUNCTION``: their function (``engineering``; an admin can change it later);
- ``GOVLEDGER_OIDC_GROUPS_CLAIM`` (``groups``) and ``GOVLEDGER_OIDC_ROLE_MAP``
  (``group=role,group=role``; the first listed group the person is in wins): a mapped group sets
  the person's role at every sign-in (a ``RoleChanged`` event when it differs);
- ``GOVLEDGER_PASSWORD_SIGN_IN``: ``off`` turns local password sign-in off (tokens still work).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app.config import ConfigError
from domain.people.person import FUNCTIONS, ROLES

OFF = ("0", "false", "no", "off")


@dataclass(frozen=True)
class OidcSettings:
    """How this service signs people in through an OpenID Connect provider."""

    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""
    name: str = ""
    scopes: str = "openid email profile"
    default_role: str = "member"
    function: str = "engineering"
    groups_claim: str = "groups"
    role_map: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    password_sign_in: bool = True

    @property
    def enabled(self) -> bool:
        """Whether single sign-on is configured."""
        return bool(self.issuer and self.client_id)

    @property
    def metadata_url(self) -> str:
        """The provider's discovery document."""
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def role_for(self, groups: Any) -> str | None:
        """The role the person's groups map to (None when no mapped group is listed)."""
        if isinstance(groups, str):
            groups = [groups]
        if not isinstance(groups, list):
            return None
        held = {str(g) for g in groups}
        return next((role for group, role in self.role_map if group in held), None)


def oidc_settings(config: Mapping[str, Any], environ: Mapping[str, str] | None = None,
                  ) -> OidcSettings:
    """Read the settings from ``config`` (first) and the environment; a bad one is a
    ConfigError naming it."""
    env = os.environ if environ is None else environ

    def get(name: str, default: str = "") -> str:
        value = config.get(f"GOVLEDGER_{name}")
        if value is None:
            value = env.get(f"GOVLEDGER_{name}", default)
        return str(value).strip() if value is not None else default

    issuer = get("OIDC_ISSUER")
    if issuer and urlsplit(issuer).scheme not in ("http", "https"):
        raise ConfigError(f"GOVLEDGER_OIDC_ISSUER must be an http(s) URL, not {issuer!r}")
    default_role = get("OIDC_DEFAULT_ROLE", "member")
    if default_role not in ROLES:
        raise ConfigError(f"GOVLEDGER_OIDC_DEFAULT_ROLE must be one of {', '.join(ROLES)}, "
                          f"not {default_role!r}")
    function = get("OIDC_FUNCTION", "engineering")
    if function not in FUNCTIONS:
        raise ConfigError(f"GOVLEDGER_OIDC_FUNCTION must be one of {', '.join(FUNCTIONS)}, "
                          f"not {function!r}")
    role_map = []
    for pair in filter(None, (p.strip() for p in get("OIDC_ROLE_MAP").split(","))):
        group, sep, role = pair.rpartition("=")
        if not sep or not group.strip() or role.strip() not in ROLES:
            raise ConfigError(f"GOVLEDGER_OIDC_ROLE_MAP: {pair!r} is not group=role with a role "
                              f"among {', '.join(ROLES)}")
        role_map.append((group.strip(), role.strip()))
    password = get("PASSWORD_SIGN_IN", "on").lower() not in OFF
    return OidcSettings(
        issuer=issuer, client_id=get("OIDC_CLIENT_ID"), client_secret=get("OIDC_CLIENT_SECRET"),
        name=get("OIDC_NAME") or urlsplit(issuer).hostname or "", scopes=get(
            "OIDC_SCOPES", "openid email profile"), default_role=default_role, function=function,
        groups_claim=get("OIDC_GROUPS_CLAIM", "groups"), role_map=tuple(role_map),
        password_sign_in=password)
