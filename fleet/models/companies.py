"""Operators and their staff: the company, its rules as data, and who works for it."""

import functools
from dataclasses import dataclass
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ttms.accounts.models import Role
from ttms.money import default_currency, is_known_currency

from ..refund_policies import tiers_from_json


@functools.cache
def _time_zone_names() -> frozenset[str]:
    # available_timezones() walks the tz database on every call; importers validate many rows.
    return frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _time_zone_names():
        raise ValidationError(_("{value!r} is not an IANA time zone name.").format(value=value))


def validate_currency(value: str) -> None:
    if not is_known_currency(value):
        raise ValidationError(
            _("{value!r} is not an ISO 4217 currency code (e.g. INR, RWF, KES).").format(
                value=value
            )
        )


class Quota(models.TextChoices):
    """The quotas of the Indian Railways' practice; each operator sells those it chooses."""

    GENERAL = "GENERAL", _("General")
    LADIES = "LADIES", _("Ladies")
    SENIOR = "SENIOR", _("Senior citizen / lower berth")
    TATKAL = "TATKAL", _("Tatkal")
    FOREIGN_TOURIST = "FOREIGN_TOURIST", _("Foreign tourist")
    RAC = "RAC", _("RAC berths")


# The quotas a passenger can ask for (RAC is where seats go, not a quota one books).
BOOKABLE_QUOTAS = [q for q in Quota if q != Quota.RAC]
BOOKABLE_QUOTA_CHOICES = [(q.value, q.label) for q in BOOKABLE_QUOTAS]

# The most passengers one booking may hold on any operator; an operator may allow fewer.
MAX_PASSENGERS = 6
DEFAULT_BOOKING_HORIZON_DAYS = 60


@dataclass(frozen=True)
class OperatorRules:
    """What an operator sells and how, with the defaults of its kind filled in
    (`Company.rules`): the booking rules, the pages and the API read this, never the kind.

    `waitlist`: a booking that finds no seat (nor RAC place) joins a waiting list; only
    operators that prepare charts have one, since the chart is what settles it (a bus
    operator without charting refuses the booking as sold out instead).
    """

    quotas: tuple[str, ...]
    rac: bool
    charting: bool
    booking_horizon_days: int
    max_passengers: int
    swap_upgrades: bool

    @property
    def waitlist(self) -> bool:
        return self.charting

    def sells(self, quota: str) -> bool:
        return quota in self.quotas


# Defaults by kind of operator: a railway sells the Indian Railways' quotas with RAC and
# charting; a bus operator sells GENERAL seats only and confirms or refuses at once.
RAIL_QUOTAS = (
    Quota.GENERAL,
    Quota.LADIES,
    Quota.SENIOR,
    Quota.TATKAL,
    Quota.FOREIGN_TOURIST,
)
BUS_QUOTAS = (Quota.GENERAL,)

_KIND_DEFAULT = [
    (None, _("The kind's default (rail: yes, bus: no)")),
    (True, _("Yes")),
    (False, _("No")),
]


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
    currency = models.CharField(
        max_length=3,
        default=default_currency,
        validators=[validate_currency],
        help_text=_(
            "ISO 4217 code of the currency the operator sells in (fares, refunds, "
            "settlements); set when the operator is created."
        ),
    )
    quotas = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            'Quotas sold, e.g. ["GENERAL", "LADIES"]; GENERAL is always sold. Empty: the '
            "kind's default (rail: GENERAL, LADIES, SENIOR, TATKAL, FOREIGN_TOURIST; bus: "
            "GENERAL)."
        ),
    )
    rac = models.BooleanField(
        _("RAC"),
        null=True,
        blank=True,
        choices=_KIND_DEFAULT,
        help_text=_("Sells RAC (a shared side-lower berth) once confirmed seats run out."),
    )
    charting = models.BooleanField(
        _("charting and waiting list"),
        null=True,
        blank=True,
        choices=_KIND_DEFAULT,
        help_text=_(
            "Prepares a chart before departure and keeps a waiting list until then; "
            "without it, a booking that finds no seat is refused as sold out."
        ),
    )
    booking_horizon_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Days ahead a journey goes on sale. Empty: 60."),
    )
    max_passengers = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PASSENGERS)],
        help_text=_("Most passengers per booking, 1 to 6. Empty: 6."),
    )
    swap_upgrades = models.BooleanField(
        default=False,
        help_text=_(
            "A vehicle swap may move passengers of a class the new vehicle lacks up to a "
            "better class, at the fare they paid (they are told)."
        ),
    )
    positions_public = models.BooleanField(
        _("live positions are public"),
        default=False,
        help_text=_(
            "Anyone may watch its vehicles live and see its trips' running status; "
            "otherwise only passengers holding a ticket on the trip and its staff."
        ),
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def rules(self) -> OperatorRules:
        """The operator's rules with its kind's defaults filled in."""
        rail = self.kind == self.Kind.RAIL
        quotas = self.quotas or (RAIL_QUOTAS if rail else BUS_QUOTAS)
        return OperatorRules(
            quotas=tuple(q for q in BOOKABLE_QUOTAS if q in quotas),
            rac=rail if self.rac is None else self.rac,
            charting=rail if self.charting is None else self.charting,
            booking_horizon_days=self.booking_horizon_days or DEFAULT_BOOKING_HORIZON_DAYS,
            max_passengers=self.max_passengers or MAX_PASSENGERS,
            swap_upgrades=self.swap_upgrades,
        )

    def clean(self) -> None:
        errors = {}
        try:
            tiers_from_json(self.refund_tiers)
        except ValueError as exc:
            errors["refund_tiers"] = str(exc)
        if quota_error := _quotas_error(self.quotas):
            errors["quotas"] = quota_error
        if errors:
            raise ValidationError(errors)


def _quotas_error(quotas: object) -> str | None:
    """Why `quotas` is not a list of bookable quota codes including GENERAL, or None."""
    if quotas in (None, []):
        return None
    if not isinstance(quotas, list) or not all(isinstance(q, str) for q in quotas):
        return _('Give a list of quota codes, e.g. ["GENERAL", "LADIES"].')
    unknown = [q for q in quotas if q not in BOOKABLE_QUOTAS]
    if unknown:
        return _("{quotas} not a quota one can sell; choose from {known}.").format(
            quotas=", ".join(map(repr, unknown)), known=", ".join(BOOKABLE_QUOTAS)
        )
    if len(set(quotas)) != len(quotas):
        return _("Name each quota once.")
    if Quota.GENERAL not in quotas:
        return _("GENERAL is always sold: add it to the list.")
    return None


class CompanyMembership(models.Model):
    """A user working for a company in one staff role (company admin, scheduler, driver, agent)."""

    STAFF_ROLES = [Role.COMPANY_ADMIN, Role.SCHEDULER, Role.DRIVER, Role.AGENT]
    company_path = "company"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=[(r.value, r.label) for r in STAFF_ROLES])
    # A station agent's counter (agents sell for any trip of their company).
    home_station = models.ForeignKey(
        "fleet.Station",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("home station"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="fleet_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.company} · {self.get_role_display()}"
