"""Stage fares: a bus operator in RWF prices Kigali–Musanze and Musanze–Rubavu by its table
and Kigali–Rubavu by its rate per km; search, the booking check and the charge agree, a
cancellation refunds by the company's policy on the fare charged, the settlement adds up.
Then the table's rules, the CSV import (command and admin upload) and the admin grid."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from fleet.models import Company, Trip
from fleet.tests.factories import (
    CompanyFactory,
    StationFactory,
    VehicleFactory,
    make_route,
    staff_user,
)
from payments.ledger.accounts import revenue_account_get_or_create
from payments.ledger.selectors import account_entries_sum, settlement_for_company
from payments.tests.factories import fund_wallet
from ttms.accounts.tests.factories import UserFactory
from ttms.audit.models import AuditEntry

from ..exceptions import FareNotSet
from ..lifecycle.services.cancellation import booking_cancel
from ..models import FareRule, StageFare
from ..sales.fares import booking_fare, tariff_get
from ..sales.services.create import booking_create
from ..sales.services.fares import stage_fares_import, stage_fares_save
from ..sales.services.precheck import booking_precheck
from .factories import adult

pytestmark = pytest.mark.django_db

KIGALI = ZoneInfo("Africa/Kigali")
DEPARTURE = datetime(2030, 1, 7, 8, 0, tzinfo=KIGALI)
NOW = DEPARTURE - timedelta(days=3)  # the tiered policy's 90 % band (48 h or more)
RATE = 25  # RWF per km: Kigali–Rubavu, 160 km, costs 4,000
HEADER = "from,to,class,fare\n"


@pytest.fixture
def line(db):
    """Volcano Express (bus, RWF, 5 % commission): route KR1 Kigali (0 km) – Musanze
    (95 km) – Rubavu (160 km), one 40-seat STANDARD bus, a trip on 7 Jan 2030; a rate of
    25 RWF per km; stage fares Kigali→Musanze 2,500 and Musanze→Rubavu 1,500."""
    company = CompanyFactory(
        name="Volcano Express", slug="volcano", kind=Company.Kind.BUS, currency="RWF"
    )
    kgl, mus, rbv = (
        StationFactory(code=code, name=name, time_zone="Africa/Kigali")
        for code, name in (("KGL", "Kigali"), ("MUS", "Musanze"), ("RBV", "Rubavu"))
    )
    route = make_route(
        company, [(kgl, 0, None, 0), (mus, 95, 120, 130), (rbv, 160, 240, None)], code="KR1"
    )
    trip = Trip.objects.create(
        route=route,
        service_date=DEPARTURE.date(),
        departure_at=DEPARTURE,
        arrival_at=DEPARTURE + timedelta(hours=4),
        vehicle=VehicleFactory(company=company, code="RAD 001 A"),
    )
    FareRule.objects.create(
        company=company, class_code="STANDARD", rate_per_km=RATE, minimum_fare=1_000
    )
    stage_fares_save(
        route=route,
        fares={(kgl.pk, mus.pk, "STANDARD"): 2_500, (mus.pk, rbv.pk, "STANDARD"): 1_500},
        by=None,
    )
    return company, route, trip, (kgl, mus, rbv)


def search_fares(client, origin: str, destination: str) -> dict:
    response = client.get(
        "/api/v1/trips/search/", {"from": origin, "to": destination, "date": "2030-01-07"}
    )
    assert response.status_code == 200, response.content
    (result,) = response.json()["results"]
    assert result["currency"] == "RWF"
    (standard,) = result["availability"]
    return standard["fares"]


def precheck_fare(trip, origin: str, destination: str) -> int:
    return booking_precheck(
        trip_id=trip.pk,
        origin_code=origin,
        destination_code=destination,
        class_code="STANDARD",
        quota="GENERAL",
        passengers=[adult()],
        now=NOW,
    ).fare


def rwf_user(amount: int = 100_000):
    user = UserFactory()
    fund_wallet(user, amount, "RWF")
    return user


def book(trip, origin: str, destination: str, user=None):
    return booking_create(
        user=user or rwf_user(),
        trip_id=trip.pk,
        origin_code=origin,
        destination_code=destination,
        class_code="STANDARD",
        quota="GENERAL",
        passengers=[adult()],
        now=NOW,
    )


@pytest.mark.parametrize(
    ("origin", "destination", "fare"),
    [("KGL", "MUS", 2_500), ("MUS", "RBV", 1_500), ("KGL", "RBV", 160 * RATE)],
)
def test_search_precheck_and_charge_give_the_stage_fare_else_the_rate(
    client, line, origin, destination, fare
):
    _company, _route, trip, _stations = line
    with time_machine.travel(NOW, tick=False):
        searched = search_fares(client, origin, destination)
        checked = precheck_fare(trip, origin, destination)
        pnr = book(trip, origin, destination)

    (passenger,) = pnr.passengers.all()
    assert searched == {"GENERAL": fare}
    assert checked == fare
    assert passenger.fare == fare


def test_the_trip_page_shows_the_stage_fare(client, line):
    _company, _route, trip, _stations = line
    client.force_login(UserFactory())
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("booking:trip", args=[trip.pk]), {"from": "KGL", "to": "MUS"})
    assert response.status_code == 200
    assert response.context["fare"] == 2_500


def test_quota_multipliers_apply_on_top_of_a_stage_fare(line):
    company, route, _trip, (kgl, mus, _rbv) = line
    tariff = tariff_get(
        company_id=company.pk,
        class_code="STANDARD",
        route_id=route.pk,
        origin_id=kgl.pk,
        destination_id=mus.pk,
    )
    assert tariff.stage_fare == 2_500
    assert tariff.fare(distance_km=Decimal("95"), quota="GENERAL") == 2_500
    assert tariff.fare(distance_km=Decimal("95"), quota="TATKAL") == 3_250
    assert tariff.fare(distance_km=Decimal("95"), quota="FOREIGN_TOURIST") == 3_750


def test_refund_and_settlement_follow_the_fares_charged(line):
    company, _route, trip, _stations = line
    with time_machine.travel(NOW, tick=False):
        first = book(trip, "KGL", "MUS")
        book(trip, "MUS", "RBV")
        book(trip, "KGL", "RBV")
        cancellation = booking_cancel(pnr=first, by=first.user, now=NOW)

    # The tiered policy, 72 h before departure: 90 % of the 2,500 charged.
    assert cancellation.refund == 2_250
    (passenger,) = first.passengers.all()
    assert passenger.refund == 2_250
    fares = 2_500 + 1_500 + 4_000
    # 5 % commission on each sale (125 + 75 + 200); the platform gives back its share of
    # what is refunded, rounded down: 125 × 2,250 // 2,500 = 112.
    commission = 400 - 112
    settlement = settlement_for_company(
        company=company, start=NOW.date(), end=NOW.date() + timedelta(days=1)
    )
    assert settlement.currency == "RWF"
    assert settlement.sales == fares
    assert settlement.refunds == 2_250
    assert settlement.commission == commission
    assert settlement.net == fares - commission - 2_250 == 5_462
    revenue = revenue_account_get_or_create(company=company)
    assert account_entries_sum(account=revenue) == 5_462


def test_a_class_of_a_non_inr_operator_without_rule_or_stage_fare_is_not_on_sale(client, line):
    company, _route, trip, _stations = line
    FareRule.objects.filter(company=company).delete()
    with time_machine.travel(NOW, tick=False):
        assert search_fares(client, "KGL", "RBV") == {}
        assert search_fares(client, "KGL", "MUS") == {"GENERAL": 2_500}
        user = rwf_user()
        with pytest.raises(FareNotSet) as refused:
            book(trip, "KGL", "RBV", user=user)

    assert refused.value.code == "fare_not_set"
    assert refused.value.fields == {"class": ["Not on sale on this journey."]}
    assert not user.pnrs.exists()


def test_an_inr_operator_without_rule_or_stage_fare_pays_the_default_rate(line):
    _company, route, _trip, (kgl, mus, _rbv) = line
    inr = CompanyFactory(kind=Company.Kind.BUS, currency="INR")
    # No rule, no stage fare: the default STANDARD rate (100 paise a km, at least 1,000).
    assert booking_fare(
        company_id=inr.pk,
        class_code="STANDARD",
        route_id=route.pk,
        origin_id=mus.pk,
        destination_id=kgl.pk,
        distance_km=Decimal("95"),
        quota="GENERAL",
        travellers=[adult().traveller],
    ) == ("GENERAL", 9_500)


# The table's rules


def test_a_stage_fare_must_run_forward_between_stops_of_its_route(line):
    _company, route, _trip, (kgl, mus, rbv) = line
    elsewhere = StationFactory(code="HYE", name="Huye", time_zone="Africa/Kigali")

    backwards = StageFare(route=route, origin=rbv, destination=kgl, class_code="VIP", amount=9)
    with pytest.raises(ValidationError) as error:
        backwards.full_clean()
    assert error.value.message_dict["destination"] == [
        "This stop comes before the boarding stop on the route."
    ]
    off_route = StageFare(
        route=route, origin=elsewhere, destination=mus, class_code="VIP", amount=9
    )
    with pytest.raises(ValidationError) as error:
        off_route.full_clean()
    assert error.value.message_dict["origin"] == ["This station is not a stop of the route."]


def test_saving_stage_fares_audits_each_change_and_empty_removes(line):
    _company, route, _trip, (kgl, mus, rbv) = line
    admin = UserFactory()
    AuditEntry.objects.all().delete()

    saved = stage_fares_save(
        route=route,
        fares={
            (kgl.pk, mus.pk, "STANDARD"): 2_600,
            (mus.pk, rbv.pk, "STANDARD"): None,
            (kgl.pk, rbv.pk, "STANDARD"): 3_900,
        },
        by=admin,
    )

    assert (saved.created, saved.changed, saved.deleted) == (1, 1, 1)
    assert sorted(StageFare.objects.values_list("origin__code", "destination__code", "amount")) == [
        ("KGL", "MUS", 2_600),
        ("KGL", "RBV", 3_900),
    ]
    (entry,) = AuditEntry.objects.all()
    assert entry.action == "stage_fares.changed"
    assert entry.actor_id == admin.pk
    assert entry.data == {
        "KGL-MUS STANDARD": [2_500, 2_600],
        "KGL-RBV STANDARD": [None, 3_900],
        "MUS-RBV STANDARD": [1_500, None],
    }


def test_saving_a_bad_stage_writes_nothing(line):
    _company, route, _trip, (kgl, mus, rbv) = line
    before = sorted(StageFare.objects.values_list("pk", "amount"))
    with pytest.raises(ValidationError) as error:
        stage_fares_save(
            route=route,
            fares={(kgl.pk, mus.pk, "STANDARD"): 1, (rbv.pk, mus.pk, "STANDARD"): 700},
            by=None,
        )
    assert error.value.message_dict == {
        f"{rbv.pk}-{mus.pk}-STANDARD": ["This stop comes before the boarding stop on the route."]
    }
    assert sorted(StageFare.objects.values_list("pk", "amount")) == before


# CSV import


def table(route) -> list[tuple[str, str, str, int]]:
    return sorted(
        StageFare.objects.filter(route=route).values_list(
            "origin__code", "destination__code", "class_code", "amount"
        )
    )


def test_import_sets_the_files_stages_and_keeps_the_others(line, tmp_path):
    _company, route, _trip, _stations = line
    path = tmp_path / "fares.csv"
    path.write_text(HEADER + "KGL,RBV,STANDARD,3900\nkgl,mus,vip,3500\nKGL,MUS,STANDARD,2600\n")

    call_command("import_fares", str(path), company="volcano", route="KR1")

    assert table(route) == [
        ("KGL", "MUS", "STANDARD", 2_600),
        ("KGL", "MUS", "VIP", 3_500),
        ("KGL", "RBV", "STANDARD", 3_900),
        ("MUS", "RBV", "STANDARD", 1_500),
    ]
    entry = AuditEntry.objects.filter(action="stage_fares.changed").latest("pk")
    assert entry.data["KGL-MUS STANDARD"] == [2_500, 2_600]


def test_import_reports_what_it_did(line, tmp_path, capsys):
    path = tmp_path / "fares.csv"
    path.write_text(HEADER + "KGL,RBV,STANDARD,3900\nMUS,RBV,STANDARD,\n")

    call_command("import_fares", str(path), company="volcano", route="KR1")

    out = capsys.readouterr().out
    assert "Imported 2 stage fare(s) in RWF: 1 new, 0 changed, 1 removed." in out


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("KGL,XYZ,STANDARD,100\n", "Line 3: no station has the code 'XYZ'."),
        ("KGL,HYE,STANDARD,100\n", "Line 3: HYE is not a stop of this route."),
        ("RBV,KGL,STANDARD,100\n", "Line 3: KGL comes before RBV on this route."),
        ("KGL,RBV,STANDARD,1500.5\n", "Line 3: '1500.5' is not a fare in RWF."),
        ("KGL,RBV,STANDARD,-3\n", "Line 3: '-3' is not a fare in RWF."),
        ("KGL,RBV,STANDARD,0\n", "Line 3: '0' is not a fare in RWF."),
        ("KGL,RBV,STANDARD\n", "Line 3: give 4 columns (from, to, class, fare)."),
        ("KGL,KGL,STANDARD,100\n", "Line 3: a stage ends at another stop than it starts at."),
        ("kgl,MUS,STANDARD,900\n", "Line 3: the stage KGL-MUS STANDARD is already on line 2."),
    ],
)
def test_a_bad_line_imports_nothing_and_is_named(line, body, error):
    _company, route, _trip, _stations = line
    StationFactory(code="HYE", name="Huye", time_zone="Africa/Kigali")
    before = table(route)
    with pytest.raises(ValidationError) as refused:
        stage_fares_import(route=route, text=HEADER + "KGL,MUS,STANDARD,2600\n" + body, by=None)
    assert refused.value.messages == [error]
    assert table(route) == before


def test_a_file_without_the_header_is_refused(line):
    _company, route, _trip, _stations = line
    with pytest.raises(ValidationError) as refused:
        stage_fares_import(route=route, text="KGL,MUS,STANDARD,2600\n", by=None)
    assert refused.value.messages == ["Line 1: the header must be from,to,class,fare."]


def test_the_command_lists_every_bad_line_and_fails(line, tmp_path, capsys):
    _company, route, _trip, _stations = line
    path = tmp_path / "fares.csv"
    path.write_text(HEADER + "KGL,RBV,STANDARD,abc\nKGL,MUS,STANDARD,2600\nRBV,MUS,VIP,1\n")
    before = table(route)

    with pytest.raises(CommandError, match="2 error"):
        call_command("import_fares", str(path), company="volcano", route="KR1")

    err = capsys.readouterr().err
    assert "Line 2: 'abc' is not a fare in RWF." in err
    assert "Line 4: MUS comes before RBV on this route." in err
    assert table(route) == before


def test_a_dry_run_counts_and_writes_nothing(line, tmp_path, capsys):
    _company, route, _trip, _stations = line
    path = tmp_path / "fares.csv"
    path.write_text(HEADER + "KGL,RBV,STANDARD,3900\nKGL,MUS,STANDARD,2600\n")
    before, audited = table(route), AuditEntry.objects.count()

    call_command("import_fares", str(path), company="volcano", route="KR1", dry_run=True)

    out = capsys.readouterr().out
    assert "Would import 2 stage fare(s) in RWF: 1 new, 1 changed, 0 removed." in out
    assert "Dry run: nothing was written." in out
    assert table(route) == before
    assert AuditEntry.objects.count() == audited


def test_the_command_refuses_an_unknown_route(line, tmp_path):
    path = tmp_path / "fares.csv"
    path.write_text(HEADER)
    with pytest.raises(CommandError, match="has no route with the code 'NOPE'"):
        call_command("import_fares", str(path), company="volcano", route="NOPE")


# The admin grid


def grid_url(route, class_code="STANDARD") -> str:
    return reverse("admin:booking_stagefare_grid", args=[route.pk]) + f"?class={class_code}"


def test_the_grid_shows_the_table_as_a_triangle_in_major_units(client, line):
    company, route, _trip, (kgl, mus, rbv) = line
    client.force_login(staff_user(company))

    response = client.get(grid_url(route))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.station.code for row in rows] == ["KGL", "MUS", "RBV"]
    assert [(c.name, c.value, c.placeholder) if c else None for c in rows[0].cells] == [
        (f"fare-{kgl.pk}-{mus.pk}", "2500", "2375"),
        (f"fare-{kgl.pk}-{rbv.pk}", "", "4000"),
    ]
    assert [(c.name, c.value) if c else None for c in rows[1].cells] == [
        None,
        (f"fare-{mus.pk}-{rbv.pk}", "1500"),
    ]
    html = response.content.decode()
    assert f'name="fare-{kgl.pk}-{rbv.pk}" value="" placeholder="4000"' in html
    assert f'name="fare-{rbv.pk}-{kgl.pk}"' not in html


def test_saving_the_grid_writes_every_cell_at_once(client, line):
    company, route, _trip, (kgl, mus, rbv) = line
    client.force_login(staff_user(company))

    response = client.post(
        grid_url(route),
        {
            f"fare-{kgl.pk}-{mus.pk}": "2600",
            f"fare-{kgl.pk}-{rbv.pk}": "3900",
            f"fare-{mus.pk}-{rbv.pk}": "",
            "save": "Save",
        },
    )

    assert response.status_code == 302
    assert table(route) == [("KGL", "MUS", "STANDARD", 2_600), ("KGL", "RBV", "STANDARD", 3_900)]


def test_a_bad_cell_is_shown_and_nothing_is_saved(client, line):
    company, route, _trip, (kgl, mus, rbv) = line
    client.force_login(staff_user(company))
    before = table(route)

    response = client.post(
        grid_url(route),
        {
            f"fare-{kgl.pk}-{mus.pk}": "1500.5",
            f"fare-{kgl.pk}-{rbv.pk}": "3900",
            f"fare-{mus.pk}-{rbv.pk}": "1500",
            "save": "Save",
        },
    )

    assert response.status_code == 200
    cells = response.context["rows"][0].cells
    assert (cells[0].value, cells[0].error) == ("1500.5", "Not an amount in RWF.")
    assert (cells[1].value, cells[1].error) == ("3900", "")
    assert "nothing was saved" in response.content.decode()
    assert table(route) == before


def test_the_grid_imports_an_uploaded_csv(client, line):
    from django.core.files.uploadedfile import SimpleUploadedFile

    company, route, _trip, _stations = line
    client.force_login(staff_user(company))
    upload = SimpleUploadedFile("fares.csv", (HEADER + "KGL,RBV,STANDARD,3900\n").encode())

    response = client.post(grid_url(route), {"file": upload, "import": "Import"})

    assert response.status_code == 302
    assert ("KGL", "RBV", "STANDARD", 3_900) in table(route)


def test_another_operators_admin_cannot_see_the_grid(client, line):
    _company, route, _trip, _stations = line
    client.force_login(staff_user(CompanyFactory(name="Other")))

    assert client.get(grid_url(route)).status_code == 404
    routes = client.get(reverse("admin:booking_stagefare_routes"))
    assert routes.status_code == 200
    assert list(routes.context["routes"]) == []


def test_the_stage_fare_list_links_to_the_fare_tables(client, line):
    company, _route, _trip, _stations = line
    client.force_login(staff_user(company))

    response = client.get(reverse("admin:booking_stagefare_changelist"))

    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("admin:booking_stagefare_routes") in html
    assert "RWF\xa02,500" in html


def test_the_search_page_shows_a_class_priced_nowhere_as_not_on_sale(client, line):
    company, _route, _trip, _stations = line
    FareRule.objects.filter(company=company).delete()
    client.force_login(UserFactory())
    with time_machine.travel(NOW, tick=False):
        unpriced = client.get(
            reverse("booking:search"), {"from": "KGL", "to": "RBV", "date": "2030-01-07"}
        )
        staged = client.get(
            reverse("booking:search"), {"from": "KGL", "to": "MUS", "date": "2030-01-07"}
        )

    (offer,) = unpriced.context["rows"][0].classes
    assert offer.fare is None
    page = unpriced.content.decode()
    assert "Not on sale" in page
    assert "RWF\u00a00" not in page
    assert "Not on sale" not in staged.content.decode()
    assert "RWF\u00a02,500" in staged.content.decode()
