"""The outbox in the admin, for platform admins: messages with their deliveries, and the
deliveries themselves, filtered by status and channel, with "Send again" for the dead.

Nothing is edited here: messages are written by the services that announce events, and a
delivery changes state only through the dispatcher or the "Send again" action
(`dispatch.delivery_resend`, recorded in the audit trail). Times are UTC, named, as the
outbox belongs to no company."""

from datetime import UTC, datetime

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ttms.audit.services import audit_record

from .dispatch import delivery_resend
from .models import Delivery, OutboxMessage

RESENDABLE = (Delivery.Status.DEAD, Delivery.Status.SENT)


def _is_platform_admin(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and (user.is_superuser or user.is_platform_admin)


def utc_time(moment: datetime | None) -> str:
    """07 Jan 2030 02:05 UTC; an empty string for no time."""
    if moment is None:
        return ""
    moment = moment.astimezone(UTC)
    return f"{moment:%d %b %Y %H:%M:%S} {moment.tzname()}"


class FailingListFilter(admin.SimpleListFilter):
    """Queued deliveries split as operations reads them: never tried, or failing (tried,
    waiting for their retry)."""

    title = _("attempts")
    parameter_name = "tried"

    def lookups(self, request, model_admin):
        return [("no", _("Queued, never tried")), ("failing", _("Failing (queued, tried)"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(status=Delivery.Status.QUEUED, attempts=0)
        if self.value() == "failing":
            return queryset.filter(status=Delivery.Status.QUEUED, attempts__gt=0)
        return queryset


class PlatformOnlyAdmin(admin.ModelAdmin):
    """Seen by platform admins (and superusers) only; never added, changed or deleted."""

    def _is_platform_admin(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and (user.is_superuser or user.is_platform_admin)

    def has_module_permission(self, request) -> bool:
        return _is_platform_admin(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _is_platform_admin(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ["channel", "status", "attempts", "next_attempt", "sent", "last_error", "provider_ref"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["channel"]

    def has_view_permission(self, request, obj=None) -> bool:
        return _is_platform_admin(request)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("next attempt"))
    def next_attempt(self, delivery: Delivery) -> str:
        return utc_time(delivery.next_attempt_at) if delivery.status == "queued" else ""

    @admin.display(description=_("sent"))
    def sent(self, delivery: Delivery) -> str:
        return utc_time(delivery.sent_at)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(PlatformOnlyAdmin):
    list_display = ["pk", "topic", "user", "created", "sent"]
    list_filter = ["topic", ("sent_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["topic", "user__email", "dedupe_key"]
    fields = [
        "topic",
        "user",
        "email",
        "phone",
        "language",
        "dedupe_key",
        "payload",
        "created",
        "sent",
        "read",
    ]
    readonly_fields = fields
    inlines = [DeliveryInline]
    show_full_result_count = False

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, message: OutboxMessage) -> str:
        return utc_time(message.created_at)

    @admin.display(description=_("sent"), ordering="sent_at")
    def sent(self, message: OutboxMessage) -> str:
        return utc_time(message.sent_at)

    @admin.display(description=_("read"))
    def read(self, message: OutboxMessage) -> str:
        return utc_time(message.read_at)


@admin.register(Delivery)
class DeliveryAdmin(PlatformOnlyAdmin):
    list_display = [
        "pk",
        "message_link",
        "channel",
        "status",
        "attempts",
        "next_attempt",
        "sent",
        "error_summary",
    ]
    list_filter = ["status", FailingListFilter, "channel", "message__topic"]
    list_select_related = ["message__user"]
    search_fields = ["message__topic", "message__user__email", "message__email"]
    fields = [
        "message",
        "channel",
        "status",
        "attempts",
        "next_attempt",
        "sent",
        "last_error",
        "provider_ref",
    ]
    readonly_fields = fields
    actions = ["send_again"]
    show_full_result_count = False

    @admin.display(description=_("message"), ordering="message")
    def message_link(self, delivery: Delivery) -> str:
        message = delivery.message
        who = message.user.email if message.user else message.email or message.phone
        return f"{message.topic} #{message.pk} → {who}" if who else str(message)

    @admin.display(description=_("next attempt"), ordering="next_attempt_at")
    def next_attempt(self, delivery: Delivery) -> str:
        return utc_time(delivery.next_attempt_at) if delivery.status == "queued" else ""

    @admin.display(description=_("sent"), ordering="sent_at")
    def sent(self, delivery: Delivery) -> str:
        return utc_time(delivery.sent_at)

    @admin.display(description=_("last error"))
    def error_summary(self, delivery: Delivery) -> str:
        error = delivery.last_error
        return error if len(error) <= 80 else error[:79] + "…"

    def has_send_again_permission(self, request) -> bool:
        return _is_platform_admin(request)

    @admin.action(description=_("Send again"), permissions=["send_again"])
    def send_again(self, request, queryset):
        resent = skipped = 0
        for delivery in queryset.order_by("pk"):
            if delivery.status in RESENDABLE:
                with transaction.atomic():
                    audit_record(
                        actor=request.user,
                        action="notifications.delivery_resent",
                        target=delivery,
                        data={
                            "status": delivery.status,
                            "attempts": delivery.attempts,
                            "last_error": delivery.last_error,
                        },
                    )
                    delivery_resend(delivery)
                resent += 1
            else:
                skipped += 1
        if resent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery is queued to be sent again.",
                    "%(count)d deliveries are queued to be sent again.",
                    resent,
                )
                % {"count": resent},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery was left as it is: only dead or sent deliveries are "
                    "sent again.",
                    "%(count)d deliveries were left as they are: only dead or sent deliveries "
                    "are sent again.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
