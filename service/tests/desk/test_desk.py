"""The counter desk page (/desk) in a real browser: Debian's Chromium, headless, driven by
Playwright from PyPI (no browser download). Everything is real: the `netid` command makes the
issuer, the registered counter, the resident's wallet and its codes; `netid-verifier` serves the
page on a free port; the camera is Chromium's fake capture device fed a video of a real code.

Run by scripts/desk-test.sh (which builds the binaries, installs Chromium and fonts, and passes
their paths in NETID_BIN, NETID_VERIFIER_BIN, NETID_CHROMIUM and NETID_DESK_ARTEFACTS).
Screenshots of ACCEPTED and REFUSED in English and Chinese are left in NETID_DESK_ARTEFACTS.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect, sync_playwright

NETID = os.environ["NETID_BIN"]
VERIFIER = os.environ["NETID_VERIFIER_BIN"]
CHROMIUM = os.environ.get("NETID_CHROMIUM", "/usr/bin/chromium")
ARTEFACTS = Path(os.environ.get("NETID_DESK_ARTEFACTS", "target/desk-artefacts"))
CLAIMS = Path(__file__).resolve().parents[3] / "cli/tests/vectors/resident-id.json"
PASSPHRASE = "correct horse battery"
NAME = "李秀英"
ID_NUMBER = "11010519491231002X"
ADDRESS = "北京市朝阳区建国路88号"

# The probe's flags for Chromium on this machine: no sandbox as root, and no background
# connections (the network is closed; they would only be refused).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def run(args, env=None, check=True):
    full_env = dict(os.environ)
    full_env.pop("NETID_HOME", None)
    full_env.update(env or {})
    done = subprocess.run(args, capture_output=True, text=True, env=full_env, timeout=120)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class World:
    """A development issuer, a registered counter `desk-1` (hotel and gov), a wallet holding the
    resident ID, and netid-verifier serving the desk on localhost."""

    def __init__(self, root: Path):
        self.home = root / "home"
        self.home.mkdir()
        run([NETID, "--home", str(self.home), "issuer", "keygen"])
        counter_dir = self.home / "counter-desk-1"
        registered = json.loads(run([
            NETID, "--home", str(self.home), "--json", "issuer", "register-counter",
            "--id", "desk-1", "--name-zh", "锦江之星", "--name-en", "Jinjiang Inn",
            "--purpose", "hotel", "--purpose", "gov", "--keeps-days", "30",
            "--out", str(counter_dir),
        ]).stdout)
        assert registered["counter_id"] == "desk-1"
        self.wallet(["init"])
        claims = self.home / "claims.json"
        shutil.copy(CLAIMS, claims)
        enrolled = json.loads(self.wallet(["enrol", "--doctype", "resident-id", "--claims", str(claims)]).stdout)
        claims.unlink()
        self.document = enrolled["id"]

        config = self.home / "verifier.toml"
        init = run([VERIFIER, "config", "init", "--netid-home", str(self.home), "--out", str(config)])
        self.token = init.stdout.strip().splitlines()[-1]
        text = config.read_text()
        # The one [[counter]] of `config init` becomes the registered counter.
        text, count = re.subn(
            r'(token_sha256 = "[0-9a-f]{64}")',
            r'\1\nregistered = { certificate = "counter-desk-1/certificate.cbor", key = "counter-desk-1/counter-key.pem" }',
            text,
        )
        assert count == 1, text
        # Codes made in the first skew after the start are refused (replay-cache-reset: they may
        # predate the in-process cache's memory); 1 s keeps that wait short.
        assert "skew_seconds = 30" in text
        config.write_text(text.replace("skew_seconds = 30", "skew_seconds = 1"))
        self.port = free_port()
        self.base = f"http://localhost:{self.port}"
        self.log = open(root / "verifier.log", "w")
        self.server = subprocess.Popen(
            [VERIFIER, "--config", str(config), "--listen", f"127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("netid-verifier did not start: " + (root / "verifier.log").read_text())
            time.sleep(0.1)
        # Past the replay memory's start + the 1 s skew, at whole-second code timestamps.
        time.sleep(2.1)

    def wallet(self, args):
        return run(
            [NETID, "--home", str(self.home), "--json", "wallet", "--key-store", "passphrase", *args],
            env={"NETID_PASSPHRASE": PASSPHRASE, "NETID_AUTH": "allow"},
        )

    def code(self, purpose="hotel", png=None):
        """A fresh code of the resident for `purpose`, as the phone would show it."""
        args = ["qr", self.document, "--purpose", purpose]
        if png is not None:
            args += ["--png", str(png)]
        return json.loads(self.wallet(args).stdout)["text"]

    def answer(self, request):
        """The wallet's answer to a counter's signed request."""
        return json.loads(self.wallet(["qr", self.document, "--request", request]).stdout)["text"]

    def stop(self):
        self.server.terminate()
        self.server.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def world():
    with tempfile.TemporaryDirectory() as root:
        w = World(Path(root))
        yield w
        w.stop()


@pytest.fixture(scope="module")
def playwright():
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    b = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


def sign_in(page, world, purpose="hotel"):
    page.goto(f"{world.base}/desk")
    page.fill("#token", world.token)
    page.press("#token", "Enter")
    expect(page.locator("#scan")).to_be_focused(timeout=10_000)
    # The desk remembers the counter's last purpose across sign-ins; each test starts from its own.
    if page.locator("#purpose").input_value() != purpose:
        choose_purpose(page, purpose)
        page.focus("#scan")


def choose_purpose(page, purpose):
    with page.expect_response("**/desk/api/settings") as answer:
        page.select_option("#purpose", purpose)
    assert answer.value.ok


def scan(page, text):
    """What a USB scanner does: type the code into the focused field, then Enter."""
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def shot(page, name):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def browser_storage(page):
    return page.evaluate(
        """async () => ({
            local: localStorage.length,
            session: sessionStorage.length,
            indexed: (await indexedDB.databases()).length,
            url: location.href,
        })"""
    )


def test_without_a_session_the_desk_is_the_sign_in_page(world, browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(f"{world.base}/desk")
    expect(page.locator("h1")).to_have_text("Sign in this desk")
    expect(page.locator("#scan")).to_have_count(0)
    # The API refuses a browser without a session, even with the page's headers.
    answer = page.evaluate(
        """async () => {
            const r = await fetch('/desk/api/verify', {method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-Netid-Csrf': 'x'},
                body: JSON.stringify({qr: 'NID1:AAAA'})});
            return {status: r.status, body: await r.json()};
        }"""
    )
    assert answer["status"] == 401 and answer["body"]["error"]["kind"] == "no-session"
    # A wrong token is refused on the page, and sets no cookie.
    page.fill("#token", "not-the-token")
    page.press("#token", "Enter")
    expect(page.locator("#sign-in-error")).to_contain_text("not a counter token")
    assert context.cookies() == []
    context.close()


def test_scanner_path_accepts_a_fresh_code_and_refuses_it_again_and_a_changed_one(world, browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    responses = []
    page.on("response", lambda r: responses.append(r))
    sign_in(page, world)
    cookie = next(c for c in context.cookies() if c["name"] == "__Host-netid-desk")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["secure"]

    code = world.code()
    scan(page, code)
    result = page.locator("#result")
    expect(result).to_have_class("accepted")
    expect(page.locator("#verdict")).to_have_text("ACCEPTED")
    expect(result).to_contain_text(NAME)
    expect(result).to_contain_text(ID_NUMBER)
    expect(result).to_contain_text("Name")
    expect(result).to_contain_text(re.compile(r"This screen clears in \d+ s"))
    expect(page.locator("#announce")).to_have_text("ACCEPTED")
    # The scanner's field is empty again and still focused, ready for the next code.
    expect(page.locator("#scan")).to_have_value("")
    expect(page.locator("#scan")).to_be_focused()
    shot(page, "accepted-en")

    scan(page, code)
    expect(result).to_have_class("refused")
    expect(page.locator("#verdict")).to_have_text("REFUSED")
    expect(result.locator(".kind")).to_have_text("replayed")
    expect(result.locator(".reason")).to_contain_text("Already used")
    expect(result).not_to_contain_text(NAME)
    shot(page, "refused-en")

    fresh = world.code()
    middle = len(fresh) // 2
    changed = fresh[:middle] + ("A" if fresh[middle] != "A" else "B") + fresh[middle + 1:]
    scan(page, changed)
    expect(result).to_have_class("refused")
    expect(result.locator(".kind")).not_to_have_text("replayed")
    expect(result).not_to_contain_text(NAME)

    # Every answer carrying personal data is no-store, and every desk answer carries the CSP.
    desk = [r for r in responses if "/desk" in r.url]
    assert any("/desk/api/verify" in r.url for r in desk)
    for r in desk:
        headers = r.all_headers()
        assert "script-src 'self' 'wasm-unsafe-eval'" in headers["content-security-policy"], r.url
        csp = headers["content-security-policy"]
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        if "/desk/assets/" not in r.url and "/desk/i18n/" not in r.url:
            assert headers["cache-control"] == "no-store", r.url
    storage = browser_storage(page)
    assert storage == {"local": 0, "session": 0, "indexed": 0, "url": f"{world.base}/desk"}, storage
    context.close()


def test_personal_data_leaves_the_dom_after_60_seconds(world, browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.clock.install()
    sign_in(page, world)
    scan(page, world.code())
    expect(page.locator("#result")).to_contain_text(NAME)
    page.clock.fast_forward(59_000)
    expect(page.locator("#result")).to_contain_text(NAME)
    page.clock.fast_forward(2_000)
    expect(page.locator("#result")).to_be_hidden()
    html = page.content()
    for value in (NAME, ID_NUMBER, "1949"):
        assert value not in html, f"{value} is still in the DOM"
    assert page.locator("#scan").input_value() == ""
    assert page.locator("#announce").inner_text() == ""
    storage = browser_storage(page)
    assert storage["local"] == 0 and storage["session"] == 0 and storage["indexed"] == 0
    assert NAME not in storage["url"] and "NID" not in storage["url"]
    context.close()


def test_the_next_scan_clears_the_previous_result(world, browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, world)
    scan(page, world.code())
    expect(page.locator("#result")).to_contain_text(NAME)
    page.keyboard.type("NOT A CODE")
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_have_class("refused")
    assert NAME not in page.content()
    page.keyboard.press("Escape")
    expect(page.locator("#result")).to_be_hidden()
    context.close()


def test_chinese_desk_says_it_in_chinese(world, browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{world.base}/desk")
    expect(page.locator("h1")).to_have_text("核验台登录")
    page.fill("#token", world.token)
    page.press("#token", "Enter")
    expect(page.locator("#scan-label")).to_have_text("扫描住客的核验码")
    code = world.code()
    scan(page, code)
    result = page.locator("#result")
    expect(page.locator("#verdict")).to_have_text("核验通过")
    expect(result).to_contain_text("姓名")
    expect(result).to_contain_text("公民身份号码")
    expect(result).to_contain_text(NAME)
    expect(result).to_contain_text(re.compile(r"本页面将在 \d+ 秒后清除"))
    shot(page, "accepted-zh-CN")
    scan(page, code)
    expect(page.locator("#verdict")).to_have_text("核验未通过")
    reason = result.locator(".reason").inner_text()
    assert re.search(r"[\u4e00-\u9fff]", reason), f"the reason is not in Chinese: {reason}"
    shot(page, "refused-zh-CN")
    # The switch turns the same page to English, and the choice stays with the session.
    page.keyboard.press("Escape")
    page.click("#lang-switch")
    expect(page.locator("#scan-label")).to_have_text("Scan the resident's code")
    page.reload()
    expect(page.locator("#scan-label")).to_have_text("Scan the resident's code")
    context.close()


def test_keyboard_only_operation_with_visible_focus(world, browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, world)
    # A click on the page's background returns focus to the scanner's field.
    page.mouse.click(5, 400)
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "camera", focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    # The purpose is chosen with the keyboard and remembered for the next sign-in.
    page.focus("#purpose")
    with page.expect_response("**/desk/api/settings"):
        page.keyboard.press("ArrowDown")
    chosen = page.locator("#purpose").input_value()
    assert chosen != "hotel"
    page.reload()
    assert page.locator("#purpose").input_value() == chosen
    choose_purpose(page, "hotel")
    context.close()


def test_requests_not_from_the_page_are_refused(world, browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, world)
    code = world.code()
    answer = page.evaluate(
        """async (qr) => {
            const r = await fetch('/desk/api/verify', {method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-Netid-Csrf': '00'},
                body: JSON.stringify({qr})});
            return {status: r.status, body: await r.json()};
        }""",
        code,
    )
    assert answer["status"] == 403 and answer["body"]["error"]["kind"] == "cross-site"
    # A form-encoded post (what a cross-site form could send) is refused too.
    answer = page.evaluate(
        """async (qr) => {
            const csrf = document.querySelector('meta[name="netid-csrf"]').content;
            const r = await fetch('/desk/api/verify', {method: 'POST',
                headers: {'Content-Type': 'application/x-www-form-urlencoded', 'X-Netid-Csrf': csrf},
                body: 'qr=' + encodeURIComponent(qr)});
            return r.status;
        }""",
        code,
    )
    assert answer == 403
    # Even from the page itself, the purpose is the session's: a body naming another is refused.
    answer = page.evaluate(
        """async (qr) => {
            const csrf = document.querySelector('meta[name="netid-csrf"]').content;
            const r = await fetch('/desk/api/verify', {method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-Netid-Csrf': csrf},
                body: JSON.stringify({qr, purpose: 'cafe'})});
            return {status: r.status, body: await r.json()};
        }""",
        code,
    )
    assert answer["status"] == 400 and answer["body"]["error"]["kind"] == "bad-request"
    # The code was not spent by the refused requests.
    scan(page, code)
    expect(page.locator("#result")).to_have_class("accepted")
    context.close()


def test_interactive_mode_shows_a_signed_request_and_accepts_its_answer(world, browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, world)
    with page.expect_response("**/desk/api/challenge") as challenge:
        page.click("#interactive")
    request = challenge.value.json()["request"]
    assert request.startswith("NRQ1:")
    expect(page.locator("#challenge")).to_be_visible()
    expect(page.locator("#challenge-qr")).to_have_attribute("src", re.compile("^blob:"))
    expect(page.locator("#challenge-status")).to_contain_text("Waiting for the resident's answer")
    answer = world.answer(request)
    scan(page, answer)
    result = page.locator("#result")
    expect(result).to_have_class("accepted")
    expect(result).to_contain_text(NAME)
    expect(page.locator("#challenge")).to_be_hidden()
    # The answer was bound to this request: a second scan is refused.
    scan(page, answer)
    expect(result).to_have_class("refused")
    context.close()


def y4m_of_png(png: Path, out: Path, frames=30):
    """A still video (YUV4MPEG2, 4:2:0) of the QR image centred on white, for Chromium's fake
    camera."""
    width, height = 640, 480
    image = Image.open(png).convert("L")
    side = min(width, height) - 40
    image = image.resize((side, side), Image.NEAREST)
    canvas = Image.new("L", (width, height), 255)
    canvas.paste(image, ((width - side) // 2, (height - side) // 2))
    luma = canvas.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with open(out, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n")
            f.write(luma)
            f.write(chroma)
            f.write(chroma)


def test_camera_path_reads_a_real_code_from_the_fake_camera(world, playwright):
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "code.png"
        world.code(png=png)
        video = Path(tmp) / "code.y4m"
        y4m_of_png(png, video)
        png.unlink()
        if True:
            b = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS + [
                    "--use-fake-device-for-media-stream",
                    "--use-fake-ui-for-media-stream",
                    f"--use-file-for-fake-video-capture={video}",
                ],
            )
            context = b.new_context(locale="en-GB", permissions=["camera"])
            page = context.new_page()
            sign_in(page, world)
            page.click("#camera")
            expect(page.locator("#camera")).to_have_attribute("aria-pressed", "true")
            result = page.locator("#result")
            expect(result).to_have_class("accepted", timeout=30_000)
            expect(result).to_contain_text(NAME)
            shot(page, "camera-accepted-en")
            page.keyboard.press("Escape")
            page.click("#camera")
            expect(page.locator("#camera")).to_have_attribute("aria-pressed", "false")
            expect(page.locator("#camera-view")).to_be_hidden()
            context.close()
            b.close()
