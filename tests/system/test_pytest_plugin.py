"""The pytest plugin, as a consumer's suite uses it: sample test files run by pytest itself (pytester)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from emulator.http.admin import CONTROL_PREFIX
from emulator.http.medl import MEDL_PATH
from emulator.maskinporten.tokens import API_SCOPE, MEDL_SCOPE
from emulator.settings import DEFAULT_SUBSCRIPTION_KEY
from emulator.testing import control
from emulator.testing.credentials import TEST_CLIENT_ID
from emulator.testing.server import EmulatorProcess, EmulatorStartupError

pytest_plugins = ["pytester"]

# The README's "Use it in your tests" example, verbatim: run here exactly as a consumer would run it.
README_EXAMPLE = '''
import httpx


def fetch_since(feed_url: str, token_url: str, key: str, number: int) -> list[dict]:
    """The code under test: gets a Maskinporten token and reads the feed from `number` on."""
    grant = {"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "demo-secret"}
    token = httpx.post(token_url, data=grant).json()["access_token"]
    headers = {"Ocp-Apim-Subscription-Key": key, "Authorization": f"Bearer {token}"}
    return httpx.get(feed_url, params={"hendelsesnummer": number}, headers=headers).json()["hendelser"]


def test_the_consumer_sees_a_new_event(emulator):
    head = emulator.status()["head"]  # 1000 seeded events
    emulator.append([{"type": "OPPRETTET", "personident": "14860258537", "hjemmelgruppe": "EOS"}])
    events = fetch_since(emulator.feed_url, emulator.token_url, emulator.subscription_key, head + 1)
    assert [(event["hendelsesnummer"], event["type"]) for event in events] == [(head + 1, "OPPRETTET")]
    emulator.wait_for("client:trygdehendelser-demo")  # it has read up to the head


def test_each_test_starts_from_the_seeded_log(emulator):
    assert emulator.status()["appended"] == 0


def test_the_consumer_meets_a_503(emulator):
    emulator.fault(kind="status", status=503, times=1)
    response = httpx.get(emulator.feed_url, params={"hendelsesnummer": 1}, headers=emulator.headers())
    assert response.status_code == 503
    assert emulator.read(from_number=1, size=2)["antallHendelser"] == 2  # the next request succeeds
'''

# Every test appends its own number of events and expects to find exactly those on top of the seeded log:
# true only if no other test of any other process wrote to the same emulator.
ISOLATION_SAMPLE = '''
import os
from pathlib import Path

import pytest


def rendezvous(count: int) -> None:
    """Block until the other session has appended too, through two FIFOs (no sleeping, no polling)."""
    here = Path(os.environ["RENDEZVOUS_DIR"])
    if count == 3:
        with open(here / "first", "w") as fifo:
            fifo.write("appended")
        with open(here / "second") as fifo:
            assert fifo.read() == "appended"
    else:
        with open(here / "first") as fifo:
            assert fifo.read() == "appended"
        with open(here / "second", "w") as fifo:
            fifo.write("appended")


def test_only_my_events(emulator, emulator_server):
    count = int(os.environ["APPEND_COUNT"])
    seeded = emulator.status()["seeded_head"]
    assert emulator.generate(count)["head"] == seeded + count
    rendezvous(count)
    assert emulator.status()["head"] == seeded + count
    page = emulator.read(from_number=seeded + 1)
    assert page["antallHendelser"] == count
    Path(os.environ["SERVER_FILE"]).write_text(emulator_server.base_url)
'''

XDIST_SAMPLE = """
import os
from pathlib import Path

import pytest


@pytest.mark.parametrize("count", range(1, 9))
def test_only_my_events(emulator, emulator_server, worker_id, count):
    seeded = emulator.status()["seeded_head"]
    assert emulator.status()["head"] == seeded
    emulator.generate(count)
    assert emulator.read(from_number=seeded + 1)["antallHendelser"] == count
    assert emulator.status()["appended"] == count
    servers = Path(os.environ["SERVERS_DIR"])
    (servers / f"{worker_id}-{count}").write_text(emulator_server.base_url)
"""


def test_the_control_helper_names_what_the_emulator_uses() -> None:
    assert control.DEFAULT_SUBSCRIPTION_KEY == DEFAULT_SUBSCRIPTION_KEY
    assert control.API_SCOPE == API_SCOPE
    assert control.MEDL_SCOPE == MEDL_SCOPE
    assert control.MEDL_PATH == MEDL_PATH
    assert control.TEST_CLIENT_ID == TEST_CLIENT_ID
    assert control.CONTROL == CONTROL_PREFIX


def test_the_readme_shows_the_example_tested_here() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    if "## Use it in your tests" not in readme:
        pytest.skip("the README has no section on the pytest plugin yet")
    assert README_EXAMPLE.strip() in readme


def test_the_plugin_is_registered_under_its_entry_point(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("trygdehendelser_emulator")


def test_the_readme_example_passes_and_each_test_starts_from_the_seeded_log(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_readme_example=README_EXAMPLE)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_the_control_helper_against_the_session_server(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nemulator_events = 200\nemulator_args = --timestamp-style local --admin-token s3cret\n")
    pytester.makepyfile(
        textwrap.dedent(
            """
            import httpx
            import pytest


            def test_credentials_and_addresses(emulator, emulator_server, emulator_token, emulator_subscription_key):
                assert emulator.base_url == emulator_server.base_url
                assert emulator.issuer == emulator_server.issuer == f"{emulator.base_url}/maskinporten/"
                assert emulator.token_url == f"{emulator.issuer}token"
                assert "200 events (seed 5)" in emulator_server.banner
                assert emulator_subscription_key == "local-subscription-key"
                assert httpx.get(f"{emulator.base_url}/_emulator/status").status_code == 401  # the admin token
                headers = {"Ocp-Apim-Subscription-Key": emulator_subscription_key,
                           "Authorization": f"Bearer {emulator_token}"}
                page = httpx.get(emulator.feed_url, params={"hendelsesnummer": 200}, headers=headers).json()
                assert "+" not in page["hendelser"][0]["metadata"]["opprettetDato"]  # emulator_args reached serve
                expired = emulator.token(lifetime_seconds=-60)
                headers["Authorization"] = f"Bearer {expired}"
                assert httpx.get(emulator.feed_url, params={"hendelsesnummer": 1}, headers=headers).status_code == 401
                wrong_scope = emulator.headers(scope="nav:annet/v1/noe")
                assert httpx.get(emulator.feed_url, params={"hendelsesnummer": 1},
                                 headers=wrong_scope).status_code == 403


            def test_state_clock_faults_and_consumers(emulator):
                assert emulator.generate(3) == {"first": 201, "last": 203, "count": 3, "head": 203}
                event = {"type": "OPPRETTET", "personident": "14860258537", "hjemmelgruppe": "OEVRIGE"}
                assert emulator.append([event])["head"] == 204
                assert emulator.read(from_number=204, group="OEVRIGE")["hendelser"][0]["hendelsesnummer"] == 204
                frozen = emulator.freeze()
                assert frozen["frozen"]
                assert emulator.advance(60)["now_ms"] == frozen["now_ms"] + 60_000
                assert emulator.clock("set", now="2030-01-01T12:00:00")["now"].startswith("2030-01-01T12:00:00")
                assert emulator.read(from_number=1)["antallHendelser"] == 100  # fresh tokens follow the clock
                fault = emulator.fault(kind="status", status=500)
                assert [item["id"] for item in emulator.status()["faults"]] == [fault]
                emulator.clear_faults()
                assert emulator.status()["faults"] == []
                emulator.live(5)
                assert emulator.status()["live"]["rate"] == 5
                emulator.stop_live()
                assert emulator.read(from_number=195)["antallHendelser"] == 10
                assert emulator.wait_for(emulator.consumer)["reached"]
                [view] = emulator.consumers()
                assert view["consumer"] == emulator.consumer
                assert view["highest_delivered"] == 204
                assert len(emulator.journal(consumer=emulator.consumer)) == 3


            def test_waiting_for_a_consumer_that_does_not_come_fails_with_its_view(emulator):
                with pytest.raises(AssertionError, match="client:nobody did not read up to 200 within 0.2 s"):
                    emulator.wait_for("client:nobody", timeout=0.2)


            def test_the_next_test_sees_the_seeded_state_again(emulator):
                status = emulator.status()
                assert (status["head"], status["appended"], status["faults"], status["live"]) == (200, 0, [], None)
                assert not status["clock"]["frozen"]
            """
        )
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--emulator-seed", "5")
    result.assert_outcomes(passed=4)


def test_the_in_process_fixtures_are_reset_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        textwrap.dedent(
            """
            FEED = "/helse/v1/trygdehendelser/hendelser"


            def test_append_in_process(emulator_client, emulator_app):
                assert emulator_client.post("/_emulator/events", json={"generate": 4}).json()["head"] == 54
                assert emulator_client.get(FEED, params={"hendelsesnummer": 51}).json()["antallHendelser"] == 4
                assert emulator_app.state.backend.history.log.head == 54


            def test_then_the_seeded_log_again(emulator_client):
                assert emulator_client.get(FEED, params={"hendelsesnummer": 1}).json()["totaltAntallHendelser"] == 50
            """
        )
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--emulator-events", "50")
    result.assert_outcomes(passed=2)


def test_the_in_process_client_drives_live_mode_and_faults_with_put_and_delete(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_live_mode_in_process(emulator_client, emulator_app):
            backend = emulator_app.state.backend
            head = backend.history.log.head
            assert emulator_client.post("/_emulator/clock", json={"action": "freeze"}).status_code == 200
            assert emulator_client.put("/_emulator/live", json={"rate": 10, "pattern": "steady"}).status_code == 200
            assert emulator_client.post("/_emulator/clock", json={"action": "advance", "seconds": 2}).status_code == 200
            assert backend.history.tick_live() == 20
            assert emulator_client.get("/_emulator/status").json()["head"] == head + 20
            assert emulator_client.delete("/_emulator/live").json() == {"live": None}
            assert emulator_client.post("/_emulator/faults", json={"kind": "drop"}).status_code == 201
            assert emulator_client.delete("/_emulator/faults/f1").json() == {"faults": []}
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_fixture_preset_replaces_the_generated_log(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nemulator_fixture = empty\n")
    pytester.makepyfile(
        textwrap.dedent(
            """
            def test_empty(emulator_client):
                page = emulator_client.get("/helse/v1/trygdehendelser/hendelser", params={"hendelsesnummer": 1})
                assert page.json() == {"antallHendelser": 0, "hendelser": [], "totaltAntallHendelser": 0}
            """
        )
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_cache_dir_shares_the_log_between_sessions(pytester: pytest.Pytester, tmp_path: Path) -> None:
    cache = tmp_path / "logs"
    pytester.makeini(f"[pytest]\nemulator_events = 300\nemulator_cache_dir = {cache}\n")
    pytester.makepyfile(
        textwrap.dedent(
            """
            def test_seeded(emulator_client):
                page = emulator_client.get("/helse/v1/trygdehendelser/hendelser", params={"hendelsesnummer": 1})
                assert page.json()["totaltAntallHendelser"] == 300
            """
        )
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    entries = [path.name for path in cache.iterdir() if path.name.startswith("log-")]
    assert len(entries) == 1
    # The command-line option wins over the ini, and the next session maps the same entry.
    pytester.runpytest_inprocess("-p", "no:cacheprovider", f"--emulator-cache-dir={cache}").assert_outcomes(passed=1)
    assert [path.name for path in cache.iterdir() if path.name.startswith("log-")] == entries


def test_bad_options_are_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(emulator_app):\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--emulator-seed", "-1")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*trygdehendelser-emulator options*seed*"])


def sample_run(directory: Path, *options: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """pytest in a process of its own, loading only this plugin (and xdist), which starts in a third of a second."""
    command = [sys.executable, "-m", "pytest", "-p", "emulator.pytest_plugin", "-p", "no:cacheprovider", *options]
    environment = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **env}
    environment.pop("PYTEST_ADDOPTS", None)
    return subprocess.Popen(
        command, cwd=directory, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finished(run: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str]:
    """Exit status and output; a run that hangs gets Ctrl-C, so that pytest still stops its emulator."""
    try:
        output, _ = run.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        run.send_signal(signal.SIGINT)
        try:
            output, _ = run.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            run.kill()
            output, _ = run.communicate()
    return run.returncode, output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="the rendezvous uses FIFOs")
def test_two_sessions_at_once_have_a_server_each(tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    sample.mkdir()
    (sample / "test_isolation.py").write_text(ISOLATION_SAMPLE)
    rendezvous = tmp_path / "rendezvous"
    rendezvous.mkdir()
    os.mkfifo(rendezvous / "first")
    os.mkfifo(rendezvous / "second")
    runs = {
        count: sample_run(
            sample,
            "--basetemp",
            str(tmp_path / f"run-{count}"),
            env={
                "APPEND_COUNT": str(count),
                "RENDEZVOUS_DIR": str(rendezvous),
                "SERVER_FILE": str(tmp_path / f"server-{count}"),
            },
        )
        for count in (3, 5)
    }
    results = {count: finished(run) for count, run in runs.items()}
    assert all(status == 0 and "1 passed" in output for status, output in results.values()), results
    assert (tmp_path / "server-3").read_text() != (tmp_path / "server-5").read_text()


def test_xdist_workers_have_a_server_each(tmp_path: Path) -> None:
    pytest.importorskip("xdist")
    sample = tmp_path / "sample"
    sample.mkdir()
    (sample / "test_isolation.py").write_text(XDIST_SAMPLE)
    servers = tmp_path / "servers"
    servers.mkdir()
    run = sample_run(sample, "-p", "xdist.plugin", "-n", "2", env={"SERVERS_DIR": str(servers)})
    status, output = finished(run)
    assert status == 0, output
    assert "8 passed" in output
    by_worker: dict[str, set[str]] = {}
    for record in servers.iterdir():
        by_worker.setdefault(record.name.split("-")[0], set()).add(record.read_text())
    assert sorted(by_worker) == ["gw0", "gw1"]
    assert all(len(urls) == 1 for urls in by_worker.values())
    assert by_worker["gw0"] != by_worker["gw1"]


def test_an_emulator_process_that_cannot_start_says_why() -> None:
    with pytest.raises(EmulatorStartupError, match="exited with 1 before it was ready") as failure:
        EmulatorProcess("--events", "-5").start()
    assert "--events (EMULATOR_EVENTS): Input should be greater than or equal to 0" in str(failure.value)


def test_an_emulator_process_serves_until_stopped() -> None:
    with EmulatorProcess("--events", "20", keep_lines=None) as server:
        assert server.running
        assert "20 events (seed 1)" in server.banner
        assert server.banner.rstrip().splitlines()[-1].startswith("  ")
        assert httpx.get(f"{server.base_url}/internal/isready").json() == {"status": "UP"}
    assert not server.running
    assert server.stop() is not None


def test_a_consumers_whole_flow_feed_then_medl_through_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nemulator_events = 300\n")
    pytester.makepyfile(
        textwrap.dedent(
            """
            import httpx


            def test_each_event_is_looked_up_in_medl(emulator, emulator_medl_token, emulator_subscription_key):
                assert emulator.medl_url == f"{emulator.base_url}/medlemskap/v1/medlemskapsunntak"
                assert emulator.medl_scope == "nav:medlemskap/v1/medlemskapsunntak"
                headers = {"Ocp-Apim-Subscription-Key": emulator_subscription_key,
                           "Authorization": f"Bearer {emulator_medl_token}"}
                for event in emulator.read(from_number=1, size=20)["hendelser"]:
                    period = event["innhold"]["periodeId"]
                    record = httpx.get(f"{emulator.medl_url}/{period}", headers=headers).json()
                    assert record == emulator.lookup(period)
                    assert record["ident"] == event["innhold"]["personident"]
                person = emulator.read(from_number=1, size=1)["hendelser"][0]["innhold"]["personident"]
                records = emulator.lookup_person(person)
                assert records and {record["ident"] for record in records} == {person}


            def test_in_process_the_client_reaches_both_apis(emulator_client):
                page = emulator_client.get("/helse/v1/trygdehendelser/hendelser", params={"hendelsesnummer": 1}).json()
                period = page["hendelser"][0]["innhold"]["periodeId"]
                assert emulator_client.get(f"/medlemskap/v1/medlemskapsunntak/{period}").status_code == 200
            """
        )
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
