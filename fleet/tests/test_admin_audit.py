"""Rows the fleet admin saves itself (no service behind it) are audited: one entry per save
of an admin page, in its transaction, "<name>.created" with the values entered,
"<name>.changed" with [before, after] of each changed field and of its inline rows,
"<name>.deleted" with the values the row had."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from fleet.models import (
    Coach,
    CompanyMembership,
    Route,
    SeatLayout,
    Station,
    TravelClass,
    Vehicle,
)
from fleet.services import station_upsert
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.audit.models import AuditEntry
from ttms.audit.services import audit_values

from .admin_pages import admin_url, management_form
from .factories import VehicleFactory, make_route

pytestmark = pytest.mark.django_db


def page_data(response) -> dict:
    """What the admin page in `response` would post back unchanged: its form's and its
    inlines' values as shown, with their management forms."""
    forms = [response.context["adminform"].form]
    data: dict[str, Any] = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(n): management[n].value() for n in management.fields})
        forms += formset.forms
    for form in forms:
        for name, field in form.fields.items():
            value = field.prepare_value(form[name].value())
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


@dataclass
class Family:
    name: str
    model: type
    make: Any  # (company, line) -> a saved row
    add: Any  # (company, line) -> the add form's data
    field: str
    new_value: Any
    before: Any
    after: Any

    def __str__(self) -> str:
        return self.name


def _station(company, line):
    return station_upsert(
        code="A-9", name="A Lake Side", time_zone="Africa/Kigali", company=company
    )


def _route(company, line):
    stations, _, _ = line
    return make_route(
        company,
        [(stations[0], 0, None, 0), (stations[2], 50, 70, None)],
        code="A-R9",
        number="A9",
        name="Express",
    )


FAMILIES = [
    Family(
        "membership",
        CompanyMembership,
        lambda company, line: CompanyMembership.objects.create(
            company=company, user=UserFactory(email="sam@alpha.example"), role=Role.SCHEDULER
        ),
        lambda company, line: {
            "user": UserFactory(email="new@alpha.example").pk,
            "company": company.pk,
            "role": Role.DRIVER,
        },
        "role",
        Role.AGENT,
        Role.SCHEDULER,
        Role.AGENT,
    ),
    Family(
        "station",
        Station,
        _station,
        lambda company, line: {
            "code": "A-10",
            "name": "A Hill",
            "time_zone": "Africa/Kigali",
            "company": company.pk,
            **management_form("aliases", 0),
        },
        "name",
        "A Lakeside",
        "A Lake Side",
        "A Lakeside",
    ),
    Family(
        "travel_class",
        TravelClass,
        lambda company, line: TravelClass.objects.create(
            company=company, code="LUX", name="Luxury", rank=5
        ),
        lambda company, line: {"code": "BIZ", "name": "Business", "company": company.pk, "rank": 6},
        "rank",
        7,
        5,
        7,
    ),
    Family(
        "seat_layout",
        SeatLayout,
        lambda company, line: SeatLayout.objects.create(
            company=company, name="Minibus", kind="GRID", grid="AB_C"
        ),
        lambda company, line: {
            "name": "Coaster",
            "company": company.pk,
            "kind": "BUS21",
            "rows": 8,
        },
        "grid",
        "AB_CD",
        "AB_C",
        "AB_CD",
    ),
    Family(
        "vehicle",
        Vehicle,
        lambda company, line: VehicleFactory(company=company, code="A BUS 9", name="Old"),
        lambda company, line: {
            "company": company.pk,
            "code": "A BUS 10",
            "kind": "bus",
            "is_active": "on",
            **management_form("coaches", 0),
        },
        "name",
        "Blue Bird",
        "Old",
        "Blue Bird",
    ),
    Family(
        "coach",
        Coach,
        lambda company, line: VehicleFactory(company=company, code="A BUS 9").coaches.get(),
        lambda company, line: {
            "vehicle": line[1].pk,
            "code": "C2",
            "travel_class": TravelClass.objects.get(code="STANDARD", company=None).pk,
            "position": 2,
            **management_form("seats", 0),
        },
        "position",
        3,
        1,
        3,
    ),
    Family(
        "route",
        Route,
        _route,
        lambda company, line: {
            "company": company.pk,
            "code": "A-R10",
            "number": "A10",
            "name": "Night line",
            "departure_times": "22:00",
            "running_days": [1, 2, 4],
            "is_active": "on",
            **management_form("stops", 2),
            "stops-0-sequence": 1,
            "stops-0-station": line[0][0].pk,
            "stops-0-distance_km": 0,
            "stops-0-departure_offset": 0,
            "stops-1-sequence": 2,
            "stops-1-station": line[0][1].pk,
            "stops-1-distance_km": 20,
            "stops-1-arrival_offset": 30,
            **management_form("exceptions", 0),
        },
        "name",
        "Express North",
        "Express",
        "Express North",
    ),
]


def _entries():
    return list(AuditEntry.objects.order_by("pk"))


@pytest.mark.parametrize("family", FAMILIES, ids=str)
def test_a_row_added_in_the_admin_is_audited_as_created(
    client, platform_admin, company_a, line_a, family
):
    # A platform admin: company staff pick only users who already work for them.
    client.force_login(platform_admin)
    before = set(family.model.objects.values_list("pk", flat=True))
    url = reverse(f"admin:fleet_{family.model._meta.model_name}_add")

    response = client.post(url, family.add(company_a, line_a))

    assert response.status_code == 302, response.context and response.context["errors"]
    (row,) = family.model.objects.exclude(pk__in=before)
    (entry,) = _entries()
    assert (entry.action, entry.target_id, entry.actor, entry.company) == (
        f"{family.name}.created",
        str(row.pk),
        platform_admin,
        company_a,
    )
    assert (
        entry.data[family.field] == audit_values(instance=row, fields=[family.field])[family.field]
    )


@pytest.mark.parametrize("family", FAMILIES, ids=str)
def test_a_row_changed_in_the_admin_is_audited_with_what_changed(
    client, admin_a, company_a, line_a, family
):
    row = family.make(company_a, line_a)
    client.force_login(admin_a)
    data = page_data(client.get(admin_url(row)))
    data[family.field] = family.new_value

    response = client.post(admin_url(row), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    (entry,) = _entries()
    assert (entry.action, entry.target_id, entry.actor_name, entry.company_id) == (
        f"{family.name}.changed",
        str(row.pk),
        admin_a.email,
        company_a.pk,
    )
    assert entry.data == {family.field: [family.before, family.after]}


@pytest.mark.parametrize("family", FAMILIES, ids=str)
def test_a_row_saved_unchanged_writes_no_entry(client, admin_a, company_a, line_a, family):
    row = family.make(company_a, line_a)
    client.force_login(admin_a)

    response = client.post(admin_url(row), page_data(client.get(admin_url(row))))

    assert response.status_code == 302, response.context and response.context["errors"]
    assert _entries() == []


@pytest.mark.parametrize("family", FAMILIES, ids=str)
def test_a_row_deleted_in_the_admin_is_audited_with_its_values(
    client, admin_a, company_a, line_a, family
):
    row = family.make(company_a, line_a)
    pk = row.pk
    client.force_login(admin_a)

    response = client.post(admin_url(row, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert not family.model.objects.filter(pk=pk).exists()
    (entry,) = _entries()
    assert (entry.action, entry.target_id, entry.company_id) == (
        f"{family.name}.deleted",
        str(pk),
        company_a.pk,
    )
    assert entry.data[family.field] == family.before


def test_inline_rows_changed_with_their_route_are_in_its_entry(client, admin_a, line_a):
    _, _, route = line_a
    second = route.stops.get(sequence=2)
    client.force_login(admin_a)
    data = page_data(client.get(admin_url(route)))
    data["stops-1-arrival_offset"] = 28

    response = client.post(admin_url(route), data)

    assert response.status_code == 302
    (entry,) = _entries()
    assert (entry.action, entry.data) == (
        "route.changed",
        {"stops": {"changed": [{"id": second.pk, "arrival_offset": [30, 28]}]}},
    )


def test_inline_rows_added_and_deleted_are_in_the_entry(client, admin_a, company_a, line_a):
    station = station_upsert(
        code="A-9",
        name="A Lake Side",
        time_zone="Africa/Kigali",
        company=company_a,
        aliases=["Old Pier"],
    )
    alias = station.aliases.get()
    client.force_login(admin_a)
    data = page_data(client.get(admin_url(station)))
    data.update({"aliases-0-DELETE": "on", "aliases-1-name": "Harbour"})

    response = client.post(admin_url(station), data)

    assert response.status_code == 302
    added = station.aliases.get()
    (entry,) = _entries()
    assert (entry.action, entry.data) == (
        "station.changed",
        {
            "aliases": {
                "added": [{"name": "Harbour"}],
                "deleted": [{"id": alias.pk, "name": "Old Pier"}],
            }
        },
    )
    assert added.name == "Harbour"


def test_a_save_the_admin_refuses_writes_no_entry(client, admin_a, line_a):
    _, _, route = line_a
    client.force_login(admin_a)
    data = page_data(client.get(admin_url(route)))
    data["stops-1-arrival_offset"] = 90

    response = client.post(admin_url(route), data)

    assert response.status_code == 200
    assert _entries() == []
    assert route.stops.get(sequence=2).arrival_offset == 30


def test_delete_selected_audits_each_row_deleted(client, admin_a, company_a):
    layouts = [
        SeatLayout.objects.create(company=company_a, name=name, kind="GRID", grid="AB_C")
        for name in ("Minibus", "Van")
    ]
    client.force_login(admin_a)

    response = client.post(
        reverse("admin:fleet_seatlayout_changelist"),
        {"action": "delete_selected", "_selected_action": [x.pk for x in layouts], "post": "yes"},
    )

    assert response.status_code == 302
    assert not SeatLayout.objects.filter(pk__in=[x.pk for x in layouts]).exists()
    assert [(e.action, e.target_id, e.data["name"]) for e in _entries()] == [
        ("seat_layout.deleted", str(layouts[0].pk), "Minibus"),
        ("seat_layout.deleted", str(layouts[1].pk), "Van"),
    ]
