from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    UserChangeForm,
)
from django.utils.translation import gettext_lazy as _

from ttms.audit.admin_saves import AuditSavesMixin
from ttms.localtime import local_datetime

from .forms import PasswordToldMixin, PhoneField
from .models import User


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "role")


class UserChangeForm(UserChangeForm):
    # Typed as people write it, kept in E.164.
    phone = PhoneField(label=_("Phone for SMS"), required=False)

    class Meta:
        model = User
        fields = "__all__"


class PasswordChangeForm(PasswordToldMixin, AdminPasswordChangeForm):
    pass


@admin.register(User)
class UserAdmin(AuditSavesMixin, DjangoUserAdmin):
    # The password's hash is never written to the trail.
    audit_name = "user"
    audit_exclude = frozenset({"password"})
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = PasswordChangeForm
    list_display = ["email", "full_name", "role", "phone", "is_active", "joined_utc"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "full_name", "phone"]
    search_help_text = _("Email, full name or phone.")
    ordering = ["email"]
    # Accounts belong to no operator's zone: their dates are in UTC, named so.
    readonly_fields = ["last_login_utc", "joined_utc"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["full_name", "phone", "role", "language"]}),
        (
            _("Access"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login_utc", "joined_utc"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "role", "password1", "password2"],
            },
        ),
    ]

    @admin.display(description=_("joined (UTC)"), ordering="date_joined")
    def joined_utc(self, user: User) -> str:
        return local_datetime(user.date_joined, "UTC")

    @admin.display(description=_("last sign-in (UTC)"))
    def last_login_utc(self, user: User) -> str:
        return local_datetime(user.last_login, "UTC") or "—"
