"""The organisations' CA certificates an auditor trusts, read from files (no network).

Two forms, both mapping an MSP id to PEM (one or more CA certificates):

- ``parse_org_cas("MSP1=/path/ca.pem,MSP2=/path/ca.pem")``: the ``CARGOTRAIL_FABRIC_ORG_CAS`` setting;
- ``org_cas_from_dir(folder)``: what an auditor is handed by each organisation, one entry per
  organisation named by its MSP id: a certificate file ``<MSP id>.pem``, or the organisation's
  public MSP folder ``<MSP id>/`` (its CA certificates in ``cacerts/*.pem``, as Fabric lays it out).
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from cargotrail.errors import ConfigError

_SETTING = "CARGOTRAIL_FABRIC_ORG_CAS"


def _checked(pem: bytes, what: str) -> bytes:
    try:
        x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise ConfigError(f"CA certificate {what}: not a PEM certificate") from None
    return pem


def parse_org_cas(spec: str) -> dict[str, bytes]:
    """``"MSP1=/path/ca.pem,MSP2=/path/ca.pem"`` -> {MSP id: CA certificate PEM}.

    Raises ``ConfigError`` naming the MSP and the path when a file cannot be read or holds no PEM
    certificate, and for a malformed entry or an MSP given twice.
    """
    out: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        msp, sep, path = (x.strip() for x in part.partition("="))
        if not sep or not msp or not path:
            raise ConfigError(f"{_SETTING}: expected MSP=path entries, found {part!r}")
        if msp in out:
            raise ConfigError(f"{_SETTING}: {msp} is given twice")
        try:
            pem = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"{_SETTING}: cannot read the CA certificate of {msp} at {path}: {exc.strerror or exc}"
            ) from exc
        out[msp] = _checked(pem, f"of {msp} at {path} ({_SETTING})")
    return out


def _msp_folder_cas(folder: Path) -> bytes:
    certs = sorted((folder / "cacerts").glob("*.pem"))
    if not certs:
        raise ConfigError(f"MSP folder {folder}: no CA certificate in cacerts/")
    return b"".join(_checked(c.read_bytes(), str(c)) for c in certs)


def org_cas_from_dir(folder: str | Path) -> dict[str, bytes]:
    """{MSP id: PEM} from ``folder`` (see the module docstring); ``ConfigError`` naming what is wrong."""
    d = Path(folder)
    if not d.is_dir():
        raise ConfigError(f"CA certificates folder {d}: not a folder")
    out: dict[str, bytes] = {}
    try:
        for entry in sorted(d.iterdir()):
            if entry.is_file() and entry.suffix == ".pem":
                msp, pem = entry.stem, _checked(entry.read_bytes(), str(entry))
            elif entry.is_dir() and (entry / "cacerts").is_dir():
                msp, pem = entry.name, _msp_folder_cas(entry)
            else:
                continue
            if msp in out:
                raise ConfigError(f"CA certificates folder {d}: {msp} is given twice ({msp}.pem and {msp}/)")
            out[msp] = pem
    except OSError as exc:
        raise ConfigError(f"CA certificates folder {d}: {exc}") from exc
    if not out:
        raise ConfigError(
            f"CA certificates folder {d}: no <MSP id>.pem file and no <MSP id>/cacerts/*.pem MSP folder"
        )
    return out
