from django.core.management.base import BaseCommand, CommandError

from motcua.workflow.calendar import invalidate, seed_year


class Command(BaseCommand):
    help = "Load national holidays and swapped working days (holidays package, VN) for the given years."

    def add_arguments(self, parser):
        parser.add_argument("--years", default="", help="A year or a range, e.g. 2026 or 2025-2027.")

    def handle(self, *args, years="", **options):
        import datetime

        try:
            if not years:
                first = last = datetime.date.today().year
            elif "-" in years:
                first, last = (int(x) for x in years.split("-", 1))
            else:
                first = last = int(years)
        except ValueError as exc:
            raise CommandError("--years: a year (2026) or a range (2025-2027)") from exc
        if first > last or last - first > 50:
            raise CommandError("--years: invalid range")
        for year in range(first, last + 1):
            created = seed_year(year)
            self.stdout.write(f"{year}: {created} ngày được thêm")
        invalidate()
