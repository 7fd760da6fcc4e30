"""Company scoping for the admin site: operator staff see and edit only their company's data.

A ModelAdmin mixes in CompanyScopedAdmin and names, in `company_field`, the lookup path from
its model to the Company ("company", "route__company", or "pk" for Company itself). Platform
admins see everything.
"""

from django.contrib import admin

from fleet.models import Company
from fleet.selectors import company_ids_for_user
from ttms.accounts.models import Role

# Roles that may change company data in the admin (others may only view it).
EDITOR_ROLES = frozenset({Role.COMPANY_ADMIN, Role.SCHEDULER, Role.PLATFORM_ADMIN})


class CompanyScopedAdmin(admin.ModelAdmin):
    company_field = "company"

    def _company_ids(self, request):
        return company_ids_for_user(request.user)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        ids = self._company_ids(request)
        if ids is None:
            return queryset
        return queryset.filter(**{f"{self.company_field}__in": ids})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        ids = self._company_ids(request)
        if ids is not None:
            related = db_field.related_model
            if related is Company:
                kwargs["queryset"] = Company.objects.filter(pk__in=ids)
            elif any(f.name == "company" for f in related._meta.get_fields()):
                kwargs["queryset"] = related._default_manager.filter(company__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _is_staff_of_some_company(self, request) -> bool:
        ids = self._company_ids(request)
        return ids is None or bool(ids)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff and \
            self._is_staff_of_some_company(request)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and self._owns(request, obj)

    def has_change_permission(self, request, obj=None):
        return (self.has_view_permission(request, obj)
                and request.user.role in EDITOR_ROLES)

    def has_add_permission(self, request):
        return self.has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def _owns(self, request, obj) -> bool:
        if obj is None:
            return True
        ids = self._company_ids(request)
        return ids is None or self.get_queryset(request).filter(pk=obj.pk).exists()
