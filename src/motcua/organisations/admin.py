from django.contrib import admin

from motcua.organisations.models import AdministrativeUnit, Agency, StaffRole


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit_type", "level", "parent", "is_legacy"]
    list_filter = ["level", "is_legacy"]
    search_fields = ["code", "name", "name_folded"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["key", "name_folded"]
    list_per_page = 50

    def get_search_results(self, request, queryset, search_term):
        from motcua.core.text import fold

        queryset, distinct = super().get_search_results(request, queryset, search_term)
        if search_term:  # "hai phong" finds "Hải Phòng"
            queryset |= self.model.objects.filter(name_folded__contains=fold(search_term))
        return queryset, distinct


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    fk_name = "agency"
    extra = 0
    autocomplete_fields = ["user", "unit"]
    verbose_name_plural = "cán bộ của cơ quan"


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "level", "parent", "is_service_point", "is_active"]
    list_filter = ["kind", "level", "is_service_point", "is_active"]
    search_fields = ["code", "name", "short_name"]
    autocomplete_fields = ["parent", "administrative_unit"]
    list_select_related = ["parent"]
    inlines = [StaffRoleInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "short_name", "kind", "level", "parent", "administrative_unit"]}),
        ("Một cửa", {"fields": ["is_service_point", "dossier_code_pattern"]}),
        ("Liên hệ", {"fields": ["address", "phone", "email", "is_active"]}),
    ]


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "agency", "unit"]
    list_filter = ["role", "agency__kind"]
    search_fields = ["user__username", "user__full_name", "agency__name", "agency__code"]
    autocomplete_fields = ["user", "agency", "unit"]
    list_select_related = ["user", "agency", "unit"]
