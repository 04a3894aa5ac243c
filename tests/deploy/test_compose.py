"""docker-compose.yml cannot run here (no Docker engine), so it is checked by parsing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from cargotrail.cli.api import ROLES
from cargotrail.cli.main import app as cli
from cargotrail.settings import ENV_NAMES, Settings

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_service_has_an_image_or_build_and_a_command():
    services = compose()["services"]
    assert "control-tower" in services
    for name, svc in services.items():
        assert "image" in svc or "build" in svc, name
        assert svc.get("command"), name


def env_of(svc: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (svc.get("environment") or {}).items()}


def command_of(svc: dict[str, Any]) -> Any:
    """The cargotrail (click) subcommand a service runs (``["cargotrail", "api", ...]``), if it is one."""
    command = svc.get("command") or []
    if len(command) < 2 or command[0] != "cargotrail":
        return None
    found = typer.main.get_command(cli).commands.get(command[1])  # type: ignore[attr-defined]
    assert found is not None, f"cargotrail has no command {command[1]!r}"
    return found


def option_envvars(command: Any) -> dict[str, Any]:
    """The environment variables the command's options read (typer ``envvar=``), to their option."""
    out: dict[str, Any] = {}
    for param in command.params if command is not None else []:
        names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or [])
        out.update({name: param for name in names})
    return out


def parsed(name: str, svc: dict[str, Any]) -> dict[str, Any]:
    """The options of the service's cargotrail command as the CLI itself parses them from the command's
    arguments and the service's environment, without running it: an unknown option, a value of the
    wrong type or out of range fails naming the service."""
    command = command_of(svc)
    assert command is not None, f"{name} runs no cargotrail command"
    env = env_of(svc)
    with pytest.MonkeyPatch.context() as mp:
        for var in option_envvars(command):  # only the service's own values, not this test's environment
            if var in env and not env[var].startswith("${"):  # interpolated: the deployment's to give
                mp.setenv(var, env[var])
            else:
                mp.delenv(var, raising=False)
        args = [str(a) for a in svc["command"][2:]]
        try:
            ctx = command.make_context(f"cargotrail {svc['command'][1]}", args)
        except Exception as exc:  # click's usage errors: say which service
            raise AssertionError(f"{name}: {exc}") from exc
    return dict(ctx.params)


def cargotrail_services() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose()["services"].items() if command_of(s) is not None}


def test_every_command_option_and_variable_is_one_the_code_accepts():
    services = cargotrail_services()
    assert {"control-tower", "api", "ingest", "ingest-kafka", "kafka-run", "report"} <= set(services)
    for name, svc in services.items():
        parsed(name, svc)
        env, options = env_of(svc), option_envvars(command_of(svc))
        for key in env:
            if key.startswith("CARGOTRAIL_") and key not in options:
                assert key.removeprefix("CARGOTRAIL_") in ENV_NAMES, f"{name}: {key} is read by nobody"
        Settings.from_env(env)  # raises ConfigError on a malformed value


def test_an_option_or_value_the_code_does_not_accept_is_caught():
    with pytest.raises(AssertionError, match="ingest"):
        parsed("ingest", {"command": ["cargotrail", "ingest-server", "--nmea-tcp", "ten"]})
    with pytest.raises(AssertionError, match="No such option"):
        parsed("direct", {"command": ["cargotrail", "ingest-kafka", "--bootstrap-servers", "kafka:9092"]})
    with pytest.raises(AssertionError, match=r"0\.05"):
        parsed("api", {"command": ["cargotrail", "api"], "environment": {"CARGOTRAIL_API_LIVE_POLL_S": "0"}})


def kafka_address() -> str:
    """The address compose's Kafka advertises to the other services."""
    listeners = env_of(compose()["services"]["kafka"])["KAFKA_ADVERTISED_LISTENERS"]
    return next(v.split("://", 1)[1] for v in listeners.split(",") if v.startswith("PLAINTEXT://"))


def test_ingest_sends_to_the_compose_kafka_and_publishes_its_ports():
    services = compose()["services"]
    ingest, mosquitto = services["ingest"], services["mosquitto"]
    value = parsed("ingest", ingest)
    assert value["kafka"] == kafka_address()
    assert ingest["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert value["host"] == "0.0.0.0"
    for port in (value["port"], value["nmea_tcp"]):
        assert f"127.0.0.1:{port}:{port}" in ingest["ports"]
    assert value["nmea_device"], "an NMEA stream is bound to one device"
    # MQTT: the compose broker, with its user and password.
    assert value["mqtt"] == "mosquitto:1883" and "127.0.0.1:1883:1883" in mosquitto["ports"]
    assert ingest["depends_on"]["mosquitto"]["condition"] == "service_healthy"
    broker = env_of(mosquitto)
    assert value["mqtt_user"] == broker["MQTT_USER"]
    assert env_of(ingest)["MQTT_PASSWORD"] == broker["MQTT_PASSWORD"]
    assert f"http://127.0.0.1:{value['port']}/healthz" in " ".join(ingest["healthcheck"]["test"])


def test_kafka_direct_ingest_reads_the_compose_kafka_with_the_runtimes_topics():
    services = compose()["services"]
    direct = services["ingest-kafka"]
    assert parsed("ingest-kafka", direct)["bootstrap"] == kafka_address()
    assert direct["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert env_of(services["kafka-run"])["CARGOTRAIL_KAFKA_BOOTSTRAP"] == kafka_address()
    # Every service on Kafka agrees on the topic namespace and partition count (topics are made once).
    on_kafka = [Settings.from_env(env_of(services[n])) for n in ("ingest", "ingest-kafka", "kafka-run")]
    assert len({(s.kafka_prefix, s.kafka_partitions) for s in on_kafka}) == 1


def test_the_api_serves_the_control_towers_store_on_its_published_port(tmp_path):
    from services.api import create_app

    services = compose()["services"]
    api, tower = services["api"], services["control-tower"]
    env, value = env_of(api), parsed("api", api)
    port = value["port"]
    assert value["host"] == "0.0.0.0" and f"127.0.0.1:{port}:{port}" in api["ports"]
    assert f"http://127.0.0.1:{port}/health" in " ".join(api["healthcheck"]["test"])
    app = create_app(Settings(data_dir=tmp_path))
    assert "/health" in {getattr(route, "path", "") for route in app.routes}
    app.state.ctx.store.close()
    # It reads the store and ledger the control tower's run writes, once that run is up.
    assert api["depends_on"]["control-tower"]["condition"] == "service_healthy" and tower["healthcheck"]
    data_dir = env["CARGOTRAIL_DATA_DIR"]
    assert data_dir == env_of(tower)["CARGOTRAIL_DATA_DIR"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in api["volumes"]}
    assert mounts[data_dir] in {v.split(":")[0] for v in tower["volumes"]}
    # The first token comes from the deployment (interpolated), never from this file.
    assert env["CARGOTRAIL_API_BOOTSTRAP_TOKEN"].startswith("${CARGOTRAIL_API_TOKEN")
    assert value["bootstrap_role"] in ROLES


def test_published_dashboard_port_matches_the_setting():
    svc = compose()["services"]["control-tower"]
    port = Settings.from_env({k: str(v) for k, v in svc["environment"].items()}).dashboard_port
    assert f"{port}:{port}" in svc["ports"]


def test_named_volumes_are_declared():
    doc = compose()
    declared = set(doc.get("volumes") or {})
    for name, svc in doc["services"].items():
        for v in svc.get("volumes", []):
            source = v.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name}: volume {source} not declared"


def test_the_dockerfile_copies_every_package():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("cargotrail", "geofence", "streams", "ledger", "store", "services", "dashboards"):
        assert f"COPY {package} ./{package}" in dockerfile


def test_the_image_serves_the_same_leaflet_as_make_install():
    """The drawing map needs Leaflet locally in the image too, same versions, where the dashboard looks."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    web_mk = (ROOT / "deploy" / "web.mk").read_text()
    packages = re.search(r"^WEB_PACKAGES\s*:=\s*(.+)$", web_mk, re.M)
    assert packages, "deploy/web.mk: WEB_PACKAGES not found"
    for spec in packages.group(1).split():
        assert spec in dockerfile, f"Dockerfile does not fetch {spec}"
    # dashboards.web_assets looks in <sys.prefix>/share/cargotrail/web; the image's prefix is /usr/local.
    assert "COPY --from=web /web/out /usr/local/share/cargotrail/web" in dockerfile


def test_settings_read_every_declared_variable():
    env = {
        f"CARGOTRAIL_{n}": v
        for n, v in zip(
            ENV_NAMES,
            [
                "/x",
                "7",
                "8",
                "9",
                "10",
                "11",
                "fabric",
                "pg://",
                "99",
                "k:1",
                "pfx",
                "3",
                "p:1",
                "/ca",
                "M",
                "/msp",
                "ch",
                "cc",
                "M=/c",
                "4",
                "1000",
                "2500",
            ],
            strict=True,
        )
    }
    s = Settings.from_env(env)
    assert (
        str(s.data_dir),
        s.batch_size,
        s.lateness_s,
        s.max_future_s,
        s.anchor_batch_records,
        s.anchor_batch_seconds,
        s.ledger,
        s.store_url,
        s.dashboard_port,
        s.kafka_bootstrap,
        s.kafka_prefix,
        s.kafka_partitions,
        (s.fabric_peer, s.fabric_tls_ca, s.fabric_msp_id, s.fabric_msp_dir, s.fabric_channel),
        (s.fabric_chaincode, s.fabric_org_cas, s.fabric_timeout_s),
        s.live_retain_changes,
        s.inbox_compact_readings,
    ) == (
        "/x",
        7,
        8.0,
        9.0,
        10,
        11.0,
        "fabric",
        "pg://",
        99,
        "k:1",
        "pfx",
        3,
        ("p:1", "/ca", "M", "/msp", "ch"),
        ("cc", "M=/c", 4.0),
        1000,
        2500,
    )
