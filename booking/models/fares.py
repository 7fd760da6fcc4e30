"""A company's fare rule for a travel class."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from fleet.models import Company


class FareRule(models.Model):
    """What a class of a company costs: a rate per km with a minimum, and the multiplier
    of each quota in basis points (missing quotas: `booking.sales.fares.DEFAULT_MULTIPLIERS_BP`).
    Without a rule, a class costs the defaults of `booking.sales.fares.DEFAULT_RATES`."""

    company_path = "company"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="fare_rules")
    class_code = models.CharField(max_length=12)
    rate_per_km = models.PositiveIntegerField(help_text=_("Minor units (paise) per km."))
    minimum_fare = models.PositiveIntegerField(default=0, help_text=_("Minor units."))
    multipliers_bp = models.JSONField(
        default=dict,
        blank=True,
        help_text=_('Quota multipliers in basis points, e.g. {"TATKAL": 13000} for ×1.3.'),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "class_code"], name="booking_fare_rule_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.class_code}"
