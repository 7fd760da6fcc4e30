"""The operator API's building blocks: who counts as operator staff, which trip a user may
reach, and the company-scoped choices of the input fields. Shared with the apps above fleet
whose operator endpoints act on a trip (booking's trip status and vehicle swap)."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.views import APIView

from ttms.accounts.models import Role, User

from ..models import Trip, Vehicle
from ..selectors import company_ids_for_user, editable_company_ids, trip_get_for_user


class IsCompanyStaff(permissions.BasePermission):
    message = _("Only operator staff can use this.")

    def has_permission(self, request, view):
        ids = company_ids_for_user(request.user)
        return ids is None or bool(ids)


class OperatorView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsCompanyStaff]

    def check_can_edit(self, company_id: int) -> None:
        ids = editable_company_ids(self.request.user)
        if ids is not None and company_id not in ids:
            raise PermissionDenied(_("Your role in this company does not allow changing trips."))


# One answer for every id that is not the company's own, whether it is another user's or
# another company's or nobody's: naming the person (or telling "not yours" from "does not
# exist") would let staff walk the ids and list every account and every fleet.
NOT_A_DRIVER = _("Not a driver of this company.")
NOT_A_VEHICLE = _("Choose an active vehicle of this company.")


def company_drivers(company_id: int) -> QuerySet[User]:
    return User.objects.filter(memberships__company_id=company_id, memberships__role=Role.DRIVER)


def company_vehicles(company_id: int) -> QuerySet[Vehicle]:
    return Vehicle.objects.filter(company_id=company_id)


def trip_or_404(user, pk: int) -> Trip:
    try:
        return trip_get_for_user(user, pk)
    except Trip.DoesNotExist as exc:
        raise NotFound(_("No trip with this id.")) from exc
