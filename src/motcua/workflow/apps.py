from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "motcua.workflow"
    label = "workflow"
    verbose_name = "Quy trình xử lý"

    def ready(self):
        from motcua.workflow import calendar  # noqa: F401  (cache invalidation receivers)
