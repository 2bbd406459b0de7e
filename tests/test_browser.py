"""One real-browser run of the app: quick preset → run → Mapping page, move τ, download
mapping.json. Screenshots of every page go to $MHLM_SCREENSHOTS (default: a tmp dir)."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mhlm_core.mapping.schema import validate_mapping

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
BACKBONE = os.environ.get("MHLM_BROWSER_BACKBONE", "mlp")

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url, proc, timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("streamlit did not start")


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {**os.environ, "MHLM_CACHE": str(tmp_path / "cache"), "MHLM_THREADS": os.environ.get("MHLM_THREADS", "1")}
    log = open(tmp_path / "streamlit.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false",
                             "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def settle(page):
    """Wait until the app stopped running and the charts are drawn."""
    page.wait_for_timeout(500)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)
    page.wait_for_timeout(1000)


def shoot(page, path):
    """A screenshot of the whole page (Streamlit scrolls inside its own container)."""
    height = page.evaluate("Math.max(...[...document.querySelectorAll('[data-testid=stMain] *')]"
                           ".slice(0, 1).map(e => e.scrollHeight), document.body.scrollHeight)")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 6000)})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    page.wait_for_timeout(300)


def goto(page, name):
    page.locator('[data-testid="stSidebar"] a', has_text=name).first.click()
    page.wait_for_selector(f'h1:has-text("{name}")', timeout=60_000)
    settle(page)


def metric(page, label):
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_quick_run_map_and_download(server, tmp_path):
    from playwright.sync_api import sync_playwright
    shots = Path(os.environ.get("MHLM_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            ctx = browser.new_context(viewport={"width": 1500, "height": 950}, accept_downloads=True)
            page = ctx.new_page()
            page.goto(server)
            page.wait_for_selector('h1:has-text("Experiment")', timeout=60_000)
            page.locator('.st-key-backbone label', has_text=BACKBONE).first.click()
            page.locator(".st-key-quick button").first.click()
            settle(page)
            page.locator(".st-key-run button").first.click()
            page.wait_for_selector("text=trained and deployed", timeout=150_000)
            settle(page)
            shoot(page, shots / "experiment.png")

            goto(page, "Training")
            shoot(page, shots / "training.png")

            goto(page, "Mapping")
            before = metric(page, "Shared prefix k*")
            # the thumb: role=slider (Streamlit >= 1.5x renders an <input type=range>, an implicit slider role)
            thumb = page.locator(".st-key-tau").get_by_role("slider")
            after = before
            for key in ("End", "Home"):
                thumb.focus()
                thumb.press(key)
                deadline = time.time() + 20
                while after == before and time.time() < deadline:
                    page.wait_for_timeout(300)
                    after = metric(page, "Shared prefix k*")
                if after != before:
                    break
            assert after != before, f"shared prefix stayed {before} after moving τ"
            # for the screenshot: from τ = 0 step up until some, not all, layers are shared
            thumb.focus()
            thumb.press("Home")
            for _ in range(12):
                page.wait_for_timeout(700)
                if metric(page, "Shared prefix k*").split(" /")[0] not in ("0", "1"):
                    break
                thumb.press("PageUp")
            after = metric(page, "Shared prefix k*")
            settle(page)
            shoot(page, shots / "mapping.png")

            with page.expect_download() as dl:
                page.locator(".st-key-download button").first.click()
            doc = json.loads(Path(dl.value.path()).read_text())
            validate_mapping(doc)
            assert f"{doc['summary']['shared_prefix']} /" in after

            goto(page, "Results")
            shoot(page, shots / "results.png")
        except Exception:
            page.screenshot(path=str(shots / "failure.png"))
            (shots / "failure.html").write_text(page.content())
            raise
        finally:
            browser.close()
