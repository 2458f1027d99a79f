from django.contrib import admin

from motcua.workflow.models import CalendarDay, WorkingCalendar


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 1
    fields = ["date", "is_working", "kind", "reason"]


@admin.register(WorkingCalendar)
class WorkingCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "periods", "weekdays"]
    search_fields = ["name", "agency__name"]
    raw_id_fields = ["agency"]
    inlines = [CalendarDayInline]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working", "kind", "reason", "calendar", "source"]
    list_filter = ["is_working", "kind", "source", "calendar"]
    date_hierarchy = "date"
    search_fields = ["reason"]

    def save_model(self, request, obj, form, change):
        obj.source = CalendarDay.Source.ADMIN
        super().save_model(request, obj, form, change)
