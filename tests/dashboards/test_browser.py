"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, against a seeded run.

``make browser-up`` (deploy/chromium.mk) installs /usr/bin/chromium; Playwright never downloads a browser.
The browser reaches 127.0.0.1 only, as a control room on an isolated network: every other request is
refused and kept in ``blocked`` (basemap tiles may fail; the app's own scripts and styles must not).
Screenshots go to tests/screenshots/ (git-ignored).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect, sync_playwright

from cargotrail.audit import export_bundle
from cargotrail.contract.carriers import carrier_of
from dashboards.endorsements import key_fingerprint
from ledger.local import LocalLedger
from store.sqlite import SqliteStore
from tests.dashboards.conftest import APP, seed

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[1] / "screenshots"
WAIT_MS = 60_000
FABRIC_DATA = Path(__file__).resolve().parents[1] / "ledger" / "fabric" / "data"  # a real bundle
FABRIC_CAS = FABRIC_DATA / "ca"
BASEMAP_HOSTS = {"tile.openstreetmap.org", "basemaps.cartocdn.com"}  # blank offline; everything else is local


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return seed(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def server(data_dir) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", APP, "--server.headless=true"]
    cmd += [f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"]
    cmd += ["--server.fileWatcherType=none"]
    # The auditor's copies of the Fabric organisations' CAs (those of the captured bundle): bundles
    # from both ledgers verify on the Audit page.
    cas = ",".join(f"{pem.stem}={pem}" for pem in sorted(FABRIC_CAS.glob("*.pem")))
    env = {**os.environ, "CARGOTRAIL_DATA_DIR": str(data_dir), "CARGOTRAIL_FABRIC_ORG_CAS": cas}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("streamlit did not answer its health check")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def blocked() -> list[tuple[str, str]]:
    """(resource type, URL) of every request the browser tried beyond 127.0.0.1."""
    return []


@pytest.fixture(scope="module")
def page(server, blocked) -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-up` (apt-get install chromium)")
    SHOTS.mkdir(exist_ok=True)

    def local_only(route: Route) -> None:
        request = route.request
        if urlsplit(request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append((request.resource_type, request.url))
            route.abort("internetdisconnected")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.route("**/*", local_only)
        tab = context.new_page()
        tab.set_default_timeout(WAIT_MS)
        # The server's first session registers the pages (st.navigation) and drops a widget change made
        # during it; open it once so that every test starts in a settled app.
        tab.goto(server)
        visible(tab, "Containers tracked")
        yield tab
        browser.close()


def visible(page: Page, text: str) -> None:
    expect(page.get_by_text(text).first).to_be_visible(timeout=WAIT_MS)


def test_the_control_tower(page, server):
    page.goto(server)
    visible(page, "Containers tracked")
    visible(page, "Alert queue")
    page.screenshot(path=SHOTS / "tower.png", full_page=True)


def test_an_operator_acknowledges_an_alert(page, server):
    page.goto(f"{server}/alerts")
    visible(page, "Enter your name")
    page.get_by_label("Operator name").fill("Ada Browser")
    page.get_by_label("Operator name").press("Enter")
    page.get_by_role("button", name="Acknowledge").click()
    visible(page, "acknowledged by Ada Browser.")
    page.screenshot(path=SHOTS / "alerts.png", full_page=True)


def test_a_record_is_verified_on_the_container_page(page, server, data_dir):
    number = SqliteStore(data_dir / "cargotrail.sqlite").latest_positions()[0].container_id
    page.goto(f"{server}/container?container={number}")
    visible(page, f"{number}: ")
    visible(page, "Milestones (DCSA equipment events)")
    page.get_by_role("button", name="Verify").first.click()
    visible(page, "verified in batch ")
    page.screenshot(path=SHOTS / "container.png", full_page=True)


def test_an_uploaded_bundle_is_verified_on_the_audit_page(page, server, data_dir, tmp_path):
    store = SqliteStore(data_dir / "cargotrail.sqlite")
    number = store.latest_positions()[0].container_id
    rid = store.records_for(number, 0.0, float("inf"))[0].record_id
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(export_bundle(store, LocalLedger(data_dir / "ledger"), rid)))
    page.goto(f"{server}/audit")
    visible(page, "Anchored batches")
    page.locator("input[type=file]").set_input_files(str(bundle))
    visible(page, f"Bundle verified: record {rid}")
    page.screenshot(path=SHOTS / "audit.png", full_page=True)


def test_an_uploaded_fabric_bundle_is_verified_with_its_endorsements(page, server):
    bundle = json.loads((FABRIC_DATA / "bundle.json").read_text())
    page.goto(f"{server}/audit")
    visible(page, "Anchored batches")
    page.locator("input[type=file]").set_input_files(str(FABRIC_DATA / "bundle.json"))
    visible(page, f"Bundle verified: record {bundle['proof']['record_id']}")
    visible(page, "endorsed by PortAuthorityMSP, CustomsMSP")  # in the block's order


def test_the_feeds(page, server):
    page.goto(f"{server}/feeds")
    visible(page, "Devices per source")
    visible(page, "Dead-letter queue")
    page.screenshot(path=SHOTS / "feeds.png", full_page=True)


def as_role(page: Page, server: str, title: str, role: str, name: str) -> None:
    """Sign in on the sidebar (name and role stand in for the API token), then open the page ``title``.

    Through the sidebar's link, not a new URL: a page load is a new session, which forgets the role.
    """
    page.goto(server)
    visible(page, "Containers tracked")
    idle(page)
    page.get_by_role("combobox", name="Role").click()
    page.get_by_role("option", name=role, exact=True).click()
    idle(page)
    expect(page.get_by_role("combobox", name="Role")).to_have_value(role)
    page.get_by_label("Operator name").fill(name)
    page.get_by_label("Operator name").press("Enter")
    idle(page)
    page.get_by_test_id("stSidebar").get_by_role("link", name=title).click()


def idle(page: Page) -> None:
    """Wait until the app has finished its rerun (Streamlit shows a status widget while it runs)."""
    page.wait_for_timeout(1000)  # let the rerun begin: the status widget appears only once it has
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=WAIT_MS)


def test_an_admin_uploads_a_zone_and_sees_it_listed(page, server, tmp_path):
    zone = {
        "type": "Feature",
        "properties": {"id": "BROWSER-GATE", "name": "Browser gate", "type": "customs", "radius_m": 400},
        "geometry": {"type": "Point", "coordinates": [4.05, 51.95]},
    }
    upload = tmp_path / "gate.geojson"
    upload.write_text(json.dumps(zone))
    as_role(page, server, "Zones", "admin", "Ada Admin")
    visible(page, "Upload GeoJSON")
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="Save 1 uploaded zones").click()
    visible(page, "Saved 1 of 1 zones (BROWSER-GATE) by Ada Admin.")
    choose_zone(page, "BROWSER-GATE")
    visible(page, "circle, radius 400 m")
    page.screenshot(path=SHOTS / "zones-admin.png", full_page=True)


def test_an_operator_sees_the_zones_without_edit_controls(page, server):
    as_role(page, server, "Zones", "operator", "Olu Operator")
    visible(page, "only an admin creates, edits or deletes them")
    expect(page.get_by_text("Upload GeoJSON")).to_have_count(0)
    expect(page.locator("input[type=file]")).to_have_count(0)
    page.screenshot(path=SHOTS / "zones-operator.png", full_page=True)


def test_the_container_track_plays_back(page, server, data_dir):
    number = SqliteStore(data_dir / "cargotrail.sqlite").latest_positions()[0].container_id
    page.goto(f"{server}/container?container={number}")
    visible(page, "Play the track")
    first = page.get_by_text(" shown (of ").first.inner_text()
    page.get_by_role("slider").first.focus()
    page.keyboard.press("Home")
    visible(page, "fix 1 of")
    page.get_by_text("Play the track").click()
    expect(page.get_by_text("fix 1 of")).to_have_count(0, timeout=WAIT_MS)  # the step moves on by itself
    assert page.get_by_text(" shown (of ").first.inner_text() != first
    page.screenshot(path=SHOTS / "container-playback.png", full_page=True)


def test_the_audit_page_names_who_endorsed_a_batch(page, server, data_dir):
    fingerprint = key_fingerprint(LocalLedger(data_dir / "ledger").public_key_pem)
    page.goto(f"{server}/audit")
    visible(page, "Endorsing organisations")
    page.get_by_role("button", name="Check who endorsed it").click()
    visible(page, f"endorsed by local ledger signer · Ed25519 {fingerprint}")
    page.screenshot(path=SHOTS / "audit-endorsers.png", full_page=True)


def test_the_tower_filters_by_carrier(page, server, data_dir):
    boxes = SqliteStore(data_dir / "cargotrail.sqlite").latest_positions()
    msc = [p for p in boxes if carrier_of(p.container_id) == "MSC"]
    page.goto(server)
    visible(page, "Containers tracked")
    idle(page)
    page.get_by_role("combobox", name="Carrier").click()
    page.get_by_role("option", name="MSC", exact=True).click()
    page.keyboard.press("Escape")
    tracked = page.get_by_test_id("stMetric").filter(has_text="Containers tracked")
    expect(tracked.get_by_test_id("stMetricValue")).to_have_text(str(len(msc)), timeout=WAIT_MS)
    page.screenshot(path=SHOTS / "tower-carrier.png", full_page=True)


def choose_zone(page: Page, zone_id: str) -> None:
    """Pick ``zone_id`` in the page's Zone box (clicked first: typing alone may leave its list shut)."""
    box = page.locator(".st-key-zone_choice input")
    box.click()
    box.fill(zone_id)
    page.get_by_role("option", name=zone_id).click()


def test_an_admin_draws_a_zone_offline_and_sees_it_listed(page, server, blocked):
    as_role(page, server, "Zones", "admin", "Ada Admin")
    page.get_by_role("tab", name="Draw").click()
    leaflet = page.frame_locator("iframe[title='streamlit_folium.st_folium']")
    leaflet.locator(".leaflet-draw-draw-polygon").click()  # Leaflet.draw's toolbar: served locally
    box = leaflet.locator(".leaflet-container").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    corners = [(x - 60, y - 40), (x + 60, y - 40), (x + 60, y + 40), (x - 60, y + 40)]
    for cx, cy in corners:
        page.mouse.click(cx, cy)
        page.wait_for_timeout(300)  # a vertex a click: faster clicks read as a double click
    page.mouse.click(*corners[0])  # back on the first vertex closes the polygon
    idle(page)
    page.get_by_label("Zone id").fill("BROWSER-DRAWN")
    page.get_by_label("Name", exact=True).fill("Drawn berth")
    page.get_by_role("button", name="Save drawn zone").click()
    visible(page, "Saved 1 of 1 zones (BROWSER-DRAWN) by Ada Admin.")
    choose_zone(page, "BROWSER-DRAWN")
    visible(page, "Drawn berth · type")
    expect(page.get_by_text("· polygon ·").first).to_be_visible()
    page.screenshot(path=SHOTS / "zones-drawn.png", full_page=True)
    # Leaflet and Leaflet.draw came from the dashboard: only basemaps were refused.
    assert {urlsplit(url).hostname for _, url in blocked} <= BASEMAP_HOSTS
