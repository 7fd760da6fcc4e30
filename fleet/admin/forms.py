"""The company's forms in the admin: the platform admin's invitation of a new operator, and
the settings a company admin edits, each setting through a widget of its own (checkboxes,
radio buttons, a table of refund tiers, a grid of seat counts), never a JSON text box."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ttms.accounts.models import User, normalize_email
from ttms.money import format_money

from ..models import BOOKABLE_QUOTA_CHOICES, BOOKABLE_QUOTAS, Company, Quota, TravelClass
from ..models.companies import BUS_QUOTAS, RAIL_QUOTAS
from ..refund_policies import (
    IRCTC_DEFAULT_FLAT_CHARGE,
    IRCTC_FLAT_CHARGES,
    tiers_from_json,
)

# Empty rows offered under a company's tiers, for adding some.
SPARE_TIER_ROWS = 2
MIN_TIER_ROWS = 4


def _commission_field() -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Commission (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        help_text=_("The platform's share of each sale, e.g. 5 or 12.5."),
    )


def commission_bp(percent: Decimal) -> int:
    """A validated percentage (two decimals at most) as basis points, exactly."""
    return int(percent * 100)


# --- Quotas ---------------------------------------------------------------------------------


class QuotaCheckboxes(forms.CheckboxSelectMultiple):
    """The quotas as checkboxes, GENERAL ticked and disabled: it is always sold."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value == Quota.GENERAL:
            option["selected"] = True
            option["attrs"] = {**option["attrs"], "disabled": True, "checked": True}
        return option


class QuotasField(forms.MultipleChoiceField):
    widget = QuotaCheckboxes

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", BOOKABLE_QUOTA_CHOICES)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value):
        chosen = set(super().clean(value)) | {Quota.GENERAL}
        return [q.value for q in BOOKABLE_QUOTAS if q in chosen]


# --- Refund tiers ---------------------------------------------------------------------------

_TIER_KEYS = ("hours", "at_least", "charge_percent", "flat_charge", "until_charting")


class RefundTiersWidget(forms.Widget):
    """A table of tiers, one row each: "hours before departure ≥ (or >) …, charge … %",
    whether the class's flat charge is the least charged, whether it ends at charting."""

    template_name = "fleet/widgets/refund_tiers.html"
    flat_charges: list[tuple[str, str]] = []

    def value_from_datadict(self, data, files, name):
        count = _row_count(data, f"{name}-rows")
        rows = []
        for index in range(count):
            prefix = f"{name}-{index}-"
            rows.append(
                {
                    "hours": data.get(prefix + "hours", "").strip(),
                    "at_least": data.get(prefix + "at_least", "1") != "0",
                    "charge_percent": data.get(prefix + "charge_percent", "").strip(),
                    "flat_charge": prefix + "flat_charge" in data,
                    "until_charting": prefix + "until_charting" in data,
                }
            )
        return rows

    def value_omitted_from_data(self, data, files, name):
        return f"{name}-rows" not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = [_tier_row(tier) for tier in _tier_rows(value)]
        rows += [_tier_row({}) for _ in range(max(SPARE_TIER_ROWS, MIN_TIER_ROWS - len(rows)))]
        context["widget"].update(
            rows=[
                {**row, "prefix": f"{name}-{index}-", "number": index + 1}
                for index, row in enumerate(rows)
            ],
            row_count=len(rows),
            flat_charges=self.flat_charges,
        )
        return context


def _row_count(data, key: str) -> int:
    try:
        return max(0, min(int(data.get(key, 0)), 50))
    except (TypeError, ValueError):
        return 0


def _tier_rows(value) -> list:
    if isinstance(value, str):  # the model's value as a form's initial data
        return []
    return [row for row in value or [] if isinstance(row, dict) and _filled(row)]


def _filled(row: dict) -> bool:
    return any(row.get(key) not in (None, "") for key in ("hours", "charge_percent"))


def _tier_row(tier: dict) -> dict:
    return {
        "hours": "" if tier.get("hours") in (None, "") else str(tier["hours"]),
        "at_least": tier.get("at_least", True),
        "charge_percent": (
            "" if tier.get("charge_percent") in (None, "") else str(tier["charge_percent"])
        ),
        "flat_charge": bool(tier.get("flat_charge")),
        "until_charting": bool(tier.get("until_charting")),
    }


def _json_number(text: str, row: int, label: str) -> int | float:
    """A typed number as refund_policies reads it: an int when whole, else the float whose
    repr is the typed decimal (so 0.5 stays exactly 0.5)."""
    try:
        value = Decimal(text.replace(",", "."))
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite():
        raise ValidationError(
            _("Row %(row)s: %(label)s must be a number.") % {"row": row, "label": label}
        )
    return int(value) if value == value.to_integral_value() else float(str(value))


class RefundTiersField(forms.Field):
    """The tiers as `Company.refund_tiers` keeps them, checked by `tiers_from_json`; rows
    left empty are ignored, and no row at all means the preset's tiers."""

    widget = RefundTiersWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        tiers = []
        for number, row in enumerate(value or [], start=1):
            if not isinstance(row, dict) or not (row.get("hours") or row.get("charge_percent")):
                continue
            if not row.get("hours") or not row.get("charge_percent"):
                raise ValidationError(
                    _("Row %(row)s: give both the hours and the charge.") % {"row": number}
                )
            tier = {
                "hours": _json_number(row["hours"], number, _("the hours")),
                "charge_percent": _json_number(row["charge_percent"], number, _("the charge")),
            }
            if not row.get("at_least", True):
                tier["at_least"] = False
            if row.get("flat_charge"):
                tier["flat_charge"] = True
            if row.get("until_charting"):
                tier["until_charting"] = True
            tiers.append(tier)
        return tiers

    def validate(self, value):
        super().validate(value)
        try:
            tiers_from_json(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def has_changed(self, initial, data):
        return _tier_rows(initial) != self.to_python(data)


# --- Quota distribution ---------------------------------------------------------------------


class QuotaGridWidget(forms.Widget):
    """Seats earmarked per travel class (rows) and quota (columns); what is left is GENERAL."""

    template_name = "fleet/widgets/quota_grid.html"
    classes: list[str] = []
    quotas: list[tuple[str, str]] = []

    def value_from_datadict(self, data, files, name):
        return {
            class_code: {
                quota: data.get(f"{name}-{class_code}-{quota}", "").strip()
                for quota, _label in self.quotas
            }
            for class_code in self.classes
        }

    def value_omitted_from_data(self, data, files, name):
        return not any(key.startswith(f"{name}-") for key in data)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        value = value if isinstance(value, dict) else {}
        context["widget"].update(
            quotas=self.quotas,
            rows=[
                {
                    "class_code": class_code,
                    "cells": [
                        {
                            "name": f"{name}-{class_code}-{quota}",
                            "value": _cell(value, class_code, quota),
                            "label": f"{class_code} · {label}",
                        }
                        for quota, label in self.quotas
                    ],
                }
                for class_code in self.classes
            ],
        )
        return context


def _cell(value: dict, class_code: str, quota: str) -> str:
    row = value.get(class_code)
    cell = row.get(quota, "") if isinstance(row, dict) else ""
    return "" if cell is None else str(cell)


class QuotaDistributionField(forms.Field):
    """{class: {quota: seats}} from the grid; blank cells are not stored, nor classes left
    blank (those get the defaults)."""

    widget = QuotaGridWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if not isinstance(value, dict):
            return {}
        distribution: dict[str, dict[str, int]] = {}
        errors = []
        for class_code, row in value.items():
            counts = {}
            for quota, text in (row or {}).items():
                text = str(text).strip()
                if text == "":
                    continue
                if not (text.isascii() and text.isdigit()) or int(text) > 10_000:
                    errors.append(
                        _("%(class)s, %(quota)s: give a number of seats from 0 to 10000.")
                        % {"class": class_code, "quota": quota}
                    )
                    continue
                counts[quota] = int(text)
            if counts:
                distribution[class_code] = counts
        if errors:
            raise ValidationError(errors)
        return distribution

    def has_changed(self, initial, data):
        return (initial or {}) != self.to_python(data)


def distribution_axes(company: Company) -> tuple[list[str], list[tuple[str, str]]]:
    """The grid's classes (those of the company's vehicles, and any already in its
    distribution) and quotas (those it sells but GENERAL, and any already distributed)."""
    distribution = company.quota_distribution
    if not isinstance(distribution, dict):
        distribution = {}
    classes = set(distribution)
    if company.pk is not None:
        classes |= set(
            TravelClass.objects.filter(coaches__vehicle__company=company)
            .values_list("code", flat=True)
            .distinct()
        )
    quotas = set(company.rules.quotas) - {Quota.GENERAL}
    for row in distribution.values():
        if isinstance(row, dict):
            quotas |= set(row)
    labels = dict(BOOKABLE_QUOTA_CHOICES)
    return sorted(classes), [
        (quota, str(labels.get(quota, quota)))
        for quota in [*BOOKABLE_QUOTAS, *sorted(quotas - set(BOOKABLE_QUOTAS))]
        if quota in quotas
    ]


# --- The forms ------------------------------------------------------------------------------


class CompanySettingsForm(forms.ModelForm):
    """A company's settings: its identity (some fields the platform's only, see the admin),
    what it sells and how, and its money rules."""

    commission_percent = _commission_field()
    quotas = QuotasField(
        label=_("Quotas sold"),
        help_text=_(
            "GENERAL is always sold. Ticking exactly the kind's default (rail: all five; bus: "
            "General only) keeps following it."
        ),
    )
    refund_tiers = RefundTiersField(
        label=_("Own refund tiers"),
        help_text=_(
            "Read from the top, the first row whose time holds decides; later rows may not "
            "refund more. No rows: the preset's tiers."
        ),
    )
    quota_distribution = QuotaDistributionField(
        label=_("Seats per quota"),
        help_text=_(
            "Seats of one trip earmarked for each quota, per class; the rest are General. A "
            "class left blank gets the railway defaults on a rail company."
        ),
    )
    charting_offset_hours = forms.IntegerField(
        label=_("Charting: hours before departure"), min_value=0, max_value=720, required=False
    )
    charting_offset_mins = forms.IntegerField(
        label=_("and minutes"), min_value=0, max_value=59, required=False
    )

    class Meta:
        model = Company
        fields = [
            "name",
            "slug",
            "kind",
            "currency",
            "time_zone",
            "is_active",
            "rac",
            "charting",
            "booking_horizon_days",
            "max_passengers",
            "swap_upgrades",
            "positions_public",
            "refund_policy",
        ]
        widgets = {
            "refund_policy": forms.RadioSelect,
            "rac": forms.RadioSelect,
            "charting": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        company = self.instance
        if "commission_percent" in self.fields:
            self.fields["commission_percent"].initial = Decimal(company.commission_bp) / 100
        rail = company.kind == Company.Kind.RAIL
        default = RAIL_QUOTAS if rail else BUS_QUOTAS
        self.fields["quotas"].initial = list(company.quotas or default)
        self.fields["refund_tiers"].initial = company.refund_tiers
        classes, quotas = distribution_axes(company)
        grid = self.fields["quota_distribution"].widget
        grid.classes, grid.quotas = classes, quotas
        self.fields["quota_distribution"].initial = company.quota_distribution
        self.fields["refund_tiers"].widget.flat_charges = [
            (code, format_money(amount, company.currency))
            for code, amount in [
                *IRCTC_FLAT_CHARGES.items(),
                (_("other classes"), IRCTC_DEFAULT_FLAT_CHARGE),
            ]
        ]
        offset = company.charting_offset_minutes
        if offset is not None:
            self.fields["charting_offset_hours"].initial = offset // 60
            self.fields["charting_offset_mins"].initial = offset % 60
        self.fields["charting_offset_hours"].help_text = _(
            "Both blank: the railway rule (21:00 the day before for departures from 05:00 to "
            "14:00, else 8 h before)."
        )

    def clean(self):
        data = super().clean()
        hours, minutes = data.get("charting_offset_hours"), data.get("charting_offset_mins")
        if hours is None and minutes is None:
            self.instance.charting_offset_minutes = None
        else:
            self.instance.charting_offset_minutes = (hours or 0) * 60 + (minutes or 0)
        if "commission_percent" in self.fields and data.get("commission_percent") is not None:
            self.instance.commission_bp = commission_bp(data["commission_percent"])
        if "quotas" in data:
            kind = data.get("kind", self.instance.kind)
            default = RAIL_QUOTAS if kind == Company.Kind.RAIL else BUS_QUOTAS
            # The kind's default, ticked as it is, keeps following the kind.
            if set(data["quotas"]) == set(default):
                data["quotas"] = []
        # The admin builds this form naming these fields; a plain ModelForm does not.
        for name in ("quotas", "refund_tiers", "quota_distribution"):
            if name in data:
                setattr(self.instance, name, data[name])
        return data


class CompanyInviteForm(forms.ModelForm):
    """A new operator and its first admin, whom an email invites to choose a password."""

    commission_percent = _commission_field()
    admin_name = forms.CharField(label=_("First admin's full name"), max_length=150)
    admin_email = forms.EmailField(
        label=_("First admin's email"),
        help_text=_("An invitation to choose a password is sent here."),
    )

    class Meta:
        model = Company
        fields = ["name", "kind", "currency", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default_bp = Company._meta.get_field("commission_bp").get_default()
        self.fields["commission_percent"].initial = Decimal(default_bp) / 100

    def clean_admin_email(self):
        email = normalize_email(self.cleaned_data["admin_email"])
        if User.objects.filter(email=email).exists():
            raise ValidationError(_("An account with this email address already exists."))
        return email
