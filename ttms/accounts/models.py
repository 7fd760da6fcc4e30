from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PASSENGER = "passenger", _("Passenger")
    COMPANY_ADMIN = "company_admin", _("Company admin")
    SCHEDULER = "scheduler", _("Scheduler")
    DRIVER = "driver", _("Driver")
    AGENT = "agent", _("Station agent")
    PLATFORM_ADMIN = "platform_admin", _("Platform admin")


# Roles that work in the Django admin.
STAFF_ROLES = frozenset({Role.COMPANY_ADMIN, Role.SCHEDULER, Role.PLATFORM_ADMIN})

phone_validator = RegexValidator(
    regex=r"^\+[1-9]\d{6,14}$",
    message=_("Enter the phone number in international form, e.g. +919876543210."),
)


def normalize_email(email: str) -> str:
    """Emails are compared case-insensitively: stored and looked up in lower case."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email=normalize_email(username))

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.PLATFORM_ADMIN)
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address: passenger, operator staff or owner."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(
        _("phone for SMS"), max_length=16, blank=True, validators=[phone_validator]
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PASSENGER)
    # Blank: the site follows the browser (Accept-Language) or the language switcher.
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Pages, emails and API messages are in this language."),
    )
    is_active = models.BooleanField(_("is active"), default=True)
    is_staff = models.BooleanField(
        _("is staff"), default=False, help_text=_("Can sign in to the admin site.")
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        indexes = [models.Index(fields=["role"], name="accounts_user_role_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=models.functions.Lower("email")),
                name="accounts_user_email_lowercase",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.PLATFORM_ADMIN
