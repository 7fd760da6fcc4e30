"""`manage.py ticket_keys list|rotate|revoke KID|generate`: the keys that sign tickets.

Keys live in the database (generated on first use, rotated and revoked here) unless
`TTMS_TICKET_KEYS` is set, in which case that setting is the whole truth and `generate`
prints an entry for it. See docs/tickets.md.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from booking.models import TicketKey

from ...boarding import ticket_keys

KEYS_ENDPOINT = "/api/v1/tickets/keys/"
# Who the audit trail names for a rotation or revocation run from the shell.
AUDIT_ACTOR = "command:ticket_keys"


class Command(BaseCommand):
    help = (
        "Ticket signing keys: list them (never a secret), rotate the signing key, revoke "
        "an old one, or generate an entry for TTMS_TICKET_KEYS."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("list", help="Every key: id, state, when created, which signs.")
        actions.add_parser(
            "rotate", help="A new signing key; tickets signed by the old one stay valid."
        )
        revoke = actions.add_parser("revoke", help="Refuse every ticket a retired key signed.")
        revoke.add_argument("kid", help="The key id (as `list` shows it).")
        actions.add_parser("generate", help="Print a new TTMS_TICKET_KEYS entry (secret).")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ticket_keys.KeyConfigurationError as exc:
            raise CommandError(str(exc)) from None

    def _row(self, kid: str, state: str, created: str, signing: str) -> None:
        self.stdout.write(f"{kid:<16}  {state:<8}  {created:<20}  {signing}")

    def _list(self, **options) -> None:
        if settings.TTMS_TICKET_KEYS:
            ring = ticket_keys.keyring_from_setting(settings.TTMS_TICKET_KEYS)
            self.stdout.write(
                "Keys come from TTMS_TICKET_KEYS: the first entry signs, all "
                "verify. Edit the setting to rotate or revoke."
            )
            self._row("kid", "state", "created", "signing")
            for pair in ring.verifying.values():
                signs = pair is ring.signing
                self._row(pair.kid, "active" if signs else "retired", "-", "yes" if signs else "no")
            stored = TicketKey.objects.count()
            if stored:
                self.stdout.write(
                    f"{stored} key(s) stored in the database are not used while "
                    "TTMS_TICKET_KEYS is set."
                )
            return
        keys = list(TicketKey.objects.order_by("created_at", "pk"))
        if not keys:
            self.stdout.write(
                "No ticket keys yet: the first is generated when a ticket is "
                "first issued (or by `ticket_keys rotate`)."
            )
            return
        self._row("kid", "state", "created", "signing")
        for key in keys:
            created = timezone.localtime(key.created_at).strftime("%Y-%m-%d %H:%M %Z")
            signs = key.state == TicketKey.State.ACTIVE
            self._row(key.kid, key.state, created, "yes" if signs else "no")

    def _rotate(self, **options) -> None:
        before = list(
            TicketKey.objects.filter(state=TicketKey.State.ACTIVE).values_list("kid", flat=True)
        )
        key = ticket_keys.key_rotate(by=AUDIT_ACTOR)
        self.stdout.write(f"New signing key: {key.kid}.")
        if before:
            self.stdout.write(
                f"Tickets signed by {', '.join(before)} stay valid until they "
                f"expire; revoke it with `ticket_keys revoke {before[0]}` only "
                "if its secret leaked."
            )
        self.stdout.write(
            f"Scanners get the new public key from {KEYS_ENDPOINT} or their next manifest."
        )

    def _revoke(self, *, kid: str, **options) -> None:
        key = ticket_keys.key_revoke(kid.strip().upper(), by=AUDIT_ACTOR)
        self.stdout.write(
            f"Revoked {key.kid}: every ticket it signed is refused from now on "
            "(invalid_signature). Passengers get a ticket signed by the current "
            "key when they open their tickets again."
        )

    def _generate(self, **options) -> None:
        self.stdout.write(ticket_keys.setting_entry_generate())
        self.stderr.write(
            "This is a secret. Put it first in TTMS_TICKET_KEYS (entries are "
            "comma-separated; the first signs) and keep the entries after it "
            "until the tickets they signed have expired."
        )
