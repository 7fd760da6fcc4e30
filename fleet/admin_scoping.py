"""Company scoping for the admin site: operator staff see and edit only their company's data.
Fleet's, as companies and memberships are: every app's admin above fleet uses it too.

A model names the lookup path from itself to its Company in a `company_path` class attribute
("company", "route__company", "pk" for Company itself; default "company"), and sets
`company_shared_when_null = True` when rows without a company are shared with every operator
(stations of the national network, the standard travel classes and seat layouts): staff see
those but only a platform admin edits them.

Every ModelAdmin of company data mixes in CompanyScopedAdmin, every inline
CompanyScopedInline. They scope querysets (so change lists, change pages, deletes, actions
and autocomplete), foreign-key and many-to-many choices, and permissions:

- platform admins (and superusers) see and edit everything;
- staff see their companies' rows (and shared ones);
- staff whose membership role is in `editor_roles` (company admin, scheduler) also add,
  change and delete them; drivers and agents only look.
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters

from ttms.accounts.models import User

from .models import Company, CompanyMembership
from .selectors import (
    EDITOR_ROLES,
    companies_for_user,
    company_ids_for_user,
    company_path,
    is_company_scoped,
    scope_queryset,
)


class _Scope:
    """The companies a request's user sees and edits, computed once per request."""

    def __init__(self, request, editor_roles):
        cache = request.__dict__.setdefault("_ttms_company_scope", {})
        key = frozenset(editor_roles)
        if key not in cache:
            user = request.user
            visible = company_ids_for_user(user)
            if visible is None:
                editable = None
            else:
                editable = set(
                    CompanyMembership.objects.filter(user=user, role__in=editor_roles).values_list(
                        "company_id", flat=True
                    )
                )
            cache[key] = (visible, editable)
        self.visible, self.editable = cache[key]

    @property
    def is_platform(self) -> bool:
        return self.visible is None


class _ScopedPermissions:
    editor_roles = EDITOR_ROLES

    def _scope(self, request) -> _Scope:
        return _Scope(request, self.editor_roles)

    def _is_staff(self, request) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        scope = self._scope(request)
        return scope.is_platform or bool(scope.visible)

    def _can_see(self, request, obj) -> bool:
        if obj is None:
            return True
        scope = self._scope(request)
        return (
            scope.is_platform
            or scope_queryset(type(obj)._default_manager.filter(pk=obj.pk), scope.visible).exists()
        )

    def _can_edit(self, request, obj) -> bool:
        scope = self._scope(request)
        if scope.is_platform:
            return True
        if not scope.editable:
            return False
        if obj is None:
            return True
        return scope_queryset(
            type(obj)._default_manager.filter(pk=obj.pk), scope.editable, include_shared=False
        ).exists()

    def _limit_foreign_key(self, db_field, request, kwargs) -> None:
        scope = self._scope(request)
        if scope.is_platform:
            return
        related = db_field.related_model
        if related is Company:
            # Staff create rows for the companies they edit, never shared ones.
            kwargs["queryset"] = Company.objects.filter(pk__in=scope.editable or set())
            kwargs["required"] = True
        elif is_company_scoped(related):
            kwargs["queryset"] = scope_queryset(related._default_manager.all(), scope.visible)
        elif related is User:
            kwargs["queryset"] = User.objects.filter(
                memberships__company__in=scope.visible
            ).distinct()

    def _limit_many_to_many(self, db_field, request, kwargs) -> None:
        scope = self._scope(request)
        if scope.is_platform:
            return
        related = db_field.related_model
        if related is User:
            kwargs["queryset"] = User.objects.filter(
                memberships__company__in=scope.visible
            ).distinct()
        elif is_company_scoped(related):
            kwargs["queryset"] = scope_queryset(related._default_manager.all(), scope.visible)


class CompanyScopedAdmin(_ScopedPermissions, admin.ModelAdmin):
    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), self._scope(request).visible)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        self._limit_foreign_key(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        self._limit_many_to_many(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return self._is_staff(request)

    def has_view_permission(self, request, obj=None):
        return self._is_staff(request) and self._can_see(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj) and self._can_edit(request, obj)

    def has_add_permission(self, request):
        return self._is_staff(request) and self._can_edit(request, None)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


class CompanyScopedInline(_ScopedPermissions):
    """Mix into an InlineModelAdmin; `obj` in its permission checks is the parent row."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        self._limit_foreign_key(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        self._limit_many_to_many(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_view_permission(self, request, obj=None):
        return self._is_staff(request) and self._can_see(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj) and self._can_edit(request, obj)

    def has_add_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


class ReadOnlyScopedAdmin(CompanyScopedAdmin):
    """Records written only by services (ledgers, PNRs, audit trails): staff of the company
    look, nobody adds, edits or deletes them here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInlineMixin:
    """Mix into an InlineModelAdmin of rows written only by services: shown, never added,
    edited or deleted from the parent's page."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CompanyListFilter(admin.SimpleListFilter):
    """ "By company" in a change list, offering only the companies the user works for (a
    plain related-field filter would list every operator on the platform)."""

    title = "company"
    parameter_name = "company"

    def lookups(self, request, model_admin):
        return [(str(c.pk), c.name) for c in companies_for_user(request.user)]

    def queryset(self, request, queryset):
        """Rows of the chosen company. A value that is not a company id at all is refused
        as Django's own filters refuse a bad lookup (IncorrectLookupParameters: the change
        list redirects to itself, unfiltered, with ?e=1); the id of a company the user
        cannot choose (unknown, another operator's, beyond the database's integers) gives
        no rows, without asking the database."""
        value = self.value()
        if value is None:
            return queryset
        if not (value.isascii() and value.isdigit()):
            raise IncorrectLookupParameters(f"{value!r} is not a company id.")
        if value not in dict(self.lookup_choices):
            return queryset.none()
        return queryset.filter(**{company_path(queryset.model): int(value)})
