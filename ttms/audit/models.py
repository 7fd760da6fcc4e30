from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One state change: who made it (a user, or the automatic process named in
    `actor_name`), what it was (`action`, a stable dotted code such as "trip.cancelled"),
    to which object (`target_*`), for which company, and its details (`data`: before and
    after, reason, amounts in minor units).

    Written only by `ttms.audit.services.audit_record`, in the transaction of the change it
    records; never changed or deleted. The target is kept by type, id and text, so an entry
    outlives the object it names (a deleted trip keeps its history).
    """

    company_path = "company"

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for an automatic change."),
    )
    # Who, as written at the time: the user's email (kept if the account goes), or the
    # automatic process ("system:charting", "system:promotion", "command").
    actor_name = models.CharField(_("by"), max_length=254)
    action = models.CharField(max_length=64)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(_("target"), max_length=200)
    # Scoping: staff see their companies' entries. SET_NULL keeps the trail of a company
    # that was deleted (then only platform admins see it).
    company = models.ForeignKey(
        "fleet.Company", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["company", "at"], name="audit_company_at_idx"),
            models.Index(fields=["action", "at"], name="audit_action_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_repr} by {self.actor_name}"
