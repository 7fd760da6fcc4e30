"""Operators and their staff: the company, its rules as data, and who works for it."""

import functools
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ttms.accounts.models import Role

from ..refund_policies import tiers_from_json


@functools.cache
def _time_zone_names() -> frozenset[str]:
    # available_timezones() walks the tz database on every call; importers validate many rows.
    return frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _time_zone_names():
        raise ValidationError(_("{value!r} is not an IANA time zone name.").format(value=value))


class Company(models.Model):
    """An operator (rail or bus) on the platform; its business rules are data on this row."""

    company_path = "pk"

    class Kind(models.TextChoices):
        RAIL = "rail", _("Rail")
        BUS = "bus", _("Bus")

    class RefundPolicy(models.TextChoices):
        TIERED = "tiered", _("Tiered (48 h 90 %, 24 h 75 %, 12 h 50 %)")
        FLAT80 = "flat80", _("Flat 80 % before departure")
        IRCTC2015 = "irctc2015", _("Indian Railways 2015 rules")

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    time_zone = models.CharField(
        max_length=64, default="Asia/Kolkata", validators=[validate_time_zone]
    )
    # The platform's share of each sale, in basis points (500 = 5 %).
    commission_bp = models.PositiveIntegerField(default=500, validators=[MaxValueValidator(10_000)])
    refund_policy = models.CharField(
        max_length=16, choices=RefundPolicy.choices, default=RefundPolicy.TIERED
    )
    # Editable tiers replacing the preset's, e.g. [{"hours": 48, "charge_percent": 10},
    # {"hours": 24, "charge_percent": 25}]; empty: the preset's (fleet.refund_policies).
    refund_tiers = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "Hours before departure to a charge, first match wins, e.g. "
            '[{"hours": 48, "charge_percent": 10}, {"hours": 24, "charge_percent": 25}]. '
            'Optional keys: "at_least" (default true), "flat_charge", '
            '"until_charting". Empty: the preset\'s tiers.'
        ),
    )
    # Per travel class, the seats of a trip earmarked for each quota, e.g.
    # {"SL": {"LADIES": 6, "SENIOR": 12, "TATKAL": 14}}: counts for the whole class of one
    # trip; the rest are GENERAL (RAC berths are earmarked by the seat layout). A class not
    # named gets the railway defaults on a rail company (booking.rules.default_distribution).
    quota_distribution = models.JSONField(default=dict, blank=True)
    # Minutes before departure from the origin when the chart is prepared; null: the
    # railway rule (21:00 the day before for 05:00-14:00 departures, else 8 h before).
    charting_offset_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0)]
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            tiers_from_json(self.refund_tiers)
        except ValueError as exc:
            raise ValidationError({"refund_tiers": str(exc)}) from None


class CompanyMembership(models.Model):
    """A user working for a company in one staff role (company admin, scheduler, driver, agent)."""

    STAFF_ROLES = [Role.COMPANY_ADMIN, Role.SCHEDULER, Role.DRIVER, Role.AGENT]
    company_path = "company"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=[(r.value, r.label) for r in STAFF_ROLES])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="fleet_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.company} · {self.get_role_display()}"
