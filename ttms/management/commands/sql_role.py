from django.core.management.base import BaseCommand
from django.db import connection

from ttms.backoffice.sql.role import sql_role_grant


class Command(BaseCommand):
    help = (
        "Create or refresh the PostgreSQL role platform admins' SQL runs as: SELECT on the "
        "allowed tables and columns only. Idempotent; run it after every migrate."
    )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("Not needed on SQLite: queries run on a read-only connection.")
            return
        counts = sql_role_grant()
        self.stdout.write(
            self.style.SUCCESS(
                f"Role ready: SELECT on {counts['tables']} tables, by column on "
                f"{counts['column_tables']} more."
            )
        )
