"""docker-compose.yml cannot run here (no Docker engine), so it is checked by parsing."""

from __future__ import annotations

from pathlib import Path

import yaml

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


def test_every_cargotrail_variable_is_one_the_settings_read_and_parses():
    for name, svc in compose()["services"].items():
        env = {k: str(v) for k, v in (svc.get("environment") or {}).items()}
        for key in env:
            if key.startswith("CARGOTRAIL_"):
                assert key.removeprefix("CARGOTRAIL_") in ENV_NAMES, f"{name}: {key} is read by nobody"
        Settings.from_env(env)  # raises ConfigError on a malformed value


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
