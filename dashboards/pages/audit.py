"""Audit: anchored batches over time and who endorsed them, a container's trail verified over a range,
uploaded bundles verified."""

from __future__ import annotations

from datetime import UTC, datetime, time

import streamlit as st

from cargotrail.audit import verify_bundle, verify_trail
from cargotrail.contract.records import LedgerKind
from cargotrail.errors import CargotrailError, ConfigError
from dashboards.audit_view import anchored_per_hour, anchors_frame, checks_frame, parse_bundle, trail_summary
from dashboards.common import ledger, org_cas_or_problem, public_key, require_reader, role, settings, store
from dashboards.container_view import container_number
from dashboards.endorsements import endorsed_by_column, endorsement_of, key_fingerprint
from dashboards.roles import may_verify

require_reader()
s = settings()
repo = store(s)
st.title("Audit")
receipts = {a.batch_id: a for a in repo.anchors(limit=100_000)}
anchors = anchors_frame(list(receipts.values()))
key = public_key(s)
cas, cas_problem = org_cas_or_problem(s)  # a bad setting costs Fabric checks only, not the page
signer = key_fingerprint(key) if key else None
anchors["endorsed by"] = [endorsed_by_column(k, signer) for k in anchors["ledger"]]
c1, c2, c3 = st.columns(3)
c1.metric("Anchored batches", f"{len(anchors):,}")
c2.metric("Anchored records", f"{int(anchors['records'].sum()):,}")
c3.metric("Ledger", ", ".join(sorted(set(anchors["ledger"]))) or "-")
st.markdown("**Records anchored per hour**")
st.bar_chart(anchored_per_hour(anchors), y="records", height=220)
st.dataframe(anchors.iloc[::-1].head(200), hide_index=True, width="stretch")

st.subheader("Endorsing organisations")
newest = anchors["batch_id"].iloc[::-1].head(500).tolist()
batch = st.selectbox(
    "Anchored batch (newest first)", newest, index=0 if newest else None, key="endorse_batch"
)
if batch is not None and st.button("Check who endorsed it", key="check_endorsement"):
    receipt = receipts[str(batch)]
    try:
        if cas_problem and receipt.ledger is LedgerKind.FABRIC:  # never the CA copies the ledger hands out
            raise ConfigError(cas_problem)
        found = endorsement_of(ledger(s), receipt, public_pem=key, trusted_cas=cas)
    except CargotrailError as exc:
        st.error(f"Batch {batch}: {exc}")
    else:
        if found.ok:
            st.success(f"Batch {batch} endorsed by {', '.join(found.endorsers)} · {found.identity}")
        else:
            st.error(f"Batch {batch}: endorsement check FAILED: {found.problem}")

if not may_verify(role()):
    st.info(f"The {role()} role may not verify.")
    st.stop()

st.subheader("Verify a container's trail")
with st.form("trail"):
    typed = st.text_input("ISO 6346 container number", key="trail_container")
    first = anchors["first (UTC)"].min() if not anchors.empty else datetime.now(UTC)
    last = anchors["anchored (UTC)"].max() if not anchors.empty else datetime.now(UTC)
    start_day = st.date_input("From (UTC)", value=first.date(), key="trail_from")
    end_day = st.date_input("To (UTC, inclusive)", value=last.date(), key="trail_to")
    submitted = st.form_submit_button("Verify trail", key="verify_trail")
if submitted:
    number = container_number(typed)
    if number is None:
        st.error(f"{typed!r} is not a valid ISO 6346 container number.")
    else:
        start = datetime.combine(start_day, time.min, UTC)
        end = datetime.combine(end_day, time.max, UTC)
        bar = st.progress(0.0, text="verifying…")

        def advance(done: int, total: int) -> None:
            bar.progress(done / total if total else 1.0, text=f"verified {done} of {total} records")

        report = verify_trail(repo, ledger(s), number, start, end, progress=advance)
        bar.progress(1.0, text=f"{report.records} records checked")
        summary = trail_summary(report)
        if report.ok and report.records:
            st.success(
                f"Trail of {number} intact: {report.verified} records in {summary['batches']} batches."
            )
        elif report.ok:
            st.warning(f"No records of {number} in that range.")
        else:
            st.error(
                f"Trail of {number} FAILED: {report.failed} records, "
                f"{summary['chain problems']} chain problems."
            )
            st.dataframe(checks_frame(report.failures), hide_index=True, width="stretch")
        st.json(summary)

st.subheader("Verify a proof bundle")
if cas_problem:
    st.error(f"Fabric bundles cannot be verified: {cas_problem}")
if key is None and cas is None:
    st.caption(
        "No trust anchor to verify bundles with: the local ledger's public key (in the data directory)"
        " or the Fabric organisations' CA certificates (CARGOTRAIL_FABRIC_ORG_CAS)."
    )
else:
    upload = st.file_uploader("Proof bundle (JSON)", type=["json"], key="bundle_upload")
    if upload is not None:
        data, problem = parse_bundle(upload.getvalue())
        if data is None:
            st.error(problem)
        else:
            try:
                check = verify_bundle(data, key, org_cas=cas)
            except CargotrailError as exc:
                st.error(f"Cannot verify this bundle: {exc}")
            else:
                if check.ok:
                    where = f", {check.anchored_in}" if check.anchored_in else ""
                    who = f", endorsed by {', '.join(check.endorsed_by)}" if check.endorsed_by else ""
                    st.success(
                        f"Bundle verified: record {check.record_id} is in batch {check.batch_id}{where}{who}."
                    )
                else:
                    st.error(f"Bundle FAILED: {check.problem}")
