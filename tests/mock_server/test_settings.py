"""One settings shape: defaults → environment → arguments → mapping, and create_app's wiring."""

from __future__ import annotations

import time

import pytest

from mock_server import InMemoryStore, MockConfig, SettingsError, create_app
from mock_server.config import ENVIRONMENT
from mock_server.web.app import runtime_of


def test_defaults_without_anything() -> None:
    config = MockConfig.build()
    assert (config.host, config.port, config.server, config.workers) == (
        "127.0.0.1",
        8000,
        "granian",
        1,
    )
    assert config.state is None and config.admin_token is None and list(config.scenarios) == []


def test_each_layer_overrides_the_one_before() -> None:
    environ = {"JUHE_MOCK_PORT": "9001", "JUHE_MOCK_SEED": "5", "JUHE_MOCK_NAMESPACE": "env"}
    config = MockConfig.build(
        {"namespace": "mapping"}, arguments={"port": 9002, "namespace": "args"}, environ=environ
    )
    assert config.seed == 5  # environment over the default
    assert config.port == 9002  # arguments over the environment
    assert config.namespace == "mapping"  # the mapping over the arguments


def test_every_setting_but_in_process_ones_has_a_variable() -> None:
    assert set(ENVIRONMENT) == {
        f for f in MockConfig.__dataclass_fields__ if f not in ("store", "clock", "lane_dir")
    }
    assert all(name.startswith("JUHE_MOCK_") for name in ENVIRONMENT.values())


def test_scenarios_from_the_environment_split_like_path(tmp_path: object) -> None:
    config = MockConfig.build(environ={"JUHE_MOCK_SCENARIOS": "a.yaml:b.yaml"})
    assert list(config.scenarios) == ["a.yaml", "b.yaml"]


def test_an_empty_variable_counts_as_not_set() -> None:
    assert MockConfig.build(environ={"JUHE_MOCK_STATE": "", "JUHE_MOCK_PORT": ""}).port == 8000


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"JUHE_MOCK_PORT": "http"}, "JUHE_MOCK_PORT: 'http' is not a port number"),
        ({"JUHE_MOCK_PORT": "70000"}, "JUHE_MOCK_PORT: 70000 is not between 0 and 65535"),
        ({"JUHE_MOCK_SERVER": "uwsgi"}, "JUHE_MOCK_SERVER: 'uwsgi' is not granian or waitress"),
        ({"JUHE_MOCK_WORKERS": "0"}, "JUHE_MOCK_WORKERS: must be at least 1"),
        ({"JUHE_MOCK_ADMIN_TOKEN": ""}, "JUHE_MOCK_ADMIN_TOKEN: an empty admin token"),
        ({"JUHE_MOCK_SEED": "x"}, "JUHE_MOCK_SEED: 'x' is not a whole number"),
        ({"JUHE_MOCK_REDIS_TIMEOUT_S": "0"}, "JUHE_MOCK_REDIS_TIMEOUT_S: '0' is not between"),
        ({"JUHE_MOCK_REDIS_TIMEOUT_S": "nan"}, "JUHE_MOCK_REDIS_TIMEOUT_S: 'nan' is not between"),
        ({"JUHE_MOCK_REDIS_TIMEOUT_S": "soon"}, "'soon' is not a number of seconds"),
        ({"JUHE_MOCK_LEDGER_KEYS": "0"}, "JUHE_MOCK_LEDGER_KEYS: must be at least 1"),
    ],
)
def test_a_bad_variable_is_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        MockConfig.build(environ=environ)
    assert message in str(caught.value)


def test_a_bad_argument_and_a_bad_field_are_named() -> None:
    with pytest.raises(SettingsError, match=r"^--threads: must be at least 1$"):
        MockConfig.build(arguments={"threads": 0})
    with pytest.raises(SettingsError, match=r"^colour: not a setting of the mock$"):
        MockConfig.build({"colour": "blue"})
    with pytest.raises(SettingsError, match=r"^port: 99999 is not between 0 and 65535$"):
        MockConfig(port=99999)


def test_an_empty_admin_token_is_refused_wherever_it_comes_from() -> None:
    with pytest.raises(SettingsError, match="admin_token: an empty admin token"):
        create_app({"admin_token": ""})
    with pytest.raises(SettingsError, match="--admin-token: an empty admin token"):
        MockConfig.build(arguments={"admin_token": ""})


def test_create_app_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUHE_MOCK_SEED", "77")
    monkeypatch.setenv("JUHE_MOCK_ADMIN_TOKEN", "from-the-shell")
    runtime = runtime_of(create_app())
    assert runtime.config.seed is None
    assert runtime.config.admin_token is None


def test_create_app_takes_a_mapping_or_a_config_alike() -> None:
    store = InMemoryStore(journal_size=3)
    by_mapping = runtime_of(create_app({"seed": 9, "store": store}))
    by_config = runtime_of(create_app(MockConfig(seed=9, store=store)))
    assert by_mapping.config == by_config.config
    assert by_mapping.store is store and by_config.store is store


def test_settings_travel_as_json_to_a_worker() -> None:
    config = MockConfig(
        scenarios=["a.yaml", {"keys": {"quota": 1}}], seed=3, workers=2, admin_token="t"
    )
    assert MockConfig.from_json(config.to_json()) == config


def test_an_in_process_store_or_clock_cannot_travel() -> None:
    with pytest.raises(ValueError, match="cannot travel"):
        MockConfig(store=InMemoryStore()).to_json()
    with pytest.raises(ValueError, match="cannot travel"):
        MockConfig(clock=lambda: time.time() + 1).to_json()


def test_redis_timeout_and_ledger_bound_reach_the_stores() -> None:
    config = MockConfig.build(
        environ={"JUHE_MOCK_REDIS_TIMEOUT_S": "0.25"}, arguments={"ledger_keys": 7}
    )
    assert (config.redis_timeout_s, config.ledger_keys) == (0.25, 7)
    assert (MockConfig().redis_timeout_s, MockConfig().ledger_keys) == (1.0, 1000)
    store = runtime_of(create_app({"ledger_keys": 2})).store
    for fp in ("a", "b", "c"):
        store.ledger_add(fp, "3")
    assert store.ledger_snapshot()["by_key"] == {"a": 1, "b": 1, "(other keys)": 1}
    with pytest.raises(SettingsError, match="redis_timeout_s: 600 is not between"):
        MockConfig(redis_timeout_s=600)
