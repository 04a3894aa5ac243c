"""docker-compose.yml cannot run here (no Docker engine), so it is checked by parsing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def convert(option: Any, value: str) -> Any:
    """The value as the option reads it: its default's type, within its ``min``/``max`` if any."""
    parsed = type(option.default)(value)
    assert option.min is None or parsed >= option.min, f"{option.envvar}={value} is below {option.min}"
    assert option.max is None or parsed <= option.max, f"{option.envvar}={value} is above {option.max}"
    return parsed


def test_every_cargotrail_variable_is_one_the_code_reads_and_parses():
    for name, svc in compose()["services"].items():
        env, options = env_of(svc), option_envvars(command_of(svc))
        for key, value in env.items():
            if key in options:  # the service's command reads it: it must convert (type, range)
                if not value.startswith("${"):
                    convert(options[key], value)
            elif key.startswith("CARGOTRAIL_"):
                assert key.removeprefix("CARGOTRAIL_") in ENV_NAMES, f"{name}: {key} is read by nobody"
        Settings.from_env(env)  # raises ConfigError on a malformed value


def test_the_api_serves_the_control_towers_store_on_its_published_port(tmp_path):
    from services.api import create_app

    services = compose()["services"]
    api, tower = services["api"], services["control-tower"]
    env, options = env_of(api), option_envvars(command_of(api))
    value = {options[k].name: convert(options[k], v) for k, v in env.items() if k in options}
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
    )
