"""Read-side queries of the fleet app."""

from django.db.models import QuerySet

from ttms.accounts.models import Role

from .models import Company


def company_ids_for_user(user) -> set[int] | None:
    """Ids of the companies whose data `user` may see; None means every company.

    A platform admin (or superuser) sees everything; anyone else sees the companies they hold
    a staff membership of, which for passengers is none.
    """
    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser or user.role == Role.PLATFORM_ADMIN:
        return None
    return set(user.memberships.values_list("company_id", flat=True))


def companies_for_user(user) -> QuerySet[Company]:
    ids = company_ids_for_user(user)
    companies = Company.objects.all()
    return companies if ids is None else companies.filter(pk__in=ids)
