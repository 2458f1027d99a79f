import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from motcua.conf import render_markdown


class Command(BaseCommand):
    help = "Print the configuration reference (docs/configuration.md) with production defaults."

    def handle(self, *args, **options):
        if settings.MOTCUA_ENV == "production" and not os.environ.get("DATABASE_URL"):
            self.stdout.write(render_markdown())
            return
        # Defaults differ by MOTCUA_ENV; the reference documents production's, so render there.
        clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "ALLOWED_HOSTS"}}
        clean.update({"MOTCUA_ENV": "production", "SECRET_KEY": "doc", "DJANGO_SETTINGS_MODULE": "motcua.settings"})
        out = subprocess.run(
            [sys.executable, "-m", "motcua", "configuration-doc"], env=clean, capture_output=True, text=True, check=True
        )
        self.stdout.write(out.stdout, ending="")
