from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html

from motcua.workflow.definitions import new_version, validate_definition
from motcua.workflow.models import (
    AgencyHolding,
    CalendarDay,
    DeadlineExtension,
    DeadlineWarning,
    Task,
    WorkflowDefinition,
    WorkflowStep,
    WorkflowStepTransition,
    WorkingCalendar,
)


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



def _check(request, definition) -> None:
    """Validate after every save; an invalid definition is switched off so no dossier uses it."""
    problems = validate_definition(definition)
    if problems:
        if definition.is_active:
            WorkflowDefinition.objects.filter(pk=definition.pk).update(is_active=False)
        messages.error(request, "Quy trình chưa hợp lệ nên chưa được áp dụng: " + " ".join(problems))
    else:
        messages.success(request, "Quy trình hợp lệ.")


class StepInline(admin.StackedInline):
    model = WorkflowStep
    extra = 0
    fields = [("code", "name"), ("role", "unit", "at_receiving_agency"), ("budget_value", "budget_unit"), "actions",
              ("is_start", "is_end", "order")]
    raw_id_fields = ["unit"]

    def _editable(self, obj):
        return obj is None or not obj.is_used

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(WorkflowDefinition)
class WorkflowDefinitionAdmin(admin.ModelAdmin):
    list_display = ["name", "procedure", "case", "version", "is_active", "created_at", "diagram_link"]
    list_filter = ["is_active"]
    search_fields = ["name", "procedure__code", "procedure__name"]
    raw_id_fields = ["procedure", "case"]
    inlines = [StepInline]
    actions = ["make_new_version"]

    @admin.display(description="Sơ đồ")
    def diagram_link(self, obj):
        return format_html('<a href="{}">Xem sơ đồ</a>', reverse("workflow:diagram", args=[obj.pk]))

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_used:
            return ["procedure", "case", "name", "version", "is_active"]
        return ["version"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and obj.is_used:
            messages.info(
                request,
                "Quy trình đã được hồ sơ sử dụng nên không sửa trực tiếp: dùng thao tác «Tạo phiên bản mới để chỉnh sửa».",
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        _check(request, form.instance)

    @admin.action(description="Tạo phiên bản mới để chỉnh sửa")
    def make_new_version(self, request, queryset):
        created = [new_version(d) for d in queryset]
        if len(created) == 1:
            return redirect(reverse("admin:workflow_workflowdefinition_change", args=[created[0].pk]))
        messages.success(request, f"Đã tạo {len(created)} phiên bản mới.")
        return None


@admin.register(WorkflowStepTransition)
class WorkflowStepTransitionAdmin(admin.ModelAdmin):
    list_display = ["from_step", "action", "to_step", "definition"]
    list_filter = ["from_step__definition"]
    raw_id_fields = ["from_step", "to_step"]

    @admin.display(description="Quy trình")
    def definition(self, obj):
        return obj.from_step.definition

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.from_step.definition.is_used:
            return False
        return super().has_change_permission(request, obj)

    has_delete_permission = has_change_permission

    def save_model(self, request, obj, form, change):
        if obj.to_step.definition_id != obj.from_step.definition_id:
            messages.error(request, "Hai bước phải thuộc cùng một quy trình.")
            return
        if obj.from_step.definition.is_used:
            messages.error(request, "Quy trình đã được sử dụng: hãy tạo phiên bản mới.")
            return
        super().save_model(request, obj, form, change)
        _check(request, obj.from_step.definition)


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["dossier", "step", "agency", "assignee", "status", "started_at", "due_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["dossier__code"]
    raw_id_fields = ["dossier", "step", "agency", "unit", "assignee", "finished_by", "returns_to"]
    list_select_related = ["dossier", "step", "agency", "assignee"]


@admin.register(AgencyHolding)
class AgencyHoldingAdmin(admin.ModelAdmin):
    list_display = ["dossier", "agency", "started_at", "ended_at", "reason"]
    raw_id_fields = ["dossier", "agency"]
    search_fields = ["dossier__code"]


@admin.register(DeadlineExtension)
class DeadlineExtensionAdmin(admin.ModelAdmin):
    list_display = ["dossier", "old_date", "new_date", "created_by", "created_at"]
    raw_id_fields = ["dossier", "created_by", "agency"]
    search_fields = ["dossier__code"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DeadlineWarning)
class DeadlineWarningAdmin(admin.ModelAdmin):
    list_display = ["dossier", "level", "due_at", "created_at", "notified"]
    list_filter = ["level"]
    raw_id_fields = ["dossier"]
