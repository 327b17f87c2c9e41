"""Settings refuse what the emulator cannot use, and say so in one line naming the option and its variable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from emulator.settings import Settings, setting_label, settings_problem


def problem(**values: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        Settings(**values)
    return settings_problem(caught.value)


def test_a_setting_is_named_as_an_option_and_a_variable_from_its_field_name_alone() -> None:
    assert setting_label("port") == "--port (EMULATOR_PORT)"
    # A setting added later is named the same way, with no code of its own.
    assert setting_label("cache_dir") == "--cache-dir (EMULATOR_CACHE_DIR)"


def test_a_range_error_names_the_option_and_the_variable_not_the_field() -> None:
    assert problem(port=70000) == "--port (EMULATOR_PORT): Input should be less than or equal to 65535"


def test_several_problems_are_still_one_line() -> None:
    text = problem(port="x", seed=-1, issuer="a\nb")
    assert "\n" not in text
    assert text.startswith("--port (EMULATOR_PORT): ")
    assert "; --seed (EMULATOR_SEED): " in text
    assert "; --issuer (EMULATOR_ISSUER): " in text


def test_a_secret_value_is_never_repeated() -> None:
    assert " padded " not in problem(admin_token=" padded ")
    assert "key-one" not in problem(subscription_keys="key-one", port="x")


@pytest.mark.parametrize("pattern", ["foo", "Poisson", ""], ids=repr)
def test_an_unknown_live_pattern_is_refused_with_or_without_a_live_rate(pattern: str) -> None:
    for rate in (0, 5):
        assert problem(live_pattern=pattern, live_rate=rate).startswith("--live-pattern (EMULATOR_LIVE_PATTERN): ")


@pytest.mark.parametrize(
    "issuer",
    [
        "not-a-url",
        "/maskinporten/",
        "ftp://emulator/",
        "http:///maskinporten/",
        "http://emulator:99999/",
        "http://e/?a=1",
    ],
    ids=repr,
)
def test_an_issuer_that_is_not_an_http_url_is_refused(issuer: str) -> None:
    assert problem(issuer=issuer).startswith("--issuer (EMULATOR_ISSUER): ")


def test_an_issuer_gets_its_trailing_slash() -> None:
    settings = Settings(issuer="http://emulator:8080/maskinporten")
    assert settings.issuer == settings.issuer_url == "http://emulator:8080/maskinporten/"


@pytest.mark.parametrize("keys", ["", ",", " , ,", "   "], ids=repr)
def test_subscription_keys_must_name_at_least_one_key(keys: str) -> None:
    assert problem(subscription_keys=keys).startswith("--subscription-keys (EMULATOR_SUBSCRIPTION_KEYS): ")


def test_subscription_keys_are_read_in_order_each_once() -> None:
    assert Settings(subscription_keys=" b, a,,b ").accepted_subscription_keys == ("b", "a")


@pytest.mark.parametrize("token", ["", "   ", " padded", "padded\t"], ids=repr)
def test_an_admin_token_that_could_never_be_presented_is_refused(token: str) -> None:
    assert problem(admin_token=token).startswith("--admin-token (EMULATOR_ADMIN_TOKEN): ")


@pytest.mark.parametrize("name", ["data_dir", "clients_file", "signing_key_file", "fixture", "host", "issuer"])
def test_an_empty_value_is_refused_rather_than_read_as_the_current_directory(name: str) -> None:
    assert problem(**{name: ""}) == f"{setting_label(name)}: is empty; leave the setting out to get its default"


def test_an_empty_data_dir_variable_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EMULATOR_DATA_DIR", "")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert settings_problem(caught.value).startswith("--data-dir (EMULATOR_DATA_DIR): is empty")
    assert list(tmp_path.iterdir()) == []


def test_settings_whose_default_is_empty_take_an_empty_value() -> None:
    settings = Settings(rate_limit="", trusted_issuers="")
    assert (settings.rate_limit, settings.trusted_issuers) == ("", "")


def test_a_variable_pydantic_settings_cannot_parse_is_named_too() -> None:
    error = SettingsError('error parsing value for field "trust_anchors" from source "EnvSettingsSource"')
    error.__cause__ = ValueError("Expecting value: line 1 column 1 (char 0)")
    assert settings_problem(error) == (
        "--trust-anchors (EMULATOR_TRUST_ANCHORS): not valid JSON (Expecting value: line 1 column 1 (char 0))"
    )
