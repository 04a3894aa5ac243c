"""cargotrail control tower (Streamlit multipage): tower, alerts, container, audit, feeds and zones.

Run by ``cargotrail demo`` (or ``streamlit run dashboards/app.py``); reads the store the settings
name (the SQLite file in CARGOTRAIL_DATA_DIR by default, PostgreSQL when CARGOTRAIL_STORE_URL is
set). The sidebar's role stands in for the API's token roles until SSO: operators triage, auditors
read and verify, integrators only ingest (they see nothing here), admins do everything (and alone
edit the zones).
"""

from __future__ import annotations

import streamlit as st

from dashboards.common import has_data, settings, sidebar_identity
from dashboards.roles import may_read

st.set_page_config(page_title="cargotrail control tower", page_icon="🚢", layout="wide")

PAGES = [
    st.Page("pages/tower.py", title="Control tower", icon="🗺️", default=True),
    st.Page("pages/alerts.py", title="Alerts", icon="🚨"),
    st.Page("pages/container.py", title="Container", icon="📦"),
    st.Page("pages/audit.py", title="Audit", icon="🔏"),
    st.Page("pages/feeds.py", title="Feeds", icon="📡"),
    st.Page("pages/zones.py", title="Zones", icon="🧭"),
]

s = settings()
_, role = sidebar_identity()
if not has_data(s):
    st.title("cargotrail control tower")
    st.info(f"No data yet in {s.data_dir}. Start `cargotrail demo` or `cargotrail run`.")
    st.stop()
if not may_read(role):
    st.title("cargotrail control tower")
    st.warning(f"The {role} role only ingests readings: it may not read the control tower.")
    st.stop()
st.navigation(PAGES).run()
