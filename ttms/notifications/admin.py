from django.contrib import admin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read-only: the outbox is written by the services that announce events."""

    list_display = ["pk", "topic", "user", "created_at", "sent_at"]
    list_filter = ["topic", ("sent_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["topic", "user__email"]
    readonly_fields = ["topic", "user", "payload", "created_at", "sent_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
