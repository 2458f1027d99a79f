from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "motcua.dossiers"
    label = "dossiers"
    verbose_name = "Hồ sơ"

    def ready(self):
        from motcua.dossiers.notifications import notify_applicant
        from motcua.dossiers.signals import dossier_transitioned

        dossier_transitioned.connect(notify_applicant, dispatch_uid="dossiers.notify_applicant")

        from motcua.dossiers import procedure_facts

        procedure_facts.connect_signals()
