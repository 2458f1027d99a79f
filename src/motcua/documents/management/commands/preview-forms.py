"""``motcua preview-forms``: render every standard form (and a signed certificate) for a sample
dossier to PDF and PNG under ``var/forms-preview/``, for a person to look at."""

import datetime as dt
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.test import override_settings
from django.utils import timezone

from motcua.documents.forms import ALL_FORMS, render_form
from motcua.documents.samples import sample_preview
from motcua.documents import signing
from motcua.documents.services import issue_certificate, render_png

PREVIEW_EXTRA = {
    "refusal": {"reason": "Thủ tục không thuộc thẩm quyền giải quyết của cơ quan; đề nghị nộp tại UBND phường nơi cư trú."},
    "apology": {
        "reason": "Cần xác minh thông tin với cơ quan đại diện Việt Nam ở nước ngoài.",
        "new_date": timezone.make_aware(dt.datetime(2026, 11, 30, 16, 0)),
    },
}


class Command(BaseCommand):
    help = "Xuất ảnh PNG và PDF của mọi mẫu phiếu với hồ sơ mẫu vào var/forms-preview/."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(Path(settings.VAR_DIR) / "forms-preview"))
        parser.add_argument("--dpi", type=int, default=100)

    def handle(self, *args, out, dpi, **options):
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        with sample_preview() as dossier:
            outputs = {code: render_form(code, dossier, **PREVIEW_EXTRA.get(code, {})) for code in ALL_FORMS}
            # A signed result, with a throw-away CA so no key of a real agency is touched.
            with tempfile.TemporaryDirectory() as pki, override_settings(SIGNING_PKI_DIR=Path(pki), MEDIA_ROOT=Path(pki) / "media"):
                signing.issue_agency_p12(dossier.competent_agency)
                result = issue_certificate(dossier, None, "Giấy khai sinh (bản điện tử)")
                outputs["certificate"] = result.file.open("rb").read()
        for code, pdf in outputs.items():
            (folder / f"{code}.pdf").write_bytes(pdf)
            (folder / f"{code}.png").write_bytes(render_png(pdf, dpi=dpi))
            self.stdout.write(f"  {folder / code}.png")
        self.stdout.write(self.style.SUCCESS(f"Đã xuất {len(outputs)} mẫu vào {folder}"))
