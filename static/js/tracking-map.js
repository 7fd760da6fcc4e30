// The live map and the running-status table of /trips/{id}/status/ and /bookings/{pnr}/live/.
// First paint from GET /api/v1/trips/{id}/position/; then every position the trip's
// WebSocket pushes moves the vehicle and updates the delay, the expected times and the
// actual ones. When the socket drops it reconnects with a growing, jittered delay and polls
// the REST address meanwhile. Leaflet draws the route on a plain background when no tile
// server answers (offline, tests, TTMS_MAP_TILE_URL empty).
(() => {
  "use strict";

  const root = document.getElementById("trip-live");
  if (!root) return;
  const stopsData = JSON.parse(document.getElementById("trip-stops").textContent);
  const text = (name, values) =>
    (root.dataset[name] || "").replace(/%\((\w+)\)s/g, (_, key) => String(values[key]));

  const POLL_MS = 10000;
  // Drawn, not emoji: a phone or a server without an emoji font shows them all the same.
  const ICONS = {
    bus:
      '<svg viewBox="0 0 24 24" aria-hidden="true"><rect x="5" y="3" width="14" height="15" rx="3" fill="#fff"/>' +
      '<rect x="7" y="5" width="10" height="6" rx="1" fill="#0f766e"/><circle cx="8.5" cy="15" r="1.3" fill="#0f766e"/>' +
      '<circle cx="15.5" cy="15" r="1.3" fill="#0f766e"/><rect x="6" y="18" width="3" height="3" rx="1" fill="#fff"/>' +
      '<rect x="15" y="18" width="3" height="3" rx="1" fill="#fff"/></svg>',
    train:
      '<svg viewBox="0 0 24 24" aria-hidden="true"><rect x="6" y="2" width="12" height="16" rx="4" fill="#fff"/>' +
      '<rect x="8" y="5" width="8" height="5" rx="1" fill="#0f766e"/><circle cx="9.5" cy="14" r="1.3" fill="#0f766e"/>' +
      '<circle cx="14.5" cy="14" r="1.3" fill="#0f766e"/><path d="M8 22l2-4h4l2 4" stroke="#fff" stroke-width="1.6" fill="none"/></svg>',
  };
  const MAX_BACKOFF_MS = 30000;

  let lastFixAt = null; // Date of the latest fix shown
  let lastRecorded = ""; // its recorded_at, to ignore an older fix arriving late

  // --- The map -------------------------------------------------------------------------------

  const located = stopsData.filter((s) => s.lat !== null && s.lon !== null);
  let map = null;
  let vehicle = null;
  const mapElement = document.getElementById("trip-map");

  if (window.L && located.length) {
    map = L.map(mapElement, { zoomControl: true, attributionControl: true });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    if (root.dataset.tileUrl) {
      L.tileLayer(root.dataset.tileUrl, {
        maxZoom: 18,
        attribution: "&copy; OpenStreetMap contributors",
      }).addTo(map);
    }
    const line = located.map((s) => [s.lat, s.lon]);
    L.polyline(line, { color: "#0f766e", weight: 4, opacity: 0.8 }).addTo(map);
    for (const stop of located) {
      const marked = stop.highlight === "board" || stop.highlight === "alight";
      L.circleMarker([stop.lat, stop.lon], {
        radius: marked ? 8 : 5,
        color: marked ? "#b54708" : "#0f766e",
        weight: 2,
        fillColor: "#ffffff",
        fillOpacity: 1,
        className: `map-stop${marked ? " map-stop-" + stop.highlight : ""}`,
      })
        .bindTooltip(`${stop.name} (${stop.code})`, { permanent: marked, direction: "top" })
        .addTo(map);
    }
    map.fitBounds(L.latLngBounds(line), { padding: [40, 64] }); // room for the stop labels
  } else {
    mapElement.hidden = true;
  }

  function moveVehicle(lat, lon) {
    mapElement.dataset.vehicleLat = lat;
    mapElement.dataset.vehicleLon = lon;
    if (!map) return;
    if (!vehicle) {
      const kind = root.dataset.vehicleKind === "bus" ? "bus" : "train";
      vehicle = L.marker([lat, lon], {
        icon: L.divIcon({
          className: `vehicle-marker vehicle-${kind}`,
          html: ICONS[kind],
          iconSize: [34, 34],
          iconAnchor: [17, 17],
        }),
        title: root.dataset.textVehicle,
        zIndexOffset: 1000,
      }).addTo(map);
    } else {
      vehicle.setLatLng([lat, lon]);
    }
    if (!map.getBounds().pad(-0.05).contains([lat, lon])) map.panTo([lat, lon]);
  }

  // --- The table and the summary ---------------------------------------------------------------

  const rows = new Map(
    Array.from(document.querySelectorAll("tr[data-sequence]")).map((row) => [
      Number(row.dataset.sequence),
      row,
    ]),
  );
  const formats = new Map();
  function clock(iso, zone) {
    if (!formats.has(zone)) {
      formats.set(
        zone,
        new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
          timeZone: zone,
          hour: "2-digit",
          minute: "2-digit",
          hourCycle: "h23",
          timeZoneName: "short",
        }),
      );
    }
    const parts = formats.get(zone).formatToParts(new Date(iso));
    const pick = (type) => (parts.find((p) => p.type === type) || {}).value || "";
    return { time: `${pick("hour")}:${pick("minute")}`, zone: pick("timeZoneName") };
  }
  // The zone's name as the server wrote it on the row (CAT, IST), else the browser's.
  function setTime(cell, iso, zone, zoneName) {
    const { time, zone: browserName } = clock(iso, zone);
    const name = zoneName || browserName;
    cell.replaceChildren();
    const el = document.createElement("time");
    el.dateTime = iso;
    el.textContent = time;
    const small = document.createElement("small");
    small.textContent = name;
    cell.append(el, " ", small);
  }
  function delayText(seconds) {
    const minutes = Math.round(seconds / 60);
    if (minutes > 0) return text("textLate", { minutes });
    if (minutes < 0) return text("textEarly", { minutes: -minutes });
    return text("textOnTime", {});
  }
  function setDelayCell(row, iso) {
    if (!row.dataset.scheduled) return;
    const minutes = Math.round((new Date(iso) - new Date(row.dataset.scheduled)) / 60000);
    const cell = row.querySelector(".stop-delay");
    cell.textContent =
      minutes > 0 ? `+${minutes} min` : minutes < 0 ? `${minutes} min` : text("textOnTime", {});
    cell.classList.toggle("late", minutes > 0);
  }

  function applyStatus(status) {
    if (!status) return;
    const summary = root.querySelector("[data-testid=delay]");
    if (typeof status.delay_seconds === "number") {
      summary.textContent = delayText(status.delay_seconds);
      summary.classList.toggle("late", status.delay_seconds >= 60);
    }
    for (const { sequence, eta } of status.etas || []) {
      const row = rows.get(Number(sequence));
      if (!row || !eta || row.classList.contains("stop-passed")) continue;
      setTime(row.querySelector(".stop-expected"), eta, row.dataset.tz, row.dataset.tzName);
      setDelayCell(row, eta);
    }
    for (const event of status.events || []) {
      const row = rows.get(Number(event.sequence));
      if (!row) continue;
      if (event.kind === "skipped") {
        row.classList.add("stop-skipped", "stop-passed");
        row.querySelector(".stop-actual").textContent = root.dataset.textSkipped;
        continue;
      }
      if (event.kind === "arrived" || !row.classList.contains("stop-passed")) {
        setTime(row.querySelector(".stop-actual"), event.at, row.dataset.tz, row.dataset.tzName);
        setDelayCell(row, event.at);
      }
      row.classList.add("stop-passed");
      row.querySelector(".stop-expected").textContent = "—";
    }
    for (const row of rows.values()) {
      row.classList.toggle("stop-next", Number(row.dataset.sequence) === status.next_stop_sequence);
    }
    const next = rows.get(Number(status.next_stop_sequence));
    const nextLabel = root.querySelector("[data-testid=next-stop]");
    nextLabel.textContent = next ? `→ ${next.querySelector("th").firstChild.textContent.trim()}` : "";
  }

  function apply(message) {
    if (!message || typeof message.lat !== "number" || typeof message.lon !== "number") return;
    if (message.recorded_at && lastRecorded && message.recorded_at < lastRecorded) return;
    lastRecorded = message.recorded_at || lastRecorded;
    lastFixAt = message.recorded_at ? new Date(message.recorded_at) : new Date();
    moveVehicle(message.lat, message.lon);
    applyStatus(message.status);
    tick();
  }

  const age = root.querySelector("[data-testid=last-update]");
  function tick() {
    if (!lastFixAt) return;
    const seconds = Math.max(0, Math.round((Date.now() - lastFixAt) / 1000));
    age.textContent =
      seconds < 120
        ? text("textAgeSeconds", { n: seconds })
        : text("textAgeMinutes", { n: Math.round(seconds / 60) });
    age.classList.toggle("stale", seconds > 120);
  }
  setInterval(tick, 1000);

  // --- REST: first paint and fallback ----------------------------------------------------------

  async function poll() {
    try {
      const response = await fetch(root.dataset.positionUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      const body = await response.json();
      const fix = body.fix || body.position || body;
      apply({ ...fix, status: body.status || fix.status });
    } catch (error) {
      // offline: the next poll or the socket will bring it
    }
  }

  // --- WebSocket with reconnect ------------------------------------------------------------------

  const connection = root.querySelector("[data-testid=connection]");
  let backoff = 1000;
  let pollTimer = null;
  function startPolling() {
    if (!pollTimer) pollTimer = setInterval(poll, POLL_MS);
  }
  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let socket;
    try {
      socket = new WebSocket(`${scheme}//${location.host}${root.dataset.wsPath}`);
    } catch (error) {
      retry();
      return;
    }
    socket.addEventListener("open", () => {
      backoff = 1000;
      connection.textContent = text("textLive", {});
      root.dataset.connected = "true";
      stopPolling();
      poll(); // whatever was missed while away
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (message.type === "position") apply(message);
    });
    socket.addEventListener("close", (event) => {
      root.dataset.connected = "false";
      connection.textContent = text("textOffline", {});
      // 4xxx: refused at the handshake (not allowed); polling still shows what REST allows
      if (event.code >= 4000 && event.code < 5000) {
        startPolling();
        return;
      }
      retry();
    });
  }
  function retry() {
    startPolling();
    const wait = backoff * (0.5 + Math.random());
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    setTimeout(connect, wait);
  }

  const latest = JSON.parse(document.getElementById("trip-latest").textContent);
  if (latest) apply(latest);
  else poll();
  connect();
})();
