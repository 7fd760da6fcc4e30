"""The audit trail's entry (DESIGN.md 9): it names the actor (or the automatic process), the
target and the target's company, is rolled back with its change, and refuses data that is not
JSON as given and actions not in dotted form."""

from datetime import date

import pytest
from django.db import transaction

from ttms.audit.models import AuditEntry
from ttms.audit.selectors import audit_entries_for_target
from ttms.audit.services import audit_record

from .support import entry_of, target

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


def test_an_entry_names_the_actor_the_target_and_the_targets_company(bus_trip):
    entry = audit_record(
        actor=bus_trip.admin, action="trip.noted", target=bus_trip, data={"note": "x"}
    )

    assert entry_of(entry) == {
        "actor": bus_trip.admin,
        "actor_name": "admin@operator.test",
        "action": "trip.noted",
        "target": target(bus_trip),
        "company": bus_trip.route.company,
        "data": {"note": "x"},
    }
    assert list(audit_entries_for_target(target=bus_trip)) == [entry]


def test_an_automatic_entry_names_its_process_and_no_user(bus_trip):
    named = audit_record(actor="system:charting", action="trip.noted", target=bus_trip)
    unnamed = audit_record(actor=None, action="trip.noted", target=bus_trip)

    assert (named.actor, named.actor_name, named.data) == (None, "system:charting", {})
    assert (unnamed.actor, unnamed.actor_name) == (None, "system")


def test_an_entry_rolled_back_with_its_change_is_not_kept(bus_trip):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=bus_trip.admin, action="trip.noted", target=bus_trip)
        raise RuntimeError("the change failed")

    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"day": date(2030, 1, 7)},  # a date, not its ISO text
        {"legs": (1, 2)},  # a tuple would read back as a list
        {1: "x"},  # a key that would read back as "1"
        {"amount": float("nan")},
        ["not", "a", "dict"],
    ],
)
def test_data_that_is_not_json_as_given_is_refused_before_writing(bus_trip, data):
    with pytest.raises(TypeError):
        audit_record(actor=None, action="trip.noted", target=bus_trip, data=data)

    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize("action", ["cancelled", "Trip.Cancelled", "trip.", "trip cancelled"])
def test_an_action_not_in_dotted_form_is_refused(bus_trip, action):
    with pytest.raises(ValueError):
        audit_record(actor=None, action=action, target=bus_trip)

    assert AuditEntry.objects.count() == 0
