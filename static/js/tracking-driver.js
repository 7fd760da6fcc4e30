// The driver's page (/driver/): share the phone's position while a trip runs, and scan
// tickets with the camera or from a photo.
//
// Position: navigator.geolocation.watchPosition; the newest fix is sent every SEND_MS over
// the trip's WebSocket. While the socket is down the fixes wait in localStorage (at most
// QUEUE_MAX per trip) and go as one batch to POST /api/v1/driver/trips/{id}/positions/
// when the connection returns; each fix carries its device time, so a batch sent twice
// changes nothing.
//
// Scanner: getUserMedia -> <video> -> <canvas> -> jsQR, then POST /api/v1/driver/scan/;
// the answer is shown large. A photo (file input) goes through the same decoder.
(() => {
  "use strict";

  const SEND_MS = 3000;
  const QUEUE_MAX = 2000;
  const BATCH_MAX = 500; // the API's limit a request
  const csrf = () => (document.querySelector("#driver-csrf [name=csrfmiddlewaretoken]") || {}).value;
  const fill = (template, values) =>
    (template || "").replace(/%\((\w+)\)s/g, (_, key) => String(values[key]));

  // --- Sharing the position ----------------------------------------------------------------------

  function sharer(box) {
    const trip = box.dataset.shareTrip;
    const key = `ttms.fixes.${trip}`;
    const button = box.querySelector("[data-share-toggle]");
    const state = box.querySelector("[data-testid=share-state]");
    let watch = null;
    let socket = null;
    let backoff = 1000;
    let latest = null; // newest fix not sent yet
    let sent = 0;
    let timer = null;

    const queue = () => {
      try {
        return JSON.parse(localStorage.getItem(key) || "[]");
      } catch (error) {
        return [];
      }
    };
    const save = (fixes) => localStorage.setItem(key, JSON.stringify(fixes.slice(-QUEUE_MAX)));
    const show = (extra) => {
      const waiting = queue().length;
      let line = fill(box.dataset.textSharing, { sent });
      if (waiting) line += ` · ${fill(box.dataset.textQueued, { queued: waiting })}`;
      state.textContent = extra || line;
      box.dataset.sent = String(sent);
    };

    function open() {
      if (watch === null) return;
      const scheme = location.protocol === "https:" ? "wss:" : "ws:";
      socket = new WebSocket(`${scheme}//${location.host}${box.dataset.wsPath}`);
      socket.addEventListener("open", () => {
        backoff = 1000;
        flush();
      });
      socket.addEventListener("message", (event) => {
        try {
          const message = JSON.parse(event.data);
          if (message.type === "error") state.textContent = message.message;
        } catch (error) {
          // not for us
        }
      });
      socket.addEventListener("close", () => {
        socket = null;
        if (watch === null) return;
        setTimeout(open, backoff * (0.5 + Math.random()));
        backoff = Math.min(backoff * 2, 30000);
      });
    }

    async function flush() {
      const fixes = queue().slice(0, BATCH_MAX);
      if (!fixes.length) return;
      try {
        const response = await fetch(box.dataset.batchUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
          body: JSON.stringify({ fixes }),
        });
        // Refused fixes (stale, out of range) will never be taken: they leave the queue too.
        if (response.ok || (response.status >= 400 && response.status < 500)) {
          save(queue().slice(fixes.length));
          sent += fixes.length;
          if (queue().length) flush();
        }
      } catch (error) {
        // still offline: kept for the next try
      }
      show();
    }

    function send() {
      if (!latest) return;
      const fix = latest;
      latest = null;
      if (socket && socket.readyState === WebSocket.OPEN && navigator.onLine !== false) {
        socket.send(JSON.stringify(fix));
        sent += 1;
      } else {
        save([...queue(), fix]);
      }
      show();
    }

    function onPosition(position) {
      const c = position.coords;
      latest = {
        lat: c.latitude,
        lon: c.longitude,
        recorded_at: new Date(position.timestamp || Date.now()).toISOString(),
        accuracy_m: typeof c.accuracy === "number" ? c.accuracy : null,
        speed_kmh: typeof c.speed === "number" && c.speed >= 0 ? c.speed * 3.6 : null,
        heading: typeof c.heading === "number" && !Number.isNaN(c.heading) ? c.heading : null,
      };
      if (sent === 0) send(); // the first at once, then one every SEND_MS
    }

    function start() {
      if (!("geolocation" in navigator)) {
        state.textContent = box.dataset.textUnsupported;
        return;
      }
      watch = navigator.geolocation.watchPosition(
        onPosition,
        (error) => {
          if (error.code === error.PERMISSION_DENIED) stop(box.dataset.textDenied);
        },
        { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 },
      );
      timer = setInterval(send, SEND_MS);
      button.textContent = button.dataset.textStop;
      button.setAttribute("aria-pressed", "true");
      box.dataset.sharing = "true";
      open();
      show();
    }

    function stop(message) {
      if (watch !== null) navigator.geolocation.clearWatch(watch);
      watch = null;
      clearInterval(timer);
      if (socket) socket.close();
      button.textContent = button.dataset.textStart;
      button.setAttribute("aria-pressed", "false");
      box.dataset.sharing = "false";
      state.textContent = message || box.dataset.textStopped;
    }

    button.addEventListener("click", () => (watch === null ? start() : stop()));
    window.addEventListener("online", flush);
    if (queue().length) show();
  }

  document.querySelectorAll("[data-share-trip]").forEach(sharer);

  // --- The scanner --------------------------------------------------------------------------------

  const scanner = document.getElementById("scanner");
  if (!scanner) return;
  const video = scanner.querySelector("video");
  const canvas = scanner.querySelector("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const hint = scanner.querySelector(".scanner-hint");
  const result = scanner.querySelector("[data-testid=scan-result]");
  let stream = null;

  function decode(source, width, height) {
    canvas.width = width;
    canvas.height = height;
    context.drawImage(source, 0, 0, width, height);
    const pixels = context.getImageData(0, 0, width, height);
    return window.jsQR ? jsQR(pixels.data, width, height, { inversionAttempts: "attemptBoth" }) : null;
  }

  function stopCamera() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.hidden = true;
  }

  function showAnswer(answer) {
    const kind = ["valid", "already_boarded", "cancelled", "wrong_trip"].includes(answer.result)
      ? answer.result
      : "other";
    result.hidden = false;
    result.className = `scan-result scan-${kind}`;
    result.dataset.result = answer.result;
    result.querySelector(".scan-result-label").textContent = scanner.dataset[`label-${kind}`.replace(/-(\w)/g, (_, c) => c.toUpperCase())] || answer.result;
    const lines = [];
    if (answer.ticket) {
      const seat = [answer.ticket.coach, answer.ticket.seat].filter(Boolean).join(" ");
      lines.push(`${answer.ticket.name}${seat ? " · " + seat : ""} · ${answer.ticket.from} → ${answer.ticket.to}`);
    }
    if (answer.result === "already_boarded" && answer.boarding) {
      lines.push(fill(scanner.dataset.textBoardedAt, {
        time: String(answer.boarding.at).slice(11, 16),
        by: answer.boarding.by,
      }));
    } else if (answer.message) {
      lines.push(answer.message);
    }
    result.querySelector(".scan-result-detail").textContent = lines.join("\n");
    hint.textContent = "";
  }

  async function submit(qr) {
    try {
      const response = await fetch(scanner.dataset.scanUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({
          trip: Number(scanner.querySelector("#scan-trip").value),
          qr,
          device: "web",
        }),
      });
      const body = await response.json();
      if (response.ok) {
        showAnswer(body);
      } else {
        showAnswer({ result: "other", message: (body.error && body.error.message) || scanner.dataset.textFailed });
      }
    } catch (error) {
      showAnswer({ result: "other", message: scanner.dataset.textFailed });
    }
  }

  function frame() {
    if (!stream) return;
    if (video.readyState >= video.HAVE_ENOUGH_DATA && video.videoWidth) {
      const code = decode(video, video.videoWidth, video.videoHeight);
      if (code && code.data) {
        stopCamera();
        submit(code.data);
        return;
      }
    }
    requestAnimationFrame(frame);
  }

  scanner.querySelector("[data-scan-camera]").addEventListener("click", async () => {
    result.hidden = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
    } catch (error) {
      hint.textContent = scanner.dataset.textCameraFailed;
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    hint.textContent = scanner.dataset.textScanning;
    await video.play();
    requestAnimationFrame(frame);
  });

  scanner.querySelector("#scan-photo").addEventListener("change", async (event) => {
    const file = event.target.files && event.target.files[0];
    if (!file) return;
    result.hidden = true;
    try {
      const bitmap = await createImageBitmap(file);
      const code = decode(bitmap, bitmap.width, bitmap.height);
      if (code && code.data) {
        submit(code.data);
      } else {
        hint.textContent = scanner.dataset.textNotFound;
      }
    } catch (error) {
      hint.textContent = scanner.dataset.textNotFound;
    }
    event.target.value = "";
  });
})();
