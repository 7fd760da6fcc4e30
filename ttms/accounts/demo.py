from django.conf import settings

from .models import Role, User
from .services import user_create

DEMO_USERS = [
    ("passenger@example.com", "Asha Passenger", Role.PASSENGER),
    ("admin@example.com", "Priya Platform", Role.PLATFORM_ADMIN),
    ("company@example.com", "Kiran Company", Role.COMPANY_ADMIN),
    ("scheduler@example.com", "Sunil Scheduler", Role.SCHEDULER),
    ("driver@example.com", "Dev Driver", Role.DRIVER),
    ("agent@example.com", "Anil Agent", Role.AGENT),
]


def demo_load(*, password: str | None = None) -> list[str]:
    """One account per role, all with the demo password."""
    password = password or settings.TTMS_DEMO_PASSWORD
    lines = []
    for email, name, role in DEMO_USERS:
        if User.objects.filter(email=email).exists():
            lines.append(f"user {email}: exists")
            continue
        user_create(email=email, password=password, full_name=name, role=role)
        lines.append(f"user {email} ({role}): created")
    return lines
