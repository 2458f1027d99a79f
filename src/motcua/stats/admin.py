from django.contrib import admin

from motcua.stats.models import Rating, Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("indicator", "agency", "minimum", "amber_margin")
    list_filter = ("indicator",)
    autocomplete_fields = ("agency",)
    search_fields = ("agency__name", "agency__code")


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("dossier", "score", "at")
    list_filter = ("score",)
    raw_id_fields = ("dossier", "user")
    readonly_fields = ("at",)
