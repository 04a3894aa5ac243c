"""The `fabric` profile of docker-compose.yml, checked by parsing (no Docker engine here) against the
scripts the native network runs (deploy/fabric): same version, ports, host names, crypto layout and
client settings, so that what `make fabric-up` proves natively holds for the compose services too."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from cargotrail.settings import Settings
from tests.deploy.test_compose import ROOT, compose, env_of, parsed

DEFAULT_SERVICES = {"control-tower", "timescaledb", "kafka", "mosquitto", "ingest", "ingest-kafka", "api"}
ORGS = {1: ("portauthority", "PortAuthorityMSP"), 2: ("customs", "CustomsMSP")}
SCRIPTS_MOUNT = "/opt/cargotrail/deploy/fabric"


def fabric_sh(script: str, fabric_net: str = "/fabric") -> str:
    """Run bash on deploy/fabric/common.sh + channel.sh as docker-compose's setup services do."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    env |= {"FABRIC_HOSTS": "compose", "FABRIC_NET": fabric_net, "FABRIC_ORDERERS": "1"}
    here = ROOT / "deploy" / "fabric"
    out = subprocess.run(
        ["bash", "-c", f"source {here}/common.sh && source {here}/channel.sh && {script}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return out.stdout.strip()


def services() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose()["services"].items() if "fabric" in (s.get("profiles") or [])}


def mounts(svc: dict[str, Any]) -> dict[str, str]:
    """Container path -> source of the service's volumes (``:ro`` kept on the source)."""
    out = {}
    for v in svc.get("volumes", []):
        source, target, *mode = v.split(":")
        out[target] = source + (":ro" if mode == ["ro"] else "")
    return out


def crypto_mount(name: str, svc: dict[str, Any]) -> str:
    found = [target for target, source in mounts(svc).items() if source.split(":")[0] == "fabric-crypto"]
    assert len(found) == 1, f"{name}: mounts the fabric-crypto volume {len(found)} times"
    return found[0]


def alias(svc: dict[str, Any]) -> str:
    (name,) = svc["networks"]["default"]["aliases"]
    return str(name)


def port(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def test_fabric_is_a_profile_and_the_default_stack_is_unchanged():
    every = compose()["services"]
    default = {n for n, s in every.items() if not s.get("profiles")}
    assert default == DEFAULT_SERVICES
    fabric = services()
    assert {n for n in every if n.startswith("fabric")} == set(fabric) and len(fabric) == 8
    for name in default:
        assert not set(every[name].get("depends_on") or {}) & set(fabric), f"{name} needs Fabric"


def test_the_images_are_the_official_ones_at_the_version_deploy_builds():
    version = fabric_sh("echo $FABRIC_VERSION")
    fabric = services()
    expected = {
        "fabric-setup": "tools",
        "fabric-channel": "tools",
        "fabric-orderer": "orderer",
        "fabric-peer-portauthority": "peer",
        "fabric-peer-customs": "peer",
    }
    for name, role in expected.items():
        assert fabric[name]["image"] == f"hyperledger/fabric-{role}:{version}", name
    build = fabric["fabric-anchors-portauthority"]["build"]
    dockerfile = (ROOT / build["context"] / build["dockerfile"]).read_text()
    assert "COPY ledger/chaincode/" in dockerfile and "go build" in dockerfile
    assert fabric["fabric-anchors-customs"]["image"] == fabric["fabric-anchors-portauthority"]["image"]
    assert fabric["fabric-run"]["image"] == compose()["services"]["control-tower"]["image"]


def test_the_orderer_is_reached_by_its_tls_name_with_tls_on_every_listener():
    svc = services()["fabric-orderer"]
    env, root = env_of(svc), crypto_mount("fabric-orderer", svc)
    assert alias(svc) == fabric_sh("orderer_host 1") == "orderer1.orderer.cargotrail.test"
    assert int(env["ORDERER_GENERAL_LISTENPORT"]) == int(fabric_sh("orderer_port 1"))
    assert port(env["ORDERER_ADMIN_LISTENADDRESS"]) == int(fabric_sh("orderer_admin_port 1"))
    assert port(env["ORDERER_OPERATIONS_LISTENADDRESS"]) == int(fabric_sh("orderer_ops_port 1"))
    assert env["ORDERER_GENERAL_TLS_ENABLED"] == env["ORDERER_ADMIN_TLS_ENABLED"] == "true"
    assert env["ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED"] == "true"  # osnadmin needs the admin's client cert
    assert (
        env["ORDERER_GENERAL_BOOTSTRAPMETHOD"] == "none"
        and env["ORDERER_CHANNELPARTICIPATION_ENABLED"] == "true"
    )
    node = f"{root}/crypto/ordererOrganizations/orderer.cargotrail.test/orderers/{alias(svc)}"
    assert env["ORDERER_GENERAL_LOCALMSPDIR"] == f"{node}/msp"
    for key, file in (("PRIVATEKEY", "server.key"), ("CERTIFICATE", "server.crt")):
        assert env[f"ORDERER_GENERAL_TLS_{key}"] == env[f"ORDERER_ADMIN_TLS_{key}"] == f"{node}/tls/{file}"
    assert (
        env["ORDERER_GENERAL_TLS_ROOTCAS"] == env["ORDERER_ADMIN_TLS_CLIENTROOTCAS"] == f"[{node}/tls/ca.crt]"
    )


def test_each_peer_is_reached_by_its_tls_name_and_dials_its_own_chaincode_service():
    fabric = services()
    for o, (org, msp) in ORGS.items():
        name = f"fabric-peer-{org}"
        svc = fabric[name]
        env, root = env_of(svc), crypto_mount(name, svc)
        host, peer_port = alias(svc), int(fabric_sh(f"peer_port {o}"))
        assert host == fabric_sh(f"peer_host {o}") == env["CORE_PEER_ID"], name
        assert env["CORE_PEER_LOCALMSPID"] == msp
        address = f"{host}:{peer_port}"
        assert env["CORE_PEER_ADDRESS"] == env["CORE_PEER_GOSSIP_EXTERNALENDPOINT"] == address
        assert port(env["CORE_PEER_LISTENADDRESS"]) == peer_port
        assert port(env["CORE_PEER_CHAINCODELISTENADDRESS"]) == int(fabric_sh(f"peer_cc_port {o}"))
        assert port(env["CORE_OPERATIONS_LISTENADDRESS"]) == int(fabric_sh(f"peer_ops_port {o}"))
        node = f"{root}/crypto/peerOrganizations/{org}.cargotrail.test/peers/{host}"
        assert env["CORE_PEER_MSPCONFIGPATH"] == f"{node}/msp"
        assert env["CORE_PEER_TLS_ENABLED"] == "true"
        tls = {k: env[f"CORE_PEER_TLS_{k}"] for k in ("CERT_FILE", "KEY_FILE", "ROOTCERT_FILE")}
        assert tls == {
            "CERT_FILE": f"{node}/tls/server.crt",
            "KEY_FILE": f"{node}/tls/server.key",
            "ROOTCERT_FILE": f"{node}/tls/ca.crt",
        }
        # No Docker inside the peer: the image's ccaas builder dials this organisation's chaincode service.
        assert env["CORE_VM_ENDPOINT"] == ""
        dial = json.loads(env["CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG"])["address"]
        chaincode, cc_port = dial.rsplit(":", 1)
        assert chaincode == f"fabric-anchors-{org}" and chaincode in fabric, name
        assert int(cc_port) == int(fabric_sh(f"ccaas_port {o}"))
        assert port(env_of(fabric[chaincode])["CHAINCODE_SERVER_ADDRESS"]) == int(cc_port)


def test_the_chaincode_services_run_the_package_the_channel_setup_installed():
    fabric = services()
    setup = env_of(fabric["fabric-channel"])
    id_file = fabric_sh(
        'echo "$FABRIC_NET/chaincode.id"', setup["FABRIC_NET"]
    )  # written by package_chaincode
    for org, _ in ORGS.values():
        name = f"fabric-anchors-{org}"
        svc = fabric[name]
        assert crypto_mount(name, svc) == setup["FABRIC_NET"] and mounts(svc)[setup["FABRIC_NET"]].endswith(
            ":ro"
        )
        # Compose turns $$ into $: the shell reads the id when the container starts.
        assert svc["command"] == ["sh", "-c", f"CHAINCODE_ID=$$(cat {id_file}) exec anchors"]
        assert svc["depends_on"]["fabric-channel"]["condition"] == "service_completed_successfully"


def test_the_one_shot_setup_services_run_the_native_scripts_on_the_shared_crypto_volume():
    fabric = services()
    for name, script in (("fabric-setup", "crypto.sh"), ("fabric-channel", "compose-channel.sh")):
        svc = fabric[name]
        env = env_of(svc)
        assert env["FABRIC_HOSTS"] == "compose" and env["FABRIC_BIN"] == "/usr/local/bin"  # the tools image's
        assert mounts(svc)[SCRIPTS_MOUNT] == "./deploy/fabric:ro"
        assert (
            svc["command"] == ["bash", f"{SCRIPTS_MOUNT}/{script}"]
            and (ROOT / "deploy/fabric" / script).exists()
        )
        assert mounts(svc)[env["FABRIC_NET"]] == "fabric-crypto"  # read-write: they write the material
        assert env["FABRIC_CHANNEL"] == "cargotrail" and env["FABRIC_CHAINCODE"] == "anchors"
    for name in ("fabric-orderer", "fabric-peer-portauthority", "fabric-peer-customs"):
        svc = fabric[name]
        assert mounts(svc)[crypto_mount(name, svc)] == "fabric-crypto:ro", name
        assert svc["depends_on"]["fabric-setup"]["condition"] == "service_completed_successfully"
        data = [s for s in mounts(svc).values() if s.startswith("fabric-") and s.endswith("-data")]
        assert len(data) == 1, f"{name}: a data volume of its own"
        assert name in fabric["fabric-channel"]["depends_on"]


def test_the_cargotrail_service_anchors_to_fabric_by_configuration():
    fabric = services()
    svc = fabric["fabric-run"]
    env = env_of(svc)
    parsed("fabric-run", svc)  # the CLI itself accepts the command and its options
    settings = Settings.from_env(env)
    assert settings.ledger == "fabric"
    root = crypto_mount("fabric-run", svc)
    assert mounts(svc)[root] == "fabric-crypto:ro"
    # Exactly what the native network's client gets from up.sh (channel.sh client_env), on the compose names.
    client = dict(line.split("=", 1) for line in fabric_sh("client_env", root).splitlines())
    assert {k: v for k, v in env.items() if k.startswith("CARGOTRAIL_FABRIC_")} == client
    peer = fabric["fabric-peer-portauthority"]
    assert (
        settings.fabric_peer == env_of(peer)["CORE_PEER_ADDRESS"]
        and settings.fabric_msp_id == "PortAuthorityMSP"
    )
    cas = {p.split("=")[0] for p in settings.fabric_org_cas.split(",")}
    assert cas == {m for _, m in ORGS.values()} | {
        env_of(fabric["fabric-orderer"])["ORDERER_GENERAL_LOCALMSPID"]
    }
    assert set(svc["depends_on"]) == {"fabric-anchors-portauthority", "fabric-anchors-customs"}
