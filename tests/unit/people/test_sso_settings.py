"""Single sign-on settings: read from the app config or the environment; a bad one is refused
with a message naming it; groups map to roles, first listed group first."""

from __future__ import annotations

import pytest

from app.config import ConfigError
from app.people.sso import oidc_settings


def test_sso_is_off_until_issuer_and_client_are_set() -> None:
    assert not oidc_settings({}, {}).enabled
    on = oidc_settings({}, {"GOVLEDGER_OIDC_ISSUER": "https://id.example.org/",
                            "GOVLEDGER_OIDC_CLIENT_ID": "ledger"})
    assert on.enabled and on.name == "id.example.org"
    assert on.metadata_url == "https://id.example.org/.well-known/openid-configuration"
    assert on.default_role == "member" and on.password_sign_in


def test_the_app_config_wins_over_the_environment() -> None:
    settings = oidc_settings({"GOVLEDGER_OIDC_NAME": "Okta"}, {"GOVLEDGER_OIDC_NAME": "Other"})
    assert settings.name == "Okta"


def test_groups_map_to_roles_in_the_order_listed() -> None:
    settings = oidc_settings({"GOVLEDGER_OIDC_ROLE_MAP": "gov-admins=admin, audit=auditor"}, {})
    assert settings.role_for(["audit", "gov-admins"]) == "admin"
    assert settings.role_for(["audit"]) == "auditor"
    assert settings.role_for("audit") == "auditor"
    assert settings.role_for(["staff"]) is None and settings.role_for(None) is None


@pytest.mark.parametrize(("name", "value"), [
    ("GOVLEDGER_OIDC_ROLE_MAP", "gov-admins=king"), ("GOVLEDGER_OIDC_ROLE_MAP", "admins"),
    ("GOVLEDGER_OIDC_DEFAULT_ROLE", "owner"), ("GOVLEDGER_OIDC_FUNCTION", "sales"),
    ("GOVLEDGER_OIDC_ISSUER", "ftp://id.example.org")])
def test_a_bad_setting_is_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        oidc_settings({name: value}, {})


@pytest.mark.parametrize("value", ["off", "0", "false", "no", "OFF"])
def test_password_sign_in_can_be_turned_off(value: str) -> None:
    assert not oidc_settings({}, {"GOVLEDGER_PASSWORD_SIGN_IN": value}).password_sign_in
