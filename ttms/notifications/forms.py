"""The preferences page's form: one checkbox per event and channel, the cells that cannot be
turned off disabled (a disabled field keeps its initial value, whatever is posted)."""

from django import forms
from django.utils.translation import gettext as _

from .selectors import PreferenceRow


def field_name(topic: str, channel: str) -> str:
    return f"{topic}:{channel}"


class PreferencesForm(forms.Form):
    def __init__(self, *args, table: list[PreferenceRow], **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        for row in table:
            for cell in row.cells:
                label = _("%(event)s by %(channel)s") % {
                    "event": row.event.label,
                    "channel": cell.label,
                }
                self.fields[field_name(row.event.topic, cell.channel)] = forms.BooleanField(
                    label=label,
                    required=False,
                    initial=cell.enabled,
                    disabled=cell.locked,
                )

    def rows(self):
        """The table for the template: each event with its bound checkboxes."""
        return [
            (
                row.event,
                [(cell, self[field_name(row.event.topic, cell.channel)]) for cell in row.cells],
            )
            for row in self.table
        ]

    def choices(self) -> dict[tuple[str, str], bool]:
        """{(topic, channel): enabled} of the cells the user may change."""
        return {
            (row.event.topic, cell.channel): self.cleaned_data[
                field_name(row.event.topic, cell.channel)
            ]
            for row in self.table
            for cell in row.cells
            if not cell.locked
        }
