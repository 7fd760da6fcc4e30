"""The audit trail of rows the admin saves itself, with no service behind it (stations,
routes, vehicles, seat layouts, memberships, users): `AuditSavesMixin`.

One entry per save of an admin page, written in the admin's transaction with the rest of
the save: "<name>.created" with the values entered, "<name>.changed" with each changed
field's [before, after] (none when nothing changed), "<name>.deleted" with the values the
row had. The rows of the page's inlines are part of the entry, under their related name:
{"stops": {"added": [...], "changed": [{"id": 3, "km": ["10", "12"]}], "deleted": [...]}}.

Imports no app and no other admin module, so every app's admin may use it.
"""

from django.db import router, transaction
from django.db.models import Model

from .services import audit_changes, audit_record, audit_values


class AuditSavesMixin:
    """Mix into a ModelAdmin (before the admin class) whose saves call no service.

    `audit_name` is the first part of the actions ("station" gives "station.created");
    `audit_exclude` names fields never written to the trail (a password hash). The values
    recorded are those of the fields the form shows, many-to-many ones as sorted ids.
    """

    audit_name: str = ""
    audit_exclude: frozenset[str] = frozenset()

    # Where the state of one save is kept between the hooks the admin calls: on its form,
    # which lives for one request (the ModelAdmin itself is shared by every request).
    _before_attr = "_audit_before"
    _inlines_attr = "_audit_inlines"

    def save_model(self, request, obj, form, change):
        before = None
        if change and obj.pk is not None:
            row = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = row and _values(row, self._audit_fields(form))
        setattr(form, self._before_attr, before)
        setattr(form, self._inlines_attr, {})
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        fields = [
            name
            for name in self._audit_fields(formset.empty_form, model=formset.model)
            if name != formset.fk.name
        ]
        saved = {
            f.instance.pk: f
            for f in formset.initial_forms
            if f.instance.pk is not None and (f in formset.deleted_forms or f.has_changed())
        }
        stored = formset.model._default_manager.filter(pk__in=saved)
        before = {row.pk: _values(row, fields) for row in stored}
        deleted = [
            {"id": pk, **before[pk]}
            for pk, f in saved.items()
            if f in formset.deleted_forms and pk in before
        ]
        super().save_formset(request, form, formset, change)
        rows = {
            "added": [_values(obj, fields) for obj in formset.new_objects],
            "changed": [
                {"id": obj.pk, **changes}
                for obj, _ in formset.changed_objects
                if (
                    changes := audit_changes(
                        before=before.get(obj.pk, {}), after=_values(obj, fields)
                    )
                )
            ],
            "deleted": deleted,
        }
        rows = {kind: items for kind, items in rows.items() if items}
        if rows:
            inlines = getattr(form, self._inlines_attr, None)
            if inlines is None:
                inlines = {}
                setattr(form, self._inlines_attr, inlines)
            inlines[formset.fk.remote_field.get_accessor_name()] = rows

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        after = _values(obj, self._audit_fields(form))
        inlines = getattr(form, self._inlines_attr, None) or {}
        if not change:
            data, action = {**after, **inlines}, "created"
        else:
            before = getattr(form, self._before_attr, None) or {}
            data, action = {**audit_changes(before=before, after=after), **inlines}, "changed"
            if not data:
                return
        audit_record(
            actor=request.user,
            action=f"{self._audit_action_name()}.{action}",
            target=obj,
            data=data,
        )

    def delete_model(self, request, obj):
        self._audit_deleted(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # The bulk "Delete selected" action runs outside the admin's page transaction.
        with transaction.atomic(using=router.db_for_write(self.model)):
            for obj in queryset.order_by("pk"):
                self._audit_deleted(request, obj)
            super().delete_queryset(request, queryset)

    def _audit_deleted(self, request, obj: Model) -> None:
        fields = [
            f.name
            for f in obj._meta.get_fields()
            if (f.concrete or f.many_to_many)
            and not f.auto_created
            and f.editable
            and not f.primary_key
            and f.name not in self.audit_exclude
        ]
        audit_record(
            actor=request.user,
            action=f"{self._audit_action_name()}.deleted",
            target=obj,
            data=_values(obj, fields),
        )

    def _audit_action_name(self) -> str:
        return self.audit_name or self.model._meta.model_name

    def _audit_fields(self, form, model=None) -> list[str]:
        """The fields of `form` that are fields of the model, minus `audit_exclude`."""
        opts = (model or self.model)._meta
        names = {f.name for f in opts.get_fields() if f.concrete or f.many_to_many}
        return [
            name
            for name in form.fields
            if name in names
            and name not in self.audit_exclude
            and not opts.get_field(name).primary_key
        ]


def _values(obj: Model, fields: list[str]) -> dict:
    """`audit_values` of `obj`, with many-to-many fields as sorted lists of ids."""
    many = [name for name in fields if obj._meta.get_field(name).many_to_many]
    values = audit_values(instance=obj, fields=[name for name in fields if name not in many])
    for name in many:
        values[name] = sorted(getattr(obj, name).values_list("pk", flat=True)) if obj.pk else []
    return {name: values[name] for name in fields}
