"""No admin page shows a stored moment as Django prints it (in UTC, no zone named): every
datetime goes through a display that names its zone (fleet.admin_display, ttms.localtime)."""

from django.contrib import admin
from django.db import models
from django.test import RequestFactory

from ttms.accounts.tests.factories import UserFactory


def _named_fields(model_admin, request) -> set[str]:
    names = set()
    for options in (
        model_admin.get_list_display(request),
        model_admin.get_readonly_fields(request),
        *(opts.get("fields", ()) for _name, opts in model_admin.get_fieldsets(request)),
    ):
        for item in options:
            # A fieldset line may group fields: ("hours", "minutes").
            names.update(item if isinstance(item, (list, tuple)) else [item])
    return {name for name in names if isinstance(name, str)}


def test_no_admin_shows_a_raw_datetime_field(db):
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    raw = []
    for model, model_admin in admin.site._registry.items():
        if model_admin.date_hierarchy:
            field = model._meta.get_field(model_admin.date_hierarchy)
            if isinstance(field, models.DateTimeField):
                raw.append(f"{model._meta.label}.date_hierarchy={model_admin.date_hierarchy}")
        for name in _named_fields(model_admin, request):
            try:
                field = model._meta.get_field(name)
            except Exception:  # a display method, not a field
                continue
            if isinstance(field, models.DateTimeField):
                raw.append(f"{model._meta.label}.{name}")
    assert raw == [], "\n".join(raw)
