"""Onboarding operators: a platform admin invites a company and its first admin, directly or
by approving an application from the public "operate with us" form."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ttms.accounts.invitations import invitation_send
from ttms.accounts.models import Role, User
from ttms.accounts.services import user_create
from ttms.audit.services import audit_record, audit_values

from ..exceptions import ApplicationDecided, InvitationAccepted
from ..locks import lock_application
from ..models import Company, CompanyMembership, OperatorApplication
from .companies import COMPANY_AUDITED_FIELDS, membership_set

# Slugs tried for one name ("alpha-bus", "alpha-bus-2", ...) before giving up.
_SLUG_ATTEMPTS = 50


def commission_bp_from_percent(percent: Decimal | str | int) -> int:
    """The platform's share as basis points: "12.5" % is 1250, exactly (never through a
    float). Raises ValidationError unless it is 0 to 100 with at most two decimals."""
    try:
        value = Decimal(str(percent))
    except InvalidOperation:
        value = Decimal("NaN")
    bp = value * 100 if value.is_finite() else value
    if not value.is_finite() or not 0 <= value <= 100 or bp != bp.to_integral_value():
        raise ValidationError(
            {
                "commission_percent": _(
                    "Give the commission as a percentage from 0 to 100, with at most two "
                    "decimals (12.5 for 12.5 %)."
                )
            }
        )
    return int(bp)


def operator_invite(
    *,
    name: str,
    kind: str,
    currency: str,
    time_zone: str,
    commission_percent: Decimal | str | int,
    admin_email: str,
    admin_name: str,
    by: User | None,
) -> tuple[Company, User]:
    """Create an operator and its first company admin, and invite the admin by email.

    The company gets a unique slug made from its name; the admin account is created with an
    unusable password and a COMPANY_ADMIN membership; an audit entry "company.invited"
    holds the company's values and the admin's email. The invitation email (a one-time
    link to choose the password, `ttms.accounts.invitations`) leaves after the commit.

    Runs in one transaction (joins the caller's). Raises ValidationError keyed by the
    arguments' names (`name`, `kind`, `currency`, `time_zone`, `commission_percent`,
    `admin_email`, `admin_name`), an email that already has an account among them, and then
    writes nothing.
    """
    errors: dict[str, list[str]] = {}
    try:
        commission_bp = commission_bp_from_percent(commission_percent)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        commission_bp = 0
    company = Company(
        name=(name or "").strip(),
        kind=kind,
        currency=(currency or "").strip().upper(),
        time_zone=(time_zone or "").strip(),
        commission_bp=commission_bp,
    )
    try:
        company.full_clean(exclude=["slug"], validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not (admin_name or "").strip():
        errors["admin_name"] = [_("Give the name of the company's first administrator.")]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        _save_with_unique_slug(company)
        try:
            user = user_create(
                email=admin_email,
                password=None,
                full_name=admin_name,
                role=Role.COMPANY_ADMIN,
            )
        except ValidationError as exc:
            raise ValidationError(
                {_ADMIN_FIELDS.get(key, key): value for key, value in exc.message_dict.items()}
            ) from exc
        membership_set(company=company, user=user, role=Role.COMPANY_ADMIN)
        data = audit_values(instance=company, fields=COMPANY_AUDITED_FIELDS)
        data["admin_email"] = user.email
        audit_record(actor=by, action="company.invited", target=company, data=data)
        invitation_send(user=user, company_name=company.name)
    return company, user


# user_create's field names as operator_invite's arguments name them.
_ADMIN_FIELDS = {"email": "admin_email", "full_name": "admin_name"}


def _save_with_unique_slug(company: Company) -> None:
    """Save a new company under the first free slug made from its name; the unique
    constraint decides, so two companies of one name created at once get two slugs."""
    base = slugify(company.name)[:50] or "operator"
    for attempt in range(1, _SLUG_ATTEMPTS + 1):
        company.slug = base if attempt == 1 else f"{base}-{attempt}"
        if Company.objects.filter(slug=company.slug).exists():
            continue
        try:
            with transaction.atomic():
                company.save()
            return
        except IntegrityError:
            company.pk = None
            continue
    raise ValidationError({"name": _("Too many companies have this name; choose another.")})


def operator_application_submit(
    *,
    company_name: str,
    kind: str,
    currency: str,
    time_zone: str,
    contact_name: str,
    email: str,
    phone: str = "",
    fleet_size: int | None = None,
    message: str = "",
) -> OperatorApplication:
    """Queue an application from the public form, PENDING. Raises ValidationError per
    field (the model's own rules) and then writes nothing."""
    application = OperatorApplication(
        company_name=company_name.strip(),
        kind=kind,
        currency=currency.strip().upper(),
        time_zone=time_zone.strip(),
        contact_name=contact_name.strip(),
        email=email.strip().lower(),
        phone=phone.strip(),
        fleet_size=fleet_size,
        message=message.strip(),
    )
    application.full_clean()
    application.save()
    return application


def operator_application_approve(
    *,
    application: OperatorApplication,
    by: User,
    commission_percent: Decimal | str | int | None = None,
) -> tuple[Company, User]:
    """Approve a PENDING application: invite its company and its contact as the first admin
    (`operator_invite`, with the platform's default commission unless given), and mark it
    APPROVED by `by`, naming the company, in one transaction.

    Locks the application row and re-checks its status under the lock, so approving twice
    (a double click, two admins at once) creates one company. Raises ApplicationDecided
    when it is not pending, ValidationError from `operator_invite` (the contact's email
    already has an account, an invalid time zone); then nothing is written.
    """
    if commission_percent is None:
        default_bp = Company._meta.get_field("commission_bp").get_default()
        commission_percent = Decimal(default_bp) / 100
    with transaction.atomic():
        locked = lock_application(application.pk)
        if locked.status != OperatorApplication.Status.PENDING:
            raise ApplicationDecided()
        company, user = operator_invite(
            name=locked.company_name,
            kind=locked.kind,
            currency=locked.currency,
            time_zone=locked.time_zone,
            commission_percent=commission_percent,
            admin_email=locked.email,
            admin_name=locked.contact_name,
            by=by,
        )
        _decide(locked, status=OperatorApplication.Status.APPROVED, by=by, company=company)
        audit_record(
            actor=by,
            action="operator_application.approved",
            target=locked,
            company=company,
            data={"company": company.pk, "admin_email": user.email},
        )
    _refresh(application, locked)
    return company, user


def operator_application_decline(
    *, application: OperatorApplication, by: User, reason: str = ""
) -> OperatorApplication:
    """Decline a PENDING application (nothing is created, nobody is emailed), audited with
    `reason`. Locks the row and re-checks its status; raises ApplicationDecided when it is
    not pending."""
    with transaction.atomic():
        locked = lock_application(application.pk)
        if locked.status != OperatorApplication.Status.PENDING:
            raise ApplicationDecided()
        _decide(locked, status=OperatorApplication.Status.DECLINED, by=by)
        audit_record(
            actor=by,
            action="operator_application.declined",
            target=locked,
            data={"reason": reason},
        )
    _refresh(application, locked)
    return application


def _decide(application: OperatorApplication, *, status: str, by: User, company=None) -> None:
    application.status = status
    application.decided_by = by
    application.decided_at = timezone.now()
    application.company = company
    application.save(update_fields=["status", "decided_by", "decided_at", "company"])


def _refresh(application: OperatorApplication, locked: OperatorApplication) -> None:
    for field in ("status", "decided_by", "decided_at", "company"):
        setattr(application, field, getattr(locked, field))


def membership_invitation_resend(*, membership: CompanyMembership, by: User) -> None:
    """Email the member a new invitation link (a lost email, an expired link), audited as
    "membership.invitation_resent". Earlier links stay valid until they expire; the first
    one used spends them all. Raises InvitationAccepted when the member has a password."""
    user = membership.user
    if user.has_usable_password():
        raise InvitationAccepted()
    with transaction.atomic():
        audit_record(
            actor=by,
            action="membership.invitation_resent",
            target=membership,
            data={"email": user.email},
        )
        invitation_send(user=user, company_name=membership.company.name)
