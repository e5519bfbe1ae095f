// The counter desk: a scanner (a keyboard that types the code, then Enter) into an always-focused
// field, or the desk's camera decoded in the browser; each code goes to POST /desk/api/verify and
// the verdict fills the screen. Personal data lives only in the result's DOM nodes and is removed
// after data-clear-after seconds or at the next scan; nothing is written to localStorage,
// sessionStorage, IndexedDB, cookies or the URL.
"use strict";

(() => {
  const byId = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="netid-csrf"]').content;
  const clearAfter = Number(document.body.dataset.clearAfter) || 60;
  const registered = document.body.dataset.registered === "true";

  const scan = byId("scan");
  const result = byId("result");
  const announce = byId("announce");
  const purpose = byId("purpose");
  const langSwitch = byId("lang-switch");
  const deskError = byId("desk-error");
  const cameraButton = byId("camera");
  const cameraStatus = byId("camera-status");
  const video = byId("camera-view");
  const interactiveButton = byId("interactive");
  const challengePanel = byId("challenge");
  const challengeQr = byId("challenge-qr");
  const challengeStatus = byId("challenge-status");

  let busy = false;
  let clearTimer = null;
  let tickTimer = null;
  // While the desk waits for the answer to its signed request: { nonce, expiresAt, timer }.
  let challenge = null;

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", "X-Netid-Csrf": csrf },
      body: JSON.stringify(body || {}),
    });
  }

  function element(tag, className) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    return node;
  }

  // ---- the always-focused scanner field

  function focusScan() {
    if (document.activeElement !== scan) {
      scan.focus({ preventScroll: true });
    }
  }

  // Focus that goes nowhere (a click on the page, a removed button) comes back to the field; Tab
  // to a button still works, so the page can be used with the keyboard alone.
  document.addEventListener("focusout", (event) => {
    if (event.relatedTarget === null) {
      setTimeout(focusScan, 0);
    }
  });

  scan.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") {
      return;
    }
    event.preventDefault();
    const text = scan.value.trim();
    scan.value = "";
    if (text !== "") {
      submit(text);
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      clearResult();
      focusScan();
    }
  });

  // ---- verification

  async function submit(text) {
    if (busy) {
      return;
    }
    busy = true;
    clearResult();
    hideError();
    const body = { qr: text };
    if (challenge) {
      body.nonce = challenge.nonce;
    }
    try {
      const response = await post("/desk/api/verify", body);
      if (response.status === 401) {
        window.location.replace("/desk");
        return;
      }
      const answer = await response.json();
      if (answer.error) {
        showError(answer.error.kind === "rate-limited" ? "desk-error-rate-limited" : "desk-error-service");
      } else {
        if (challenge) {
          endChallenge();
        }
        showVerdict(answer);
      }
    } catch (e) {
      showError("desk-error-network");
    } finally {
      busy = false;
    }
  }

  // Claim values the catalogue words for the clerk (sex, yes/no); others are shown as issued.
  function valueMessage(value) {
    switch (value) {
      case "female": return "desk-value-female";
      case "male": return "desk-value-male";
      case "true": return "desk-value-yes";
      case "false": return "desk-value-no";
      default: return null;
    }
  }

  function showVerdict(answer) {
    const accepted = answer.accepted === true;
    result.className = accepted ? "accepted" : "refused";
    const verdict = element("h1", "verdict");
    verdict.id = "verdict";
    verdict.textContent = accepted ? "ACCEPTED" : "REFUSED";
    NetidL10n.set(verdict, accepted ? "desk-accepted" : "desk-refused");
    result.append(verdict);
    let spoken = verdict.textContent;
    if (accepted) {
      const list = element("dl", "claims");
      for (const claim of answer.claims) {
        const row = element("div", "claim");
        const label = element("dt");
        label.textContent = claim.name;
        NetidL10n.set(label, `claim-${claim.name}`);
        const value = element("dd");
        value.textContent = claim.value;
        const wording = valueMessage(claim.value);
        if (wording && NetidL10n.message(wording) !== null) {
          NetidL10n.set(value, wording);
        }
        row.append(label, value);
        list.append(row);
      }
      result.append(list);
    } else {
      const reason = element("p", "reason");
      const id = `refusal-${answer.kind}`;
      if (NetidL10n.message(id) !== null) {
        NetidL10n.set(reason, id);
      } else {
        reason.textContent = answer.message || answer.kind;
      }
      result.append(reason);
      spoken += `. ${reason.textContent}`;
      const kind = element("p", "kind");
      kind.textContent = answer.kind;
      result.append(kind);
    }
    const left = element("p", "time-left");
    result.append(left);
    const clear = element("button", "clear");
    clear.type = "button";
    clear.textContent = "Clear now (Esc)";
    NetidL10n.set(clear, "desk-result-clear");
    clear.addEventListener("click", () => {
      clearResult();
      focusScan();
    });
    result.append(clear);
    result.hidden = false;
    // Screen readers hear the verdict (and a refusal's reason), not the personal data.
    announce.textContent = spoken;

    let remaining = clearAfter;
    const tick = () => NetidL10n.set(left, "desk-result-clears-in", { seconds: remaining });
    left.textContent = `Clears in ${remaining} s`;
    tick();
    tickTimer = setInterval(() => {
      remaining -= 1;
      if (remaining > 0) {
        tick();
      }
    }, 1000);
    clearTimer = setTimeout(clearResult, clearAfter * 1000);
    focusScan();
  }

  // Removes the verdict and every piece of personal data from the DOM.
  function clearResult() {
    clearTimeout(clearTimer);
    clearInterval(tickTimer);
    clearTimer = null;
    tickTimer = null;
    result.replaceChildren();
    result.hidden = true;
    result.className = "";
    announce.replaceChildren();
  }

  function showError(id) {
    NetidL10n.set(deskError, id);
    deskError.hidden = false;
  }

  function hideError() {
    deskError.hidden = true;
    deskError.replaceChildren();
  }

  // ---- camera

  const frame = document.createElement("canvas");
  const frameContext = frame.getContext("2d", { willReadFrequently: true });
  let stream = null;
  // The last decoded code is remembered only as a hash, to not send one code twice while it is
  // still in front of the camera.
  let lastSeen = null;
  let decoderReady = false;

  function hashText(text) {
    let hash = 0x811c9dc5;
    for (let i = 0; i < text.length; i += 1) {
      hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
    }
    return `${text.length}:${hash}`;
  }

  function prepareDecoder() {
    if (decoderReady) {
      return;
    }
    // The WebAssembly comes from this service, never from the package's default CDN.
    ZXingWASM.prepareZXingModule({
      overrides: {
        locateFile: (path, prefix) => (path.endsWith(".wasm") ? "/desk/assets/zxing_reader.wasm" : prefix + path),
      },
    });
    decoderReady = true;
  }

  function cameraMessage(id) {
    NetidL10n.set(cameraStatus, id);
    cameraStatus.hidden = false;
  }

  async function startCamera() {
    prepareDecoder();
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: false,
      });
    } catch (e) {
      cameraMessage("desk-camera-unavailable");
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    cameraButton.setAttribute("aria-pressed", "true");
    NetidL10n.set(cameraButton, "desk-camera-stop");
    cameraMessage("desk-camera-looking");
    setTimeout(decodeFrame, 100);
  }

  function stopCamera() {
    if (stream) {
      for (const track of stream.getTracks()) {
        track.stop();
      }
    }
    stream = null;
    lastSeen = null;
    video.srcObject = null;
    video.hidden = true;
    cameraStatus.hidden = true;
    cameraButton.setAttribute("aria-pressed", "false");
    NetidL10n.set(cameraButton, "desk-camera-start");
  }

  async function decodeFrame() {
    if (!stream) {
      return;
    }
    if (!busy && video.readyState >= 2 && video.videoWidth > 0) {
      frame.width = video.videoWidth;
      frame.height = video.videoHeight;
      frameContext.drawImage(video, 0, 0);
      const image = frameContext.getImageData(0, 0, frame.width, frame.height);
      frameContext.clearRect(0, 0, frame.width, frame.height);
      try {
        const found = await ZXingWASM.readBarcodes(image, {
          formats: ["QRCode"],
          maxNumberOfSymbols: 1,
          tryHarder: true,
        });
        const code = found.find((r) => r.isValid && r.text);
        if (code) {
          const seen = hashText(code.text);
          if (seen !== lastSeen) {
            lastSeen = seen;
            await submit(code.text);
          }
        }
      } catch (e) {
        cameraMessage("desk-camera-decoder-failed");
      }
    }
    setTimeout(decodeFrame, 200);
  }

  cameraButton.addEventListener("click", () => {
    if (stream) {
      stopCamera();
    } else {
      startCamera();
    }
    focusScan();
  });

  // ---- interactive mode: a signed request for the phone, then the answer

  async function startChallenge() {
    clearResult();
    hideError();
    endChallenge();
    let answer;
    try {
      const response = await post("/desk/api/challenge", {});
      if (response.status === 401) {
        window.location.replace("/desk");
        return;
      }
      answer = await response.json();
      if (!response.ok) {
        showError(answer.error && answer.error.kind === "not-registered" ? "desk-error-not-registered" : "desk-error-service");
        return;
      }
    } catch (e) {
      showError("desk-error-network");
      return;
    }
    const url = URL.createObjectURL(new Blob([answer.svg], { type: "image/svg+xml" }));
    challengeQr.addEventListener("load", () => URL.revokeObjectURL(url), { once: true });
    challengeQr.src = url;
    challenge = { nonce: answer.nonce, expiresAt: Date.now() + answer.ttl_seconds * 1000, timer: null };
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((challenge.expiresAt - Date.now()) / 1000));
      if (seconds === 0) {
        endChallenge();
        showError("desk-challenge-expired");
        return;
      }
      NetidL10n.set(challengeStatus, "desk-challenge-waiting", { seconds });
    };
    challenge.timer = setInterval(tick, 1000);
    tick();
    challengePanel.hidden = false;
    focusScan();
  }

  function endChallenge() {
    if (challenge) {
      clearInterval(challenge.timer);
    }
    challenge = null;
    challengePanel.hidden = true;
    challengeQr.removeAttribute("src");
    challengeStatus.replaceChildren();
  }

  interactiveButton.hidden = !registered;
  interactiveButton.addEventListener("click", () => {
    startChallenge();
  });
  byId("challenge-cancel").addEventListener("click", () => {
    endChallenge();
    focusScan();
  });

  // ---- settings, language, sign-out

  purpose.addEventListener("change", async () => {
    endChallenge();
    clearResult();
    try {
      const response = await post("/desk/api/settings", { purpose: purpose.value });
      if (!response.ok) {
        showError("desk-error-service");
      }
    } catch (e) {
      showError("desk-error-network");
    }
  });

  function updateSwitch() {
    langSwitch.lang = NetidL10n.other();
  }

  langSwitch.addEventListener("click", async () => {
    await NetidL10n.load(NetidL10n.other());
    updateSwitch();
    post("/desk/api/settings", { lang: NetidL10n.current }).catch(() => {});
    focusScan();
  });

  byId("sign-out").addEventListener("click", async () => {
    stopCamera();
    clearResult();
    await post("/desk/sign-out", {}).catch(() => {});
    window.location.replace("/desk");
  });

  NetidL10n.load(NetidL10n.initial())
    .then(updateSwitch)
    .catch(() => showError("desk-error-service"))
    .finally(focusScan);
})();
