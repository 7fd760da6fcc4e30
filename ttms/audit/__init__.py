"""The audit trail: who changed what, when and why, written by the service that makes the
change (`services.audit_record`), in its transaction."""
