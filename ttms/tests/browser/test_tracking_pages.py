"""Live tracking in a real browser, at phone (390×844) and desktop (1280×900) width, against
a real ASGI server (uvicorn: pages, API, static files and the WebSocket in one process):

- the running-status page and the PNR's live map draw the route, its stops and the bus on
  a plain background (no tile server is reachable), then move the bus and change the delay
  and the expected times as fixes are published, without a reload;
- the driver's page (the driver's own menu, not the passenger's) shares the phone's
  position from a granted fake geolocation, and the fixes reach the passenger's map;
- the driver's scanner reads a ticket's QR from an image fed as the camera and shows the
  answer large ("Valid", then "Already boarded" for the same ticket from a photo).

Every page is photographed (`shot`)."""

import asyncio
import socket
import threading
import time
from datetime import datetime, timedelta
from io import BytesIO
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.test import override_settings
from django.utils import timezone

from booking.boarding.qr import ticket_png
from booking.boarding.services.issue import ticket_get
from booking.models import Boarding, Passenger
from booking.sales.services.create import booking_create
from booking.tests.buses import KIGALI, make_rwanda_bus
from booking.tests.factories import adult
from fleet.models import Company, CompanyMembership, Station, Trip, TripStatus
from payments.tests.factories import fund_wallet
from tracking.store import position_store
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import PASSWORD, UserFactory

from .support import (
    CHROMIUM_ARGS,
    DEVICES,
    assert_page_basics,
    chromium_path,
    expect,
    shot,
    sign_in,
)

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {}, "desktop": {"viewport": {"width": 1280, "height": 900}}}
# Kigali Nyabugogo, Musanze, Rubavu: the bus's stops, on the map as they are on the ground.
COORDINATES = {"KGL": (-1.9397, 30.0447), "MSZ": (-1.4998, 29.6350), "RBV": (-1.6925, 29.2560)}


# --- A real ASGI server ------------------------------------------------------------------------


class AsgiServer:
    """uvicorn serving ttms.asgi (HTTP, static files, WebSockets) from a thread."""

    def __init__(self):
        import uvicorn

        from ttms.asgi import application

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            ASGIStaticFilesHandler(application),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            ws="websockets-sansio",
        )
        self.server = uvicorn.Server(config)
        self.loop = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())

    def start(self):
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the ASGI server did not start")
            time.sleep(0.05)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def run(self, coroutine):
        """Run `coroutine` on the server's loop (its channel layer lives there)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)


@pytest.fixture(autouse=True)
def _fresh_position_store():
    """No test sees another's fixes (the in-process store, or the run's Redis db)."""
    position_store().clear()
    yield
    position_store().clear()


@pytest.fixture
def asgi_server(transactional_db):
    # The tile server is unreachable here: the map must still draw on its plain background.
    with override_settings(
        TTMS_MAP_TILE_URL="", ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "127.0.0.1"]
    ):
        server = AsgiServer()
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def open_context(browser, asgi_server):
    contexts = []

    def make(device: str, *, chromium=None, **options):
        context = (chromium or browser).new_context(
            base_url=asgi_server.url, **{**DEVICES[device], **VIEWPORTS[device], **options}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


# --- The trip, its driver and a passenger ------------------------------------------------------


@pytest.fixture
def bus(transactional_db):
    """Volcano Express's bus, Kigali to Rubavu, left 50 minutes ago; its driver; a passenger
    holding a confirmed seat Kigali to Rubavu."""
    trip = make_rwanda_bus(departure=timezone.now() - timedelta(minutes=50))
    for code, (lat, lon) in COORDINATES.items():
        Station.objects.filter(code=code).update(latitude=lat, longitude=lon)
    driver = UserFactory(email="driver@example.com", full_name="Eric Habimana", role=Role.DRIVER)
    CompanyMembership.objects.create(user=driver, company=trip.route.company, role=Role.DRIVER)
    trip.drivers.add(driver)
    passenger = UserFactory(email="aline@example.com", full_name="Aline Uwase")
    fund_wallet(passenger, 50_000, "RWF")
    pnr = booking_create(
        user=passenger,
        trip_id=trip.pk,
        origin_code="KGL",
        destination_code="RBV",
        class_code="STANDARD",
        quota="GENERAL",
        passengers=[adult(name="Aline Uwase")],
        now=trip.departure_at - timedelta(days=1),
    )
    Trip.objects.filter(pk=trip.pk).update(status=TripStatus.DEPARTED)
    trip.refresh_from_db()
    return SimpleNamespace(trip=trip, driver=driver, passenger=passenger, pnr=pnr)


def along(fraction: float) -> tuple[float, float]:
    """The point `fraction` of the way from Kigali to Musanze, as the crow flies."""
    (lat1, lon1), (lat2, lon2) = COORDINATES["KGL"], COORDINATES["MSZ"]
    return lat1 + (lat2 - lat1) * fraction, lon1 + (lon2 - lon1) * fraction


def publish(server: AsgiServer, trip: Trip, lat: float, lon: float, recorded_at: datetime):
    """A fix through the publish path, broadcast on the server's channel layer."""
    from tracking.fixes import Fix
    from tracking.services.publish import fix_broadcast, fix_publish, trip_info_get

    fix = Fix(trip_id=trip.pk, lat=lat, lon=lon, recorded_at=recorded_at, accuracy_m=10)
    published = fix_publish(trip=trip_info_get(trip.pk), fix=fix)
    server.run(fix_broadcast(published))
    return published


def vehicle_at(page) -> tuple[float, float]:
    data = page.locator("#trip-map")
    return float(data.get_attribute("data-vehicle-lat")), float(
        data.get_attribute("data-vehicle-lon")
    )


# --- The pages -------------------------------------------------------------------------------


def test_the_running_status_page_and_the_pnr_map_follow_the_bus_without_a_reload(
    open_context, device, asgi_server, bus
):
    trip, pnr = bus.trip, bus.pnr
    Company.objects.filter(pk=trip.route.company_id).update(positions_public=True)
    now = timezone.now()
    publish(asgi_server, trip, *along(0.20), now - timedelta(minutes=5))

    # A visitor, not signed in: the operator's positions are public.
    public = open_context(device).new_page()
    public.goto(f"/trips/{trip.pk}/status/")
    expect(public.get_by_role("heading", level=1)).to_have_text("Running status · VE1")
    expect(public.locator("tr[data-sequence]")).to_have_count(3)
    expect(public.locator("path.leaflet-interactive")).not_to_have_count(0)  # route and stops
    expect(public.locator(".vehicle-marker")).to_be_visible()
    expect(public.get_by_test_id("connection")).to_have_text("Live")
    first_delay = public.get_by_test_id("delay").inner_text()
    assert first_delay.endswith("min late"), first_delay
    assert vehicle_at(public) == pytest.approx(along(0.20), abs=1e-6)
    rubavu = public.locator("tr[data-sequence='3']")
    expect(rubavu.locator(".stop-scheduled")).to_contain_text("CAT")  # Rwanda's zone, named
    first_expected = rubavu.locator(".stop-expected").inner_text()
    assert_page_basics(public)
    shot(public, "tracking-running-status")

    # The passenger's live map, from the PNR page: their boarding and alighting stops marked.
    mine = open_context(device).new_page()
    sign_in(mine, email="aline@example.com", password=PASSWORD)
    mine.goto(f"/bookings/{pnr.number}/")
    mine.get_by_test_id("live-map-link").click()
    expect(mine.get_by_role("heading", level=1)).to_contain_text(pnr.number)
    expect(mine.locator("tr.stop-board")).to_contain_text("You board here")
    expect(mine.locator("tr.stop-alight")).to_contain_text("You alight here")
    expect(mine.get_by_test_id("connection")).to_have_text("Live")
    box = mine.locator(".vehicle-marker").bounding_box()

    # The bus has covered 8 km more in under five minutes: both pages follow, no reload.
    publish(asgi_server, trip, *along(0.32), now - timedelta(seconds=10))
    for page in (public, mine):
        expect(page.get_by_test_id("delay")).not_to_have_text(first_delay)
        expect(page.locator("tr[data-sequence='3'] .stop-expected")).not_to_have_text(
            first_expected
        )
        expect(page.get_by_test_id("last-update")).to_contain_text("s ago")
    assert vehicle_at(public) == pytest.approx(along(0.32), abs=1e-6)
    moved = mine.locator(".vehicle-marker").bounding_box()
    assert (moved["x"], moved["y"]) != (box["x"], box["y"])
    assert public.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert_page_basics(mine)
    shot(mine, "tracking-pnr-live-map")
    shot(public, "tracking-running-status-moved")


def test_the_drivers_phone_shares_its_position_to_the_passengers_map(
    open_context, device, asgi_server, bus
):
    pnr = bus.pnr
    start = along(0.25)

    watcher = open_context(device).new_page()
    sign_in(watcher, email="aline@example.com", password=PASSWORD)
    watcher.goto(f"/bookings/{pnr.number}/live/")
    expect(watcher.get_by_test_id("connection")).to_have_text("Live")

    phone = open_context(
        device,
        permissions=["geolocation"],
        geolocation={"latitude": start[0], "longitude": start[1], "accuracy": 10},
    )
    page = phone.new_page()
    sign_in(page, email="driver@example.com", password=PASSWORD)
    # The driver's own menu: today's trips, not the passenger's trips and wallet.
    nav = page.locator("header nav")
    expect(nav.get_by_role("link", name="My trips today")).to_be_visible()
    expect(nav.get_by_role("link", name="Wallet")).to_have_count(0)
    nav.get_by_role("link", name="My trips today").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My trips today")
    card = page.get_by_test_id("driver-trip")
    expect(card).to_have_count(1)
    expect(card.get_by_test_id("trip-status")).to_have_text("Departed")
    expect(card.get_by_role("button", name="Complete trip")).to_be_visible()

    card.get_by_role("button", name="Share my position").click()
    expect(card.get_by_test_id("share-state")).to_contain_text("1 sent")
    expect(watcher.locator("#trip-map")).to_have_attribute("data-vehicle-lat", str(start[0]))

    # The phone moves 40 m north: the next fix follows within seconds.
    moved = (start[0] + 0.00036, start[1])
    phone.set_geolocation({"latitude": moved[0], "longitude": moved[1], "accuracy": 10})
    expect(watcher.locator("#trip-map")).to_have_attribute(
        "data-vehicle-lat", str(moved[0]), timeout=15_000
    )
    assert_page_basics(page)
    shot(page, "tracking-driver-sharing")
    shot(watcher, "tracking-passenger-sees-driver")


# --- The scanner -------------------------------------------------------------------------------


def y4m_of_png(png: bytes, *, width: int = 640, height: int = 480, frames: int = 10) -> bytes:
    """A Y4M video (4:2:0) of the image centred on white: Chromium's fake camera input."""
    from PIL import Image

    image = Image.open(BytesIO(png)).convert("L")
    side = min(width, height) - 40
    image = image.resize((side, side), Image.NEAREST)
    canvas = Image.new("L", (width, height), 255)
    canvas.paste(image, ((width - side) // 2, (height - side) // 2))
    luma = canvas.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    frame = b"FRAME\n" + luma + chroma + chroma
    return header + frame * frames


def test_the_driver_scans_a_ticket_from_the_camera_then_from_a_photo(
    browser, open_context, device, asgi_server, bus, tmp_path
):
    trip, pnr = bus.trip, bus.pnr
    seated = Passenger.objects.get(pnr=pnr)
    png = ticket_png(ticket_get(pnr, seated.pk).token)
    video = tmp_path / "ticket.y4m"
    video.write_bytes(y4m_of_png(png))
    photo = tmp_path / "ticket.png"
    photo.write_bytes(png)

    camera = browser.browser_type.launch(
        executable_path=chromium_path(),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        page = open_context(device, chromium=camera, permissions=["camera"]).new_page()
        sign_in(page, email="driver@example.com", password=PASSWORD)
        page.goto("/driver/")
        scanner = page.locator("#scanner")
        expect(scanner.get_by_label("Trip")).to_have_value(str(trip.pk))
        scanner.get_by_role("button", name="Scan with the camera").click()
        answer = page.get_by_test_id("scan-result")
        expect(answer).to_have_attribute("data-result", "valid", timeout=15_000)
        expect(answer.locator(".scan-result-label")).to_have_text("Valid")
        expect(answer).to_contain_text("Aline Uwase")
        shot(page, "tracking-driver-scan-valid")

        # The same ticket again, from a photo: already boarded, when and by whom.
        scanner.locator("#scan-photo").set_input_files(str(photo))
        expect(answer).to_have_attribute("data-result", "already_boarded")
        expect(answer.locator(".scan-result-label")).to_have_text("Already boarded")
        boarding = Boarding.objects.get(passenger=seated)
        boarded_at = boarding.boarded_at.astimezone(KIGALI)
        expect(answer).to_contain_text(f"Boarded at {boarded_at:%H:%M} by Eric Habimana")
        assert_page_basics(page)
        shot(page, "tracking-driver-scan-already-boarded")
    finally:
        camera.close()
