"""`manage.py funds_check`: the ledger's invariants read back from the rows; exits 1 on any problem."""

from django.core.management.base import BaseCommand, CommandError

from funds.selectors import ledger_problems


class Command(BaseCommand):
    help = "Check that every posting balances and every budget line's spent equals what is posted against it."

    def handle(self, *args, **options):
        problems = ledger_problems()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in the fund ledger.")
        self.stdout.write(self.style.SUCCESS("The fund ledger is sound."))
