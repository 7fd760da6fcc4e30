from django.core.management.base import BaseCommand, CommandError

from ttms.invariants import run_checks

# Problems printed per check; the count says how many more there are.
SHOWN = 20


class Command(BaseCommand):
    help = (
        "Check the invariants of DESIGN.md section 7 against the database (read-only). "
        "Exit code 1, with a report, when one is broken."
    )

    def handle(self, *args, **options):
        broken = 0
        for name, problems in run_checks().items():
            if not problems:
                self.stdout.write(f"ok    {name}")
                continue
            broken += 1
            self.stdout.write(self.style.ERROR(f"FAIL  {name}: {len(problems)} problem(s)"))
            for problem in problems[:SHOWN]:
                self.stdout.write(f"      - {problem}")
            if len(problems) > SHOWN:
                self.stdout.write(f"      … and {len(problems) - SHOWN} more")
        if broken:
            raise CommandError(f"{broken} invariant(s) broken.", returncode=1)
        self.stdout.write(self.style.SUCCESS("All invariants hold."))
