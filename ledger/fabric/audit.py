"""Auditor checks on a Fabric block: pure, offline, given the block bytes and the orgs' CA certificates.

``check_block(block, receipt, org_cas)`` passes only if all of these hold, and otherwise raises
``VerificationError`` saying which check failed, with expected and found:

1. the block's data hash is SHA-256 of its transactions (no transaction was altered in place);
   when ``org_cas`` holds the orderer organisation's CA (``OrdererMSP``), an orderer's signature
   over the block header verifies too (``ledger.fabric.orderer``: the block was cut as number N);
2. the receipt's transaction is in the block, the block number matches the receipt, and the
   block's validation flags mark it VALID;
3. the client's signature on the transaction verifies, and its certificate chains to its org's CA;
4. every endorsement signature (over proposal response payload || endorser) verifies, and each
   endorser's certificate is a ``peer`` issued by its org's CA;
5. the endorsing organisations include every one of ``required_orgs`` (the chaincode's
   AND(PortAuthority, Customs) policy);
6. the endorsed write set of the chaincode stores, under the batch's key, exactly the receipt's
   batch header (id, stream, root, size, time range, previous root).

Every part of the block is parsed through ``ledger.fabric.wire``: one that is not what it should be
(not protobuf, not a PEM certificate, not a JSON object) fails its check by name, like a bad signature.

``org_cas`` maps an MSP id to PEM: one CA certificate, or several (any of them may issue).
The validation flags are the peer's verdict and are not signed: offline, (1)-(6) show that both
organisations endorsed exactly this anchor in this transaction; that it then committed is the
peer's word (online, ``GetAnchor`` returning it confirms).

A proof bundle carries the block bytes (``evidence``) so that ``check_evidence`` runs with no network.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from cryptography import x509
from fabric_protos.common import common_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.peer import proposal_pb2, proposal_response_pb2, transaction_pb2

from cargotrail.contract.records import AnchorReceipt, LedgerKind
from cargotrail.errors import ConfigError, VerificationError
from ledger.fabric.anchor_json import anchor_key, header_from_anchor
from ledger.fabric.identity import has_ou, issued_by, verify
from ledger.fabric.orderer import ORDERER_MSP, check_orderer_signature
from ledger.fabric.wire import decode, identity, json_object

REQUIRED_ORGS = ("PortAuthorityMSP", "CustomsMSP")
# The receipt fields the write set must hold, root first (the one an auditor cares about most).
ANCHORED_FIELDS = ("root", "batch_id", "stream", "size", "prev_root", "first_ts", "last_ts")
_TRANSACTIONS_FILTER = common_pb2.BlockMetadataIndex.TRANSACTIONS_FILTER


@dataclass(frozen=True)
class BlockCheck:
    """What a passed check established."""

    block: int
    tx_index: int
    endorsers: tuple[str, ...]  # MSP ids whose endorsement verified
    anchor: Mapping[str, Any]  # the anchor JSON in the write set
    receipt: AnchorReceipt  # the receipt as the block records it (equal to the one checked)
    ordered_by: str = ""  # the orderer MSP whose block signature verified ("" when not checked)


def _fail(what: str, expected: object, found: object) -> VerificationError:
    return VerificationError(what, expected=str(expected), found=str(found))


def _load_cas(org_cas_pem: Mapping[str, bytes]) -> dict[str, list[x509.Certificate]]:
    out: dict[str, list[x509.Certificate]] = {}
    for msp, pem in org_cas_pem.items():
        try:
            out[msp] = x509.load_pem_x509_certificates(pem)
        except ValueError:
            raise ConfigError(f"CA certificate of {msp}: not a PEM certificate") from None
    return out


def _issuer_problem(
    cert: x509.Certificate, msp_id: str, org_cas: Mapping[str, list[x509.Certificate]]
) -> str:
    """Why ``cert`` does not chain to ``msp_id``'s CA, or "" when it does."""
    cas = org_cas.get(msp_id)
    if not cas:
        return f"no CA certificate of {msp_id} given (issuer {cert.issuer.rfc4514_string()})"
    if issued_by(cert, cas):
        return ""
    return f"issued by {cert.issuer.rfc4514_string()}, not by the given {msp_id} CA"


def check_block(
    block_bytes: bytes,
    receipt: AnchorReceipt,
    org_cas_pem: Mapping[str, bytes],
    *,
    required_orgs: tuple[str, ...] = REQUIRED_ORGS,
    chaincode: str = "anchors",
) -> BlockCheck:
    """Run the module's checks; return what they established or raise ``VerificationError``."""
    where = f"fabric tx {receipt.tx_id} (batch {receipt.batch_id})"
    org_cas = _load_cas(org_cas_pem)
    block = decode(common_pb2.Block, block_bytes, f"{where}: block")
    data_hash = hashlib.sha256(b"".join(block.data.data)).digest()
    if data_hash != block.header.data_hash:
        raise _fail(
            f"{where}: block {block.header.number} data hash", block.header.data_hash.hex(), data_hash.hex()
        )
    ordered_by = ""
    if org_cas.get(ORDERER_MSP):
        ordered_by = check_orderer_signature(block, org_cas[ORDERER_MSP], where)
    if receipt.block is not None and receipt.block != block.header.number:
        raise _fail(f"{where}: block number", receipt.block, block.header.number)

    found = _find_tx(block, receipt.tx_id, where)
    if found is None:
        raise _fail(f"{where}: transaction in block {block.header.number}", receipt.tx_id, "absent")
    index, envelope, payload = found
    flags = (
        block.metadata.metadata[_TRANSACTIONS_FILTER]
        if len(block.metadata.metadata) > _TRANSACTIONS_FILTER
        else b""
    )
    code = flags[index] if index < len(flags) else None
    if code != transaction_pb2.TxValidationCode.VALID:
        raise _fail(f"{where}: validation code", "VALID", _code_name(code))

    signature_header = decode(
        common_pb2.SignatureHeader, payload.header.signature_header, f"{where}: signature header"
    )
    creator_msp, creator = identity(signature_header.creator, f"{where}: client identity")
    if not verify(creator, envelope.payload, envelope.signature):
        raise _fail(f"{where}: client signature ({creator_msp})", "valid", "invalid")
    problem = _issuer_problem(creator, creator_msp, org_cas)
    if problem:
        raise _fail(
            f"{where}: client certificate ({creator_msp})", f"issued by the {creator_msp} CA", problem
        )

    tx = decode(transaction_pb2.Transaction, payload.data, f"{where}: transaction")
    if not tx.actions:
        raise _fail(f"{where}: transaction actions", "a chaincode action", "none")
    action = decode(
        transaction_pb2.ChaincodeActionPayload, tx.actions[0].payload, f"{where}: chaincode action payload"
    ).action
    endorsers = []
    for i, e in enumerate(action.endorsements):
        msp, cert = identity(e.endorser, f"{where}: endorser {i} identity")
        if not verify(cert, action.proposal_response_payload + e.endorser, e.signature):
            raise _fail(f"{where}: endorsement signature of {msp}", "valid", "invalid")
        problem = _issuer_problem(cert, msp, org_cas)
        if problem or not has_ou(cert, "peer"):
            raise _fail(
                f"{where}: endorser certificate ({msp})",
                f"a peer issued by the {msp} CA",
                problem or f"not a peer: {cert.subject.rfc4514_string()}",
            )
        endorsers.append(msp)
    missing = [m for m in required_orgs if m not in endorsers]
    if missing:
        raise _fail(
            f"{where}: endorsement policy AND({', '.join(required_orgs)})",
            "all endorse",
            f"{missing} missing",
        )

    anchor = _written_anchor(action.proposal_response_payload, chaincode, receipt.batch_id, where)
    held = _anchored_receipt(anchor, receipt.tx_id, block.header.number, where)
    shown, written = msgspec.to_builtins(receipt), msgspec.to_builtins(held)
    for key in ANCHORED_FIELDS:
        if shown[key] != written[key]:
            raise _fail(f"{where}: {key} in the write set", shown[key], written[key])
    return BlockCheck(
        block=block.header.number,
        tx_index=index,
        endorsers=tuple(endorsers),
        anchor=anchor,
        receipt=held,
        ordered_by=ordered_by,
    )


def _code_name(code: int | None) -> str:
    """The name of a validation flag: the flags are neither hashed nor signed, so any byte may be there."""
    if code is None:
        return "missing"
    try:
        return str(transaction_pb2.TxValidationCode.Name(code))
    except ValueError:
        return f"unknown code {code}"


def _anchored_receipt(anchor: Mapping[str, Any], tx_id: str, block: int, where: str) -> AnchorReceipt:
    try:
        header = header_from_anchor(anchor)
    except (KeyError, msgspec.ValidationError) as exc:
        raise _fail(
            f"{where}: anchor in the write set", "a whole batch header", f"malformed ({exc})"
        ) from exc
    return header.receipt(ledger=LedgerKind.FABRIC, tx_id=tx_id, block=block)


def _find_tx(
    block: common_pb2.Block, tx_id: str, where: str
) -> tuple[int, common_pb2.Envelope, common_pb2.Payload] | None:
    for index, env_bytes in enumerate(block.data.data):
        part = f"{where}: envelope {index} of block {block.header.number}"
        envelope = decode(common_pb2.Envelope, env_bytes, part)
        payload = decode(common_pb2.Payload, envelope.payload, f"{part}, payload")
        header = decode(common_pb2.ChannelHeader, payload.header.channel_header, f"{part}, channel header")
        if header.tx_id == tx_id:
            return index, envelope, payload
    return None


def _written_anchor(prp_bytes: bytes, chaincode: str, batch_id: str, where: str) -> dict[str, Any]:
    prp = decode(proposal_response_pb2.ProposalResponsePayload, prp_bytes, f"{where}: proposal response")
    cc_action = decode(proposal_pb2.ChaincodeAction, prp.extension, f"{where}: chaincode action")
    if cc_action.chaincode_id.name != chaincode:
        raise _fail(f"{where}: chaincode", chaincode, cc_action.chaincode_id.name)
    key = anchor_key(batch_id)
    for ns in decode(rwset_pb2.TxReadWriteSet, cc_action.results, f"{where}: read-write set").ns_rwset:
        if ns.namespace != chaincode:
            continue
        for w in decode(kv_rwset_pb2.KVRWSet, ns.rwset, f"{where}: {ns.namespace} write set").writes:
            if w.key == key and not w.is_delete:
                return json_object(w.value, f"{where}: anchor~{batch_id} in the write set")
    raise _fail(f"{where}: write set", f"key anchor~{batch_id}", "absent")


def evidence(block_bytes: bytes, org_cas_pem: Mapping[str, bytes]) -> dict[str, Any]:
    """JSON-ready Fabric evidence for a proof bundle: the block and the CA certificates used."""
    return {
        "block": base64.b64encode(block_bytes).decode(),
        "org_cas": {m: p.decode() for m, p in org_cas_pem.items()},
    }


def check_evidence(
    data: Mapping[str, Any], receipt: AnchorReceipt, trusted_cas_pem: Mapping[str, bytes] | None = None
) -> BlockCheck:
    """``check_block`` on bundle evidence (``evidence``'s form).

    Pass the auditor's own CA certificates as ``trusted_cas_pem``: only without them are the
    evidence's copies used, which is fair for evidence this process fetched from its own peer
    but proves nothing about a bundle someone handed over.
    """
    where = f"fabric evidence of batch {receipt.batch_id}"
    try:
        block = base64.b64decode(data["block"], validate=True)
        cas = trusted_cas_pem or {str(m): str(p).encode() for m, p in data["org_cas"].items()}
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise _fail(where, "a base64 block and the org CA certificates", f"malformed ({exc!r})") from exc
    return check_block(block, receipt, cas)
