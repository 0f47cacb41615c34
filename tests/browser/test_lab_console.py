"""The lab's console in a real browser: Debian's Chromium driven by Playwright, against the real server (uvicorn on a
free port) and the tests' real Redis.

Sign in, see a new order in the queue, open it, start it, print the batch sheet (A4, with the drawdown's targets over
the chart's black and white) and the bottle label (62 × 40 mm) to PDF, be asked by the browser what a reading was
measured over, enter a failing QC over black and see the correction, remake the batch, enter a passing QC by uploading
an instrument export, mark it ready and see the fulfilment event queued. Every page is screenshotted; the paths are
printed. Skips only when ``/usr/bin/chromium`` is absent (``make test`` installs it where apt can).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from pypdf import PdfReader

from api.storage.ids import partition_of_id
from api.storage.keys import outbox_key
from api.web.tokens import Role, mint_token
from infra.redis_server import free_tcp_port
from tests.api.orders.helpers import ADDRESS
from tests.conftest import TEST_SECRET
from tests.servers import wait_until_ready

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium as root, headless, with nothing that reaches for the network (the machine has none).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
STARTUP_TIMEOUT_S = 60
STAFF, PASSWORD = "lab-e2e", "bench two, shelf four"
MM_PER_PT = 25.4 / 72
READING = {"source": "instrument", "instrument": "e2e", "consent": "2026-01", "lab": {"L": 58, "a": 12, "b": 17}}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (make test installs it with apt-get; apt was unavailable here)",
    ),
]


def _environment(redis_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONEMATCH_") and k != "REDIS_URL"}
    return env | {"REDIS_URL": redis_url, "TONEMATCH_SECRET_KEY": TEST_SECRET, "TONEMATCH_DATA_DIR": str(data_dir),
                  "TONEMATCH_ENVIRONMENT": "test", "TONEMATCH_LOG_FORMAT": "text"}  # fmt: skip


@pytest.fixture
def server(redis_url: str, tmp_path: Path) -> Iterator[str]:
    """``uvicorn api.app:create_app`` on a free loopback port, with the tests' Redis; its base URL."""
    env = _environment(redis_url, tmp_path / "var")
    added = subprocess.run(
        [sys.executable, "-m", "api.cli", "lab-staff", "add", STAFF, "--password-stdin"],
        input=PASSWORD + "\n", env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    port = free_tcp_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--lifespan", "on", "--no-access-log"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, base, STARTUP_TIMEOUT_S)
        yield base
    finally:
        process.terminate()
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _token(role: Role, subject: str | None = None) -> dict[str, str]:
    token = mint_token(secret=TEST_SECRET, issuer="tonematch", role=role, subject=subject, ttl_seconds=600)
    return {"Authorization": f"Bearer {token}"}


def _new_order(base: str) -> tuple[str, dict[str, float]]:
    """A customer measures, matches and orders through the JSON API: the order id and its batch target over the
    opacity chart's black."""
    customer = _token(Role.CUSTOMER, "cus_browser")
    measured = httpx.post(f"{base}/v1/measurements/", json=READING, headers=customer).json()["id"]
    formulation = httpx.post(f"{base}/v1/matches/", json={"measurement_id": measured}, headers=customer,
                             timeout=60).json()["id"]  # fmt: skip
    body = {"formulation_id": formulation, "size_g": 30, "quantity": 1, "shipping": ADDRESS}
    order = httpx.post(f"{base}/v1/orders/", json=body, headers={**customer, "Idempotency-Key": str(uuid.uuid4())})
    assert order.status_code == 201, order.text
    sheet = httpx.get(f"{base}/v1/lab/formulations/{formulation}?size_g=30", headers=_token(Role.LAB)).json()
    return order.json()["id"], sheet["target_over_black_lab"]


def _pdf_size_mm(path: Path) -> tuple[float, float, str]:
    reader = PdfReader(path)
    box = reader.pages[0].mediabox
    text = "".join(page.extract_text() for page in reader.pages)
    return round(float(box.width) * MM_PER_PT), round(float(box.height) * MM_PER_PT), text


def _unlabelled_inputs(page: object) -> list[str]:
    script = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)"""
    result: list[str] = page.evaluate(script)  # type: ignore[attr-defined]
    return result


def test_a_lab_shift_in_the_browser(server: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = tmp_path_factory.mktemp("lab-console-screens")
    order_id, target = _new_order(server)
    paths: list[Path] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(30_000)

        def shot(name: str) -> None:
            paths.append(shots / f"{len(paths) + 1:02d}-{name}.png")
            page.screenshot(path=paths[-1], full_page=True)
            assert _unlabelled_inputs(page) == [], name
            text = page.inner_text("body")  # what a person sees (the random tokens in the HTML could hold "KR")
            for value in ADDRESS.values():  # the lab never sees a name or an address
                assert value not in text, (name, value)

        page.goto(f"{server}/lab/")
        expect(page).to_have_url(f"{server}/lab/login")
        shot("sign-in")
        page.get_by_label("Name").fill(STAFF)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("do not match a lab account")
        shot("sign-in-refused")
        page.get_by_label("Name").fill(STAFF)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")  # the keyboard is enough
        expect(page.get_by_role("heading", name="Production queue")).to_be_visible()
        expect(page.locator('[data-count-for="received"]')).to_have_text("1")
        shot("queue")

        page.get_by_role("link", name=order_id).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(order_id)
        page.get_by_role("button", name="Start production").click()
        expect(page.locator(".status")).to_have_text("In production")
        shot("order-in-production")

        page.get_by_role("link", name="Batch sheet for printing (A4)").click()
        expect(page.get_by_role("heading", name="Batch sheet")).to_be_visible()
        shot("batch-sheet")
        page.pdf(path=shots / "batch-sheet.pdf", prefer_css_page_size=True, print_background=True)
        width, height, text = _pdf_size_mm(shots / "batch-sheet.pdf")
        assert (width, height) == (210, 297)
        assert order_id in text
        assert "Over black" in text
        assert "Over white" in text
        assert "75 µm" in text
        assert "Print the batch sheet" not in text  # the screen's tool bar is not printed
        assert len(PdfReader(shots / "batch-sheet.pdf").pages) == 1
        page.get_by_role("link", name="Back to the order").click()

        page.get_by_role("link", name="Bottle label for printing (62 × 40 mm)").click()
        shot("bottle-label")
        page.pdf(path=shots / "bottle-label.pdf", prefer_css_page_size=True, print_background=True)
        width, height, text = _pdf_size_mm(shots / "bottle-label.pdf")
        assert (width, height) == (62, 40)
        assert len(PdfReader(shots / "bottle-label.pdf").pages) == 1
        page.get_by_role("link", name="Back to the order").click()

        bad = shots / "two-readings.csv"
        bad.write_text("L*,a*,b*\n60,12,18\n61,12,18\n")
        page.get_by_label("Or upload the spectrophotometer's export").set_input_files(bad)
        page.get_by_role("button", name="Record quality check").click()  # the browser asks what it was over first
        assert page.evaluate("document.getElementById('over').validity.valueMissing")
        page.get_by_label("Measured over", exact=True).select_option("black")
        page.get_by_role("button", name="Record quality check").click()
        expect(page.get_by_role("alert")).to_contain_text("holds 2 measurement rows")
        expect(page.get_by_label("Measured over", exact=True)).to_have_value("black")  # kept for the next try
        expect(page.locator(".status")).to_have_text("In production")
        shot("qc-upload-refused")

        page.get_by_label("Batch id").fill(f"{order_id[-6:]}-1")
        page.get_by_label("L*").fill(f"{target['L'] - 4:.2f}")
        page.get_by_label("a*").fill(f"{target['a'] + 2:.2f}")
        page.get_by_label("b*").fill(f"{target['b'] - 3:.2f}")
        page.get_by_role("button", name="Record quality check").click()
        expect(page.locator(".status")).to_have_text("QC failed")
        expect(page.locator("#correction")).to_be_visible()
        expect(page.get_by_text("drawdown over the chart's black half")).to_be_visible()
        expect(page.get_by_text("display only", exact=False).first).to_be_visible()
        shot("qc-failed-correction")

        page.get_by_role("button", name="Remake the batch (rework)").click()
        expect(page.locator(".status")).to_have_text("In production")
        export = shots / "drawdown.csv"
        export.write_text(f"Sample;L*;a*;b*;Illuminant;Observer\nB2;{target['L']};{target['a']};{target['b']};D65;2\n")
        page.get_by_label("Batch id").fill(f"{order_id[-6:]}-2")
        page.get_by_label("Measured over", exact=True).select_option("black")
        page.get_by_label("Or upload the spectrophotometer's export").set_input_files(export)
        page.get_by_role("button", name="Record quality check").click()
        expect(page.locator(".status")).to_have_text("QC passed")
        shot("qc-passed")

        page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => { e.value = 'forged'; })")
        page.get_by_role("button", name="Mark ready to ship").click()
        expect(page.get_by_role("heading", name="This form cannot be accepted")).to_be_visible()
        shot("csrf-refused")
        page.goto(f"{server}/lab/orders/{order_id}")
        expect(page.locator(".status")).to_have_text("QC passed")
        page.get_by_role("button", name="Mark ready to ship").click()
        expect(page.locator(".status")).to_have_text("Ready to ship")
        expect(page.locator("#ready-event")).to_contain_text(f"evt_{order_id}_ready_to_ship")
        shot("ready-to-ship")

        page.goto(f"{server}/lab/?status=ready_to_ship")
        expect(page.get_by_role("link", name=order_id)).to_be_visible()
        shot("queue-ready-to-ship")
        browser.close()

    client = redis.Redis.from_url(redis_url)
    entries = client.xrange(outbox_key(partition_of_id(order_id) or 0))
    events = [json.loads(fields[b"event"]) for _, fields in entries]
    assert [(e["id"], e["type"]) for e in events] == [(f"evt_{order_id}_ready_to_ship", "order.ready_to_ship")]
    client.close()
    backlog = httpx.get(f"{server}/v1/admin/webhooks/outbox", headers=_token(Role.ADMIN)).json()
    assert backlog["pending"] == 1
    print("\nlab console screenshots:\n" + "\n".join(str(p) for p in paths))
    assert all(re.search(r"\d\d-[a-z-]+\.png$", p.name) and p.stat().st_size > 0 for p in paths)
