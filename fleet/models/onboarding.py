"""Operators asking to sell on the platform: the "operate with us" queue a platform admin
approves (the company and its first admin are then invited) or declines."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ttms.money import default_currency

from .companies import Company, validate_currency, validate_time_zone


class OperatorApplication(models.Model):
    """One request from the public form; decided once, by a platform admin."""

    company_path = "company"

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    company_name = models.CharField(_("company name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=8, choices=Company.Kind.choices)
    currency = models.CharField(
        _("currency"), max_length=3, default=default_currency, validators=[validate_currency]
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Kolkata", validators=[validate_time_zone]
    )
    contact_name = models.CharField(_("contact name"), max_length=150)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    fleet_size = models.PositiveIntegerField(
        _("fleet size"), null=True, blank=True, help_text=_("Buses or trains run today.")
    )
    message = models.TextField(_("message"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # The company an approval created; one application creates at most one.
    company = models.OneToOneField(
        Company,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="application",
        verbose_name=_("company"),
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("operator application")
        verbose_name_plural = _("operator applications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="fleet_application_queue")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="pending", decided_at__isnull=True)
                | (~models.Q(status="pending") & models.Q(decided_at__isnull=False)),
                name="fleet_application_decided_when_not_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.email})"
