from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "motcua.workflow"
    label = "workflow"
    verbose_name = "Quy trình xử lý"

    def ready(self):
        from motcua.dossiers.signals import dossier_transitioned
        from motcua.workflow import calendar  # noqa: F401  (cache invalidation receivers)
        from motcua.workflow import definitions

        definitions.connect_signals()

        dossier_transitioned.connect(on_transitioned, dispatch_uid="workflow.on_transitioned")


def on_transitioned(sender, dossier, event, transition, **kwargs):
    """Deadlines first (appointment, pauses, timeliness), then tasks (start, close)."""
    from motcua.workflow import deadlines, services

    deadlines.on_dossier_transitioned(sender, dossier=dossier, event=event, transition=transition)
    services.on_dossier_transitioned(sender, dossier=dossier, event=event, transition=transition)
