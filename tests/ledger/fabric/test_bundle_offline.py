"""Fabric proof bundles verified offline: a real bundle captured from the network (see data/README.md).

No network here: these run in the normal suite. Every tampering names what is wrong.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from fabric_protos.common import common_pb2
from fabric_protos.peer import transaction_pb2
from typer.testing import CliRunner, Result

from cargotrail.audit import bundle_ledger, verify_bundle
from cargotrail.cli.main import app
from cargotrail.errors import ConfigError
from ledger.fabric.identity import Signer, serialize_identity
from ledger.fabric.trust import org_cas_from_dir
from tests.cargotrail.audit.tamper import flip_hex
from tests.ledger.fabric.helpers import ThrowawayCA, rogue_msp
from tests.ledger.fabric.tamper import (
    Bundle,
    anchor_value,
    block_of,
    endorsed_by,
    flag,
    forge,
    orderer_signature_header,
    rehash,
    replace_in_block,
    with_block,
    with_client_identity,
    with_envelope,
    with_signatures_metadata,
)

DATA = Path(__file__).parent / "data"
CA_DIR = DATA / "ca"
ORGS = ("CustomsMSP", "PortAuthorityMSP")  # the endorsing organisations; the CA folder adds OrdererMSP
BLOCK = json.loads((DATA / "bundle.json").read_text())["receipt"]["block"]  # the captured block's number
runner = CliRunner()


@pytest.fixture()
def bundle() -> Bundle:
    data: Bundle = json.loads((DATA / "bundle.json").read_text())
    return data


@pytest.fixture()
def cas() -> dict[str, bytes]:
    return org_cas_from_dir(CA_DIR)


def cli(tmp_path: Path, *args: str, **env: str) -> Result:
    base = {"CARGOTRAIL_DATA_DIR": str(tmp_path / "nowhere"), "CARGOTRAIL_FABRIC_ORG_CAS": ""}
    return runner.invoke(app, ["verify", *args], env=base | env)


def write(tmp_path: Path, bundle: Bundle) -> str:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    return str(path)


def test_the_captured_bundle_verifies_with_the_organisations_cas(
    bundle: Bundle, cas: dict[str, bytes]
) -> None:
    assert bundle_ledger(bundle) == "fabric" and sorted(cas) == sorted([*ORGS, "OrdererMSP"])
    check = verify_bundle(bundle, org_cas=cas)
    assert check.ok, check.problem
    assert (check.record_id, check.batch_id) == (bundle["proof"]["record_id"], bundle["receipt"]["batch_id"])
    assert check.ledger == "fabric" and sorted(check.endorsed_by) == list(ORGS)
    receipt = bundle["receipt"]
    assert check.anchored_in == f"fabric block {receipt['block']} signed by OrdererMSP, tx {receipt['tx_id']}"
    assert check.ordered_by == "OrdererMSP" and not check.block_unsigned
    # Without the orderer organisation's CA the block signature is not checked, and the verdict says so.
    unsigned = verify_bundle(bundle, org_cas={m: cas[m] for m in ORGS})
    assert unsigned.ok and unsigned.block_unsigned and unsigned.ordered_by == ""
    assert unsigned.anchored_in == (
        f"fabric block {receipt['block']} (number not signed: no OrdererMSP CA given), tx {receipt['tx_id']}"
    )


def test_the_cli_verifies_it_offline_with_a_ca_folder(tmp_path: Path, bundle: Bundle) -> None:
    path = write(tmp_path, bundle)
    r = cli(tmp_path, "--bundle", path, "--ca-certs", str(CA_DIR))
    assert r.exit_code == 0, r.output
    assert f"verified reading record {bundle['proof']['record_id']}" in r.stdout
    assert "endorsed by PortAuthorityMSP, CustomsMSP" in r.stdout
    out = json.loads(cli(tmp_path, "--bundle", path, "--ca-certs", str(CA_DIR), "--json").stdout)
    assert out["ok"] is True and out["ca_certs"] == str(CA_DIR) and sorted(out["endorsed_by"]) == list(ORGS)
    assert "signed by OrdererMSP" in out["anchored_in"] and out["ordered_by"] == "OrdererMSP"
    assert "warning" not in r.stderr


def test_the_cli_warns_when_the_block_number_is_not_signed(tmp_path: Path, bundle: Bundle) -> None:
    path, orgs = (
        write(tmp_path, bundle),
        ca_folder(tmp_path, {m: (CA_DIR / f"{m}.pem").read_bytes() for m in ORGS}),
    )
    r = cli(tmp_path, "--bundle", path, "--ca-certs", str(orgs))
    assert r.exit_code == 0, r.output
    assert f"anchored in fabric block {BLOCK} (number not signed: no OrdererMSP CA given)" in r.stdout
    assert r.stderr.startswith("warning: the block number is not authenticated: no OrdererMSP CA"), r.stderr
    r = cli(tmp_path, "--bundle", path, "--ca-certs", str(orgs), "--json")
    out = json.loads(r.stdout)  # the warning is on stderr: stdout stays one JSON document
    assert r.exit_code == 0 and out["ordered_by"] == "" and "number not signed" in out["anchored_in"]
    assert "warning: the block number is not authenticated" in r.stderr


def test_msp_folders_and_the_setting_are_accepted_too(tmp_path: Path, bundle: Bundle) -> None:
    folders = tmp_path / "msps"
    for msp in ORGS:
        (folders / msp / "cacerts").mkdir(parents=True)
        shutil.copy(CA_DIR / f"{msp}.pem", folders / msp / "cacerts" / "ca-cert.pem")
    path = write(tmp_path, bundle)
    assert cli(tmp_path, "--bundle", path, "--ca-certs", str(folders)).exit_code == 0
    setting = ",".join(f"{m}={CA_DIR / m}.pem" for m in ORGS)
    r = cli(tmp_path, "--bundle", path, CARGOTRAIL_FABRIC_ORG_CAS=setting)
    assert r.exit_code == 0 and "trusting CARGOTRAIL_FABRIC_ORG_CAS" in r.stdout
    (tmp_path / "customs.pem").write_text("the CA comes by post\n")
    r = cli(
        tmp_path, "--bundle", path, CARGOTRAIL_FABRIC_ORG_CAS=f"{setting},CustomsMSP={tmp_path}/customs.pem"
    )
    assert r.exit_code == 2 and "CustomsMSP is given twice" in r.stderr
    r = cli(tmp_path, "--bundle", path, CARGOTRAIL_FABRIC_ORG_CAS=f"CustomsMSP={tmp_path}/customs.pem")
    assert r.exit_code == 2 and f"CustomsMSP at {tmp_path}/customs.pem" in r.stderr, r.stderr
    assert "not a PEM certificate" in r.stderr


def test_the_bundles_own_ca_copies_are_not_trusted(tmp_path: Path, bundle: Bundle) -> None:
    _, rogue_ca = rogue_msp(tmp_path / "rogue")
    bundle["ledger"]["entry"]["org_cas"] = {m: rogue_ca.decode() for m in ORGS}
    assert verify_bundle(bundle, org_cas=org_cas_from_dir(CA_DIR)).ok  # the auditor's CAs decide
    with pytest.raises(ConfigError, match="bundle's own copies are not trusted"):
        verify_bundle(bundle)
    r = cli(tmp_path, "--bundle", write(tmp_path, bundle))
    assert r.exit_code == 2 and "give --ca-certs DIR" in r.stderr


def _root(b: Bundle) -> str:
    return str(b["receipt"]["root"])


class Tamper(NamedTuple):
    edit: Callable[[Bundle], object]
    message: str  # what the failed check must name
    trust: str = "all"  # the auditor's CAs: "all" (OrdererMSP's too), "orgs" (not), "forger" (FORGER's)


# A forger whose CA the auditor wrongly trusts for both organisations: it signs and endorses its edits,
# so that only the malformed part it leaves is there to be caught.
FORGER = ThrowawayCA("ca.forger.test")
CLIENT = FORGER.signer("PortAuthorityMSP", "User1@forger.test", "client")
PEERS = [FORGER.signer(msp, f"peer0.{msp}.forger.test", "peer") for msp in ORGS]
UNREADABLE_PEER = Signer(msp_id="CustomsMSP", cert_pem=b"not a PEM", key=PEERS[0].key)
NOT_PROTOBUF = b"\xff\xff\xff"  # field 31 with wire type 7, which does not exist


def _not_protobuf(what: str) -> str:
    return f"(expected a {what} message, found not a protobuf message)"


TAMPERING: dict[str, Tamper] = {
    "root in the block": Tamper(lambda b: replace_in_block(b, _root(b), flip_hex(_root(b))), "data hash"),
    "root in the block, data hash recomputed": Tamper(
        lambda b: rehash(replace_in_block(b, _root(b), flip_hex(_root(b)))),
        "orderer signature on block",  # the header's data hash is what the orderer signed
    ),
    "validation flag": Tamper(flag(transaction_pb2.TxValidationCode.MVCC_READ_CONFLICT), "validation code"),
    "validation flag unknown": Tamper(flag(200), "validation code (expected VALID, found unknown code 200)"),
    "receipt root": Tamper(lambda b: b["receipt"].update(root=flip_hex(_root(b))), "root in the write set"),
    "receipt time range": Tamper(
        lambda b: b["receipt"].update(last_ts="2026-03-02T01:31:00Z"), "last_ts in the write set"
    ),
    "receipt transaction": Tamper(
        lambda b: b["receipt"].update(tx_id=flip_hex(b["receipt"]["tx_id"])), "transaction in block"
    ),
    "receipt block number": Tamper(
        lambda b: b["receipt"].update(block=b["receipt"]["block"] + 1), "block number"
    ),
    "receipt ledger": Tamper(lambda b: b["receipt"].update(ledger="local"), "ledger of batch"),
    "record": Tamper(lambda b: b["record"].update(lat=b["record"]["lat"] + 1e-6), "leaf hash of record"),
    "proof step": Tamper(
        lambda b: b["proof"]["path"].__setitem__(0, flip_hex(b["proof"]["path"][0])), "Merkle root"
    ),
    "block not base64": Tamper(
        lambda b: b["ledger"]["entry"].update(block="%%%"), "fabric evidence of batch"
    ),
    "block missing": Tamper(lambda b: b["ledger"]["entry"].pop("block"), "fabric evidence of batch"),
    # Malformed parts: each a failed check naming the part, never the parser's exception.
    "block not protobuf": Tamper(
        lambda b: with_block(b, NOT_PROTOBUF), f"block {_not_protobuf('common.Block')}"
    ),
    "SIGNATURES metadata not protobuf": Tamper(  # no hash covers it: all CAs given, still a verdict
        with_signatures_metadata(NOT_PROTOBUF),
        f"block metadata SIGNATURES {_not_protobuf('common.Metadata')}",
    ),
    "orderer signature header not protobuf": Tamper(
        orderer_signature_header(NOT_PROTOBUF), "signature 0 header: not a protobuf message"
    ),
    "orderer identity not a certificate": Tamper(
        orderer_signature_header(
            common_pb2.SignatureHeader(
                creator=serialize_identity("OrdererMSP", b"not a PEM")
            ).SerializeToString()
        ),
        "signature 0 signer (OrdererMSP): not a readable PEM certificate",
    ),
    "envelope not protobuf, no OrdererMSP CA": Tamper(
        with_envelope(NOT_PROTOBUF), f"envelope 0 of block {BLOCK} {_not_protobuf('common.Envelope')}", "orgs"
    ),
    "client identity not protobuf": Tamper(
        with_client_identity(NOT_PROTOBUF),
        f"client identity {_not_protobuf('msp.SerializedIdentity')}",
        "orgs",
    ),
    "client certificate not PEM": Tamper(
        with_client_identity(serialize_identity("PortAuthorityMSP", b"not a PEM")),
        "client identity (PortAuthorityMSP) (expected an X.509 certificate in PEM, found not a readable PEM",
        "orgs",
    ),
    "transaction without actions": Tamper(
        forge(CLIENT, lambda tx: tx.ClearField("actions")),
        "transaction actions (expected a chaincode action, found none)",
        "forger",
    ),
    "chaincode action payload not protobuf": Tamper(
        forge(CLIENT, lambda tx: setattr(tx.actions[0], "payload", NOT_PROTOBUF)),
        f"chaincode action payload {_not_protobuf('protos.ChaincodeActionPayload')}",
        "forger",
    ),
    "endorser certificate not PEM": Tamper(
        forge(CLIENT, endorsed_by([UNREADABLE_PEER])),
        "endorser 0 identity (CustomsMSP) (expected an X.509 certificate in PEM",
        "forger",
    ),
    "anchor not JSON": Tamper(
        forge(CLIENT, endorsed_by(PEERS, anchor_value(b"{root: 1"))),
        "in the write set (expected a JSON object, found not JSON)",
        "forger",
    ),
    "anchor not UTF-8": Tamper(
        forge(CLIENT, endorsed_by(PEERS, anchor_value(b"\xff"))),
        "in the write set (expected a JSON object, found not JSON)",
        "forger",
    ),
    "anchor not a JSON object": Tamper(
        forge(CLIENT, endorsed_by(PEERS, anchor_value(b"[1, 2]"))),
        "in the write set (expected a JSON object, found an array)",
        "forger",
    ),
}


def trusted(trust: str, cas: dict[str, bytes]) -> dict[str, bytes]:
    if trust == "forger":
        return dict.fromkeys(ORGS, FORGER.pem)
    return cas if trust == "all" else {m: cas[m] for m in ORGS}


def ca_folder(tmp_path: Path, cas: dict[str, bytes]) -> Path:
    folder = tmp_path / "cas"
    folder.mkdir()
    for msp, pem in cas.items():
        (folder / f"{msp}.pem").write_bytes(pem)
    return folder


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_every_tampering_is_detected_and_named(
    tmp_path: Path, bundle: Bundle, cas: dict[str, bytes], name: str
) -> None:
    pristine = copy.deepcopy(bundle)
    tamper = TAMPERING[name]
    tamper.edit(bundle)
    assert bundle != pristine
    trust = trusted(tamper.trust, cas)
    check = verify_bundle(bundle, org_cas=trust)
    assert not check.ok and tamper.message in check.problem, check.problem
    assert check.record_id == pristine["proof"]["record_id"] and check.ledger == "fabric"
    r = cli(tmp_path, "--bundle", write(tmp_path, bundle), "--ca-certs", str(ca_folder(tmp_path, trust)))
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.output  # a verdict, no traceback
    assert "FAILED" in r.stdout and tamper.message in r.stdout, r.stdout


def test_the_forger_is_caught_by_the_auditors_own_cas(bundle: Bundle, cas: dict[str, bytes]) -> None:
    """The forgeries above are sound but for the part they break: trusting the forger, they verify."""
    forge(CLIENT, endorsed_by(PEERS))(bundle)
    check = verify_bundle(bundle, org_cas=trusted("forger", cas))
    assert check.ok and sorted(check.endorsed_by) == list(ORGS), check.problem
    check = verify_bundle(bundle, org_cas=trusted("orgs", cas))
    assert not check.ok and "client certificate (PortAuthorityMSP)" in check.problem, check.problem


def test_garbage_beside_the_orderers_signature_does_not_hide_it(
    bundle: Bundle, cas: dict[str, bytes]
) -> None:
    """SIGNATURES is not hashed: anyone may add an entry, and the orderer's own still verifies."""
    block = block_of(bundle)
    index = common_pb2.BlockMetadataIndex.SIGNATURES
    md = common_pb2.Metadata.FromString(block.metadata.metadata[index])
    md.signatures.insert(0, common_pb2.MetadataSignature(signature_header=NOT_PROTOBUF, signature=b"x"))
    block.metadata.metadata[index] = md.SerializeToString()
    check = verify_bundle(with_block(bundle, block), org_cas=cas)
    assert check.ok and "signed by OrdererMSP" in check.anchored_in, check.problem


def test_a_rehashed_block_fails_the_client_signature_without_the_orderer_ca(
    bundle: Bundle, cas: dict[str, bytes]
) -> None:
    rehash(replace_in_block(bundle, _root(bundle), flip_hex(_root(bundle))))
    check = verify_bundle(bundle, org_cas={m: cas[m] for m in ORGS})
    assert not check.ok and "client signature (PortAuthorityMSP)" in check.problem


def test_an_altered_root_names_both_roots(bundle: Bundle, cas: dict[str, bytes]) -> None:
    root = _root(bundle)
    bundle["receipt"]["root"] = flip_hex(root)
    check = verify_bundle(bundle, org_cas=cas)
    assert check.problem.startswith(
        f"fabric tx {bundle['receipt']['tx_id']} (batch {bundle['receipt']['batch_id']})"
    )
    assert (check.expected, check.found) == (flip_hex(root), root)


def test_a_wrong_ca_is_named(tmp_path: Path, bundle: Bundle, cas: dict[str, bytes]) -> None:
    _, rogue_ca = rogue_msp(tmp_path / "rogue")
    check = verify_bundle(bundle, org_cas=cas | {"PortAuthorityMSP": rogue_ca})
    assert not check.ok and "client certificate (PortAuthorityMSP)" in check.problem
    assert check.expected == "issued by the PortAuthorityMSP CA"
    assert (
        "CN=ca.portauthority.cargotrail.test" in check.found
        and "not by the given PortAuthorityMSP CA" in check.found
    )
    check = verify_bundle(bundle, org_cas=cas | {"CustomsMSP": rogue_ca})
    assert not check.ok and "endorser certificate (CustomsMSP)" in check.problem
    check = verify_bundle(bundle, org_cas={"PortAuthorityMSP": cas["PortAuthorityMSP"]})
    assert not check.ok and "no CA certificate of CustomsMSP given" in check.found


def test_a_renumbered_block_is_caught_by_the_orderer_signature(bundle: Bundle, cas: dict[str, bytes]) -> None:
    """Block number changed in the header and the receipt alike: only the orderer's signature covers it."""
    block = block_of(bundle)
    block.header.number += 1
    with_block(bundle, block)
    bundle["receipt"]["block"] += 1
    check = verify_bundle(bundle, org_cas=cas)
    assert not check.ok and f"orderer signature on block {block.header.number}" in check.problem
    assert check.found.startswith("an invalid signature by CN=orderer1.orderer.cargotrail.test")
    unsigned = verify_bundle(bundle, org_cas={m: cas[m] for m in ORGS})  # the limit without OrdererMSP's CA
    assert unsigned.ok and f"block {block.header.number} (number not signed" in unsigned.anchored_in


def test_an_orderer_outside_the_given_orderer_ca_is_named(
    tmp_path: Path, bundle: Bundle, cas: dict[str, bytes]
) -> None:
    _, rogue_ca = rogue_msp(tmp_path / "rogue")
    check = verify_bundle(bundle, org_cas=cas | {"OrdererMSP": rogue_ca})
    assert not check.ok and "orderer signature" in check.problem
    assert "not an orderer of the given OrdererMSP CA" in check.found


def test_a_wrong_trust_anchor_for_the_ledger_is_refused(tmp_path: Path, bundle: Bundle) -> None:
    pem = tmp_path / "key.pem"
    pem.write_bytes(b"-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n")
    check = verify_bundle(bundle, pem.read_bytes())
    assert not check.ok and "ledger kind of the bundle" in check.problem and check.found == "fabric"
    path = write(tmp_path, bundle)
    r = cli(tmp_path, "--bundle", path, "--public-key", str(pem))
    assert r.exit_code == 2 and "give --ca-certs DIR, not --public-key" in r.stderr
    bundle["ledger"]["kind"] = "local"
    r = cli(tmp_path, "--bundle", write(tmp_path, bundle), "--ca-certs", str(CA_DIR))
    assert r.exit_code == 2 and "--ca-certs is for Fabric bundles" in r.stderr


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "no <MSP id>.pem file"),
        ({"CustomsMSP.pem": b"not a certificate"}, "CustomsMSP.pem: not a PEM certificate"),
        ({"CustomsMSP/cacerts/.keep": b""}, "MSP folder"),
        ({"CustomsMSP.pem": None, "CustomsMSP/cacerts/ca.pem": None}, "CustomsMSP is given twice"),
    ],
)
def test_a_bad_ca_folder_is_a_clear_config_error(
    tmp_path: Path, files: dict[str, bytes | None], message: str
) -> None:
    folder = tmp_path / "cas"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes((CA_DIR / "CustomsMSP.pem").read_bytes() if content is None else content)
    with pytest.raises(ConfigError, match=message):
        org_cas_from_dir(folder)
    r = cli(tmp_path, "--bundle", str(DATA / "bundle.json"), "--ca-certs", str(folder))
    assert r.exit_code == 2 and message in r.stderr
