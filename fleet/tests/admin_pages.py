"""What the fleet admin tests share: the admin's addresses of a row, and a row as saved."""

from django.forms.models import model_to_dict
from django.urls import reverse


def admin_url(obj, view="change"):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])


def changelist_url(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")


def snapshot(obj):
    return model_to_dict(type(obj).objects.get(pk=obj.pk))


def management_form(prefix, total, initial=0):
    """The management form of an inline formset of `total` forms, `initial` of them saved."""
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
