"""The auditor's CA certificates from the CARGOTRAIL_FABRIC_ORG_CAS setting (files only, no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cargotrail.errors import ConfigError
from ledger.fabric.trust import parse_org_cas

CA_DIR = Path(__file__).parent / "data" / "ca"


def test_each_msp_gets_the_pem_of_its_file() -> None:
    spec = f" PortAuthorityMSP = {CA_DIR / 'PortAuthorityMSP.pem'} ,, CustomsMSP={CA_DIR / 'CustomsMSP.pem'},"
    assert parse_org_cas(spec) == {
        "PortAuthorityMSP": (CA_DIR / "PortAuthorityMSP.pem").read_bytes(),
        "CustomsMSP": (CA_DIR / "CustomsMSP.pem").read_bytes(),
    }
    assert parse_org_cas("") == {}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("CustomsMSP", "expected MSP=path entries, found 'CustomsMSP'"),
        ("=/ca.pem", "expected MSP=path entries, found '=/ca.pem'"),
        ("CustomsMSP=", "expected MSP=path entries, found 'CustomsMSP='"),
        ("CustomsMSP={missing}", "cannot read the CA certificate of CustomsMSP at {missing}: No such file"),
        ("CustomsMSP={tmp}", "cannot read the CA certificate of CustomsMSP at {tmp}: Is a directory"),
        ("CustomsMSP={key}", "CA certificate of CustomsMSP at {key} (CARGOTRAIL_FABRIC_ORG_CAS): not a PEM"),
        (
            "CustomsMSP={empty}",
            "CA certificate of CustomsMSP at {empty} (CARGOTRAIL_FABRIC_ORG_CAS): not a PEM",
        ),
        ("CustomsMSP={ca},CustomsMSP={ca}", "CustomsMSP is given twice"),
    ],
)
def test_a_bad_setting_is_a_config_error_naming_the_msp_and_the_path(
    tmp_path: Path, spec: str, message: str
) -> None:
    (tmp_path / "key.pem").write_bytes(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    (tmp_path / "empty.pem").write_bytes(b"")
    paths = {
        "missing": tmp_path / "missing.pem",
        "tmp": tmp_path,
        "key": tmp_path / "key.pem",
        "empty": tmp_path / "empty.pem",
        "ca": CA_DIR / "CustomsMSP.pem",
    }
    with pytest.raises(ConfigError) as exc:
        parse_org_cas(spec.format(**paths))
    assert "CARGOTRAIL_FABRIC_ORG_CAS" in str(exc.value)
    assert message.format(**paths) in str(exc.value)
