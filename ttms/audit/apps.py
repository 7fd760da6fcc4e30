from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ttms.audit"
    label = "audit"
    verbose_name = "Audit trail"
