"""Settings that name files or hold text: what they load, and a one-line error naming the setting when they cannot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator import configuration
from emulator.clock import ControlledClock
from emulator.configuration import SettingsError
from emulator.settings import Settings, setting_label


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    a_list = tmp_path / "list.json"
    a_list.write_text("[1, 2, 3]", encoding="utf-8")
    nameless = tmp_path / "nameless.json"
    nameless.write_text(json.dumps({"clients": [{"scopes": ["a"]}]}), encoding="utf-8")
    not_a_key = tmp_path / "not-a-key.pem"
    not_a_key.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", encoding="utf-8")
    return {
        "broken": broken,
        "list": a_list,
        "nameless": nameless,
        "not_a_key": not_a_key,
        "missing": tmp_path / "missing.json",
        "dir": tmp_path,
    }


@pytest.mark.parametrize(
    ("setting", "value", "load", "reason"),
    [
        ("signing_key_file", "missing", configuration.signing_key, "No such file"),
        ("signing_key_file", "not_a_key", configuration.signing_key, "deserialize|PEM"),
        ("clients_file", "missing", configuration.clients, "No such file"),
        ("clients_file", "broken", configuration.clients, "not valid JSON"),
        ("trust_anchors", "missing", configuration.trust_anchors, "No such file"),
        ("trust_anchors", "broken", configuration.trust_anchors, "PEM|certificate"),
        ("clients_file", "list", configuration.clients, 'clients must be {"clients": '),
        ("clients_file", "nameless", configuration.clients, "every client needs a client_id"),
        ("fixture", "broken", configuration.seeded_log, "not JSON"),
        ("fixture", "missing", configuration.seeded_log, "not a preset"),
        (
            "data_dir",
            "broken",
            lambda settings: configuration.store(settings, "identity"),
            "File exists|Not a directory",
        ),
    ],
    ids=[
        "key-missing",
        "key-not-a-key",
        "clients-missing",
        "clients-not-json",
        "anchors-missing",
        "anchors-not-pem",
        "clients-a-list",
        "clients-without-id",
        "fixture-not-json",
        "fixture-missing",
        "data-dir-a-file",
    ],
)
def test_an_unusable_file_is_a_settings_error_naming_the_setting(
    files: dict[str, Path], setting: str, value: str, load: object, reason: str
) -> None:
    overrides: dict[str, Any] = {setting: str(files[value]) if setting == "fixture" else files[value]}
    settings = Settings(events=10, **overrides)
    option = "--" + setting.replace("_", "-")
    with pytest.raises(SettingsError, match=rf"^{option} \(EMULATOR_{setting.upper()}\): .*({reason})"):
        load(settings)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[{", "not valid JSON"),
        ('{"issuer": "x"}', "JSON list"),
        ('[{"issuer": "http://mock/", "jwks": "/no/such/jwks.json"}]', "No such file"),
        ('[{"issuer": "http://mock/", "jwks": "{list}"}]', "list.json is not a JWK set"),
    ],
    ids=["not-json", "not-a-list", "jwks-file-missing", "jwks-file-a-list"],
)
def test_unusable_trusted_issuers_are_a_settings_error(files: dict[str, Path], text: str, reason: str) -> None:
    settings = Settings(trusted_issuers=text.replace("{list}", str(files["list"])))
    with pytest.raises(SettingsError, match=rf"^--trusted-issuers \(EMULATOR_TRUSTED_ISSUERS\): .*{reason}"):
        configuration.trusted_issuers(settings)


@pytest.mark.parametrize("text", ["abc", "/60", "0/60", "10/0", "1.5/60", "10/minute"], ids=str)
def test_a_rate_limit_that_is_not_calls_per_seconds_is_a_settings_error(text: str) -> None:
    with pytest.raises(SettingsError, match=r"^--rate-limit \(EMULATOR_RATE_LIMIT\): must look like CALLS/SECONDS"):
        configuration.rate_limiter(Settings(rate_limit=text), ControlledClock())


@pytest.mark.parametrize(("text", "calls", "seconds"), [("100/60", 100, 60), ("5", 5, 60)], ids=["both", "calls-only"])
def test_a_rate_limit_reads_calls_per_seconds(text: str, calls: int, seconds: int) -> None:
    limiter = configuration.rate_limiter(Settings(rate_limit=text), ControlledClock())
    assert limiter is not None
    assert (limiter.calls, limiter.period_seconds) == (calls, seconds)


def test_unset_settings_load_their_defaults() -> None:
    settings = Settings(events=10)
    assert configuration.store(settings, "identity") is None
    assert configuration.rate_limiter(settings, ControlledClock()) is None
    assert configuration.trusted_issuers(settings) == []
    assert configuration.clients(settings).get("trygdehendelser-demo") is not None


def test_a_trusted_issuers_jwks_file_is_loaded(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": []}), encoding="utf-8")
    (trusted,) = configuration.trusted_issuers(
        Settings(trusted_issuers=json.dumps([{"issuer": "http://mock/", "jwks": str(jwks)}]))
    )
    assert trusted.issuer == "http://mock/"
    assert trusted.key_for("unknown") is None


@pytest.mark.parametrize(
    ("text", "aliases"),
    [
        ("", []),
        ("http://localhost:8080/maskinporten/", ["http://localhost:8080/maskinporten/"]),
        (
            " http://localhost:8080/maskinporten , https://127.0.0.1:9000/mp/ ,",
            ["http://localhost:8080/maskinporten/", "https://127.0.0.1:9000/mp/"],
        ),
    ],
    ids=["none", "one", "two-trimmed-and-slashed"],
)
def test_issuer_aliases_are_urls_ending_in_a_slash(text: str, aliases: list[str]) -> None:
    assert configuration.issuer_aliases(Settings(issuer_aliases=text)) == aliases


@pytest.mark.parametrize(
    "alias",
    [
        "localhost:8080/maskinporten/",
        "ftp://localhost/",
        "http:///maskinporten/",
        "http://localhost:port/",
        "http://h/?a=1",
    ],
    ids=["no-scheme", "ftp", "no-host", "port-not-a-number", "a-query"],
)
def test_an_issuer_alias_that_is_no_http_url_is_a_settings_error(alias: str) -> None:
    with pytest.raises(
        SettingsError, match=r"^--issuer-aliases \(EMULATOR_ISSUER_ALIASES\): .* is not an http\(s\) URL"
    ):
        configuration.issuer_aliases(Settings(issuer_aliases=f"http://ok/, {alias}"))


@pytest.mark.parametrize(
    ("setting", "value", "reason"),
    [
        ("clients_file", "list", "clients must be"),
        ("signing_key_file", "not_a_key", "deserialize|PEM"),
        ("fixture", "broken", "not JSON"),
        ("data_dir", "list", "File exists|Not a directory"),
        ("trusted_issuers", "[1]", "needs issuer and jwks"),
        ("rate_limit", "x/y", "CALLS/SECONDS"),
    ],
    ids=["clients", "signing-key", "fixture", "data-dir", "trusted-issuers", "rate-limit"],
)
def test_check_refuses_every_unusable_setting_without_building_the_log(
    files: dict[str, Path], setting: str, value: str, reason: str
) -> None:
    given: Any = files.get(value, value)
    overrides: dict[str, Any] = {setting: str(given) if setting == "fixture" else given}
    settings = Settings(**overrides)
    with pytest.raises(SettingsError, match=rf"^{setting_label(setting).replace('(', '[(]').replace(')', '[)]')}: "):
        configuration.check(settings)
    with pytest.raises(SettingsError, match=reason):
        configuration.check(settings)


def test_check_passes_usable_settings_and_holds_nothing(tmp_path: Path) -> None:
    settings = Settings(events=10, data_dir=tmp_path / "data", fixture="small", rate_limit="10/60")
    configuration.check(settings)
    # The data dir is not kept locked by the check: the server that follows can take it.
    store = configuration.store(settings, "identity")
    assert store is not None
    store.close()


def test_check_refuses_a_data_dir_another_store_holds(tmp_path: Path) -> None:
    settings = Settings(events=10, data_dir=tmp_path)
    store = configuration.store(settings, "identity")
    assert store is not None
    try:
        with pytest.raises(SettingsError, match=r"^--data-dir \(EMULATOR_DATA_DIR\): .* is in use by another emulator"):
            configuration.check(settings)
    finally:
        store.close()
