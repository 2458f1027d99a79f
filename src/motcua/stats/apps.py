from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "motcua.stats"
    label = "stats"
    verbose_name = "Thống kê"

    def ready(self):
        from motcua.dossiers.signals import dossier_transitioned
        from motcua.stats.rollups import on_dossier_transitioned

        dossier_transitioned.connect(on_dossier_transitioned, dispatch_uid="stats_rollups")
