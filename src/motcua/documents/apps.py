import logging

from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "motcua.documents"
    label = "documents"
    verbose_name = "Văn bản, kết quả"

    def ready(self):
        # WeasyPrint logs every layout step at INFO; keep its warnings only.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
        # fontTools logs every table it prunes when pyHanko/WeasyPrint subset fonts.
        logging.getLogger("fontTools").setLevel(logging.WARNING)
