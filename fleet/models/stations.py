"""Stations and the other names passengers know them by."""

from zoneinfo import ZoneInfo

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..text import fold_name
from .companies import Company, validate_time_zone


class Station(models.Model):
    """A place where passengers board or alight: a railway station or a bus stop.

    Stations without a company are shared by every operator (the national railway network);
    a company's own stops (a bus park, a GTFS stop) carry its company.
    """

    # Admin scoping (fleet.admin_scoping): the path to the owning company, and whether rows
    # without a company are shared with every operator.
    company_path = "company"
    company_shared_when_null = True

    code = models.CharField(
        max_length=64,
        unique=True,
        help_text=_("Public code, e.g. NDLS; GTFS stops are PREFIX:stop_id."),
    )
    name = models.CharField(max_length=150)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True, help_text=_("State or province."))
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    # The name folded (fleet.text.fold_name): what lookups compare against.
    search_name = models.CharField(max_length=150, editable=False)
    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stations",
        help_text=_("Empty: shared by every operator."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["search_name"], name="fleet_station_search_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__isnull=False, longitude__isnull=False),
                name="fleet_station_both_coordinates_or_none",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self):
        super().clean()
        self.code = self.code.strip().upper()
        self.search_name = fold_name(self.name)

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class StationAlias(models.Model):
    """Another name passengers use for a station (old names, spellings, other scripts)."""

    company_path = "station__company"
    company_shared_when_null = True

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=150)
    # Upper-cased, accents and punctuation folded: what lookups compare against.
    search_name = models.CharField(max_length=150, editable=False, db_index=True)

    class Meta:
        verbose_name_plural = _("station aliases")
        constraints = [
            models.UniqueConstraint(
                fields=["station", "search_name"], name="fleet_station_alias_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        self.search_name = fold_name(self.name)
