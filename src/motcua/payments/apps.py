from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "motcua.payments"
    label = "payments"
    verbose_name = "Thanh toán"

    def ready(self):
        from motcua.dossiers.signals import dossier_transitioned
        from motcua.payments.receivers import on_dossier_transitioned

        dossier_transitioned.connect(on_dossier_transitioned, dispatch_uid="payments.before_processing")
