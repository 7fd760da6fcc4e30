"""Enrolling and revoking POS devices, and resolving the audit cases of refused batches:
the services, and the admin that calls them."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booking.exceptions import PosRefused
from booking.models import Device
from booking.models.pos import AuditCase
from booking.pos.services.devices import (
    InvalidDevice,
    audit_case_resolve,
    device_enrol,
    device_revoke,
)
from booking.tests.buses import make_rwanda_bus
from fleet.tests.factories import CompanyFactory, staff_user
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.audit.models import AuditEntry

from .test_sync import Till, agent_of, enrolled

pytestmark = pytest.mark.django_db


def _key() -> str:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    return base64.b64encode(raw).decode()


def test_a_device_is_enrolled_only_for_an_agent_of_the_company_with_a_real_key():
    company = CompanyFactory()
    agent = agent_of(company)
    boss = staff_user(company)

    device = device_enrol(
        company=company, agent=agent, device_id="POS-1", public_key_b64=_key(), by=boss
    )

    assert (device.company, device.agent, len(bytes(device.public_key))) == (company, agent, 32)
    entry = AuditEntry.objects.get(action="pos.device_enrolled")
    assert (entry.actor_id, entry.data["device_id"]) == (boss.pk, "POS-1")
    with pytest.raises(PosRefused):
        device_enrol(
            company=CompanyFactory(), agent=agent, device_id="POS-2", public_key_b64=_key(), by=boss
        )
    with pytest.raises(PosRefused):
        device_enrol(
            company=company,
            agent=UserFactory(role=Role.PASSENGER),
            device_id="POS-3",
            public_key_b64=_key(),
            by=boss,
        )
    for bad in ("not base64!", base64.b64encode(b"short").decode(), ""):
        with pytest.raises(InvalidDevice) as refused:
            device_enrol(
                company=company, agent=agent, device_id="POS-4", public_key_b64=bad, by=boss
            )
        assert "public_key" in refused.value.fields
    with pytest.raises(InvalidDevice):
        device_enrol(
            company=company, agent=agent, device_id="POS-1", public_key_b64=_key(), by=boss
        )
    with pytest.raises(InvalidDevice):
        device_enrol(company=company, agent=agent, device_id="a b", public_key_b64=_key(), by=boss)
    assert Device.objects.count() == 1


def test_revoking_needs_a_reason_and_is_audited_once():
    company = CompanyFactory()
    _, device = enrolled(company)
    with pytest.raises(InvalidDevice):
        device_revoke(device=device, by=None, reason=" ")
    device_revoke(device=device, by=None, reason="Lost")
    device_revoke(device=device, by=None, reason="Lost again")
    device.refresh_from_db()
    assert device.revoked
    assert AuditEntry.objects.filter(action="pos.device_revoked").count() == 1


def test_the_companys_admin_enrols_and_revokes_in_the_admin_and_resolves_a_case(client):
    trip = make_rwanda_bus()
    company = trip.route.company
    agent = agent_of(company)
    boss = staff_user(company)
    client.force_login(boss)
    till = Till("POS-ADMIN-1")

    enrol = client.post(
        "/admin/booking/device/add/",
        {
            "company": company.pk,
            "agent": agent.pk,
            "device_id": till.device_id,
            "name": "Counter 2",
            "public_key_b64": till.public_b64,
        },
    )
    assert enrol.status_code == 302, enrol.content.decode()[:2000]
    device = Device.objects.get(device_id=till.device_id)
    assert device.agent == agent and bytes(device.public_key) == base64.b64decode(till.public_b64)
    listing = client.get("/admin/booking/device/")
    assert till.device_id in listing.content.decode()

    revoke = client.post(
        f"/admin/booking/device/{device.pk}/change/", {"revoke_reason": "Stolen at the counter"}
    )
    assert revoke.status_code == 302
    device.refresh_from_db()
    assert device.revoked
    answer = till.sync(till.records(trip, 1))
    assert not answer.ok
    case = AuditCase.objects.get()
    page = client.get(f"/admin/booking/auditcase/{case.pk}/change/")
    assert page.status_code == 200 and "revoked_device" in page.content.decode()

    empty = client.post(f"/admin/booking/auditcase/{case.pk}/change/", {"note": " "})
    assert empty.status_code == 200  # the form again, with the error
    resolve = client.post(
        f"/admin/booking/auditcase/{case.pk}/change/", {"note": "Device recovered; no sales."}
    )
    assert resolve.status_code == 302
    case.refresh_from_db()
    assert (case.resolved_by, case.note) == (boss, "Device recovered; no sales.")
    assert AuditEntry.objects.filter(action="pos.audit_case_resolved").count() == 1


def test_an_agent_of_another_company_is_refused_in_the_enrol_form(client):
    company = CompanyFactory()
    client.force_login(staff_user(company))
    outsider = agent_of(CompanyFactory())

    response = client.post(
        "/admin/booking/device/add/",
        {
            "company": company.pk,
            "agent": outsider.pk,
            "device_id": "POS-X",
            "public_key_b64": _key(),
        },
    )

    assert response.status_code == 200 and not Device.objects.exists()
    form = client.get("/admin/booking/device/add/").content.decode()
    assert f'value="{outsider.pk}"' not in form


def test_resolving_a_case_needs_a_note():
    company = CompanyFactory()
    _, device = enrolled(company)
    case = AuditCase.objects.create(
        company=company, device=device, agent=device.agent, reason="gap"
    )
    with pytest.raises(InvalidDevice):
        audit_case_resolve(case=case, by=None, note="")
    audit_case_resolve(case=case, by=None, note="Checked")
    case.refresh_from_db()
    assert case.resolved_at and case.note == "Checked"
