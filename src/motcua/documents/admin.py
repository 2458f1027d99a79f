"""Admin: versioned form templates with a preview (PDF or PNG of a sample dossier), results, shipments."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Max
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template import TemplateSyntaxError
from django.urls import path, reverse
from django.utils.html import format_html

from motcua.documents.forms import form_context
from motcua.documents.models import FormCode, FormTemplate, Result, Shipment
from motcua.documents.samples import sample_preview
from motcua.documents.services import FORMS_DIR, render_pdf, render_png


def preview_bytes(template: FormTemplate, fmt: str = "pdf") -> bytes:
    """Render ``template`` (even if not active) for a sample dossier that is rolled back afterwards."""
    with sample_preview() as dossier:
        if template.code == FormCode.CERTIFICATE:
            from motcua.documents.forms import base_context

            ctx = base_context(dossier, agency=dossier.competent_agency)
            ctx.update(title="Giấy chứng nhận", rows=[("Họ và tên", dossier.applicant_name)], result_code="KQ.MAU.000001",
                       signer_title="Thủ trưởng cơ quan", form_title="Giấy chứng nhận")
        else:
            extra = {"refusal": {"reason": "Lý do mẫu"}, "apology": {"reason": "Lý do mẫu"},
                     "register": {"dossiers": [dossier]}}.get(template.code, {})
            ctx = form_context(template.code, dossier, **extra)
        pdf = render_pdf(f"{FORMS_DIR}{template.code}.html", ctx, html_override=template.html)
    return render_png(pdf) if fmt == "png" else pdf


@admin.register(FormTemplate)
class FormTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "version", "is_active", "note", "created_by", "created_at", "preview_links")
    list_filter = ("code", "is_active")
    readonly_fields = ("version", "created_by", "created_at")
    fields = ("code", "html", "note", "is_active", "version", "created_by", "created_at")
    actions = ["activate"]

    @admin.display(description="Xem trước")
    def preview_links(self, obj):
        if not obj.pk:
            return "–"
        return format_html(
            '<a href="{}" target="_blank">PDF</a> · <a href="{}" target="_blank">PNG</a>',
            reverse("admin:documents_formtemplate_preview", args=[obj.pk, "pdf"]),
            reverse("admin:documents_formtemplate_preview", args=[obj.pk, "png"]),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/xem-truoc.<str:fmt>",
                self.admin_site.admin_view(self.preview_view),
                name="documents_formtemplate_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, pk: int, fmt: str):
        template = get_object_or_404(FormTemplate, pk=pk)
        if not self.has_view_permission(request, template):
            return HttpResponse("Không có quyền.", status=403, content_type="text/plain; charset=utf-8")
        if fmt not in ("pdf", "png"):
            return HttpResponse("Định dạng xem trước chỉ là pdf hoặc png.", status=400, content_type="text/plain; charset=utf-8")
        try:
            data = preview_bytes(template, fmt)
        except TemplateSyntaxError as exc:
            return HttpResponse(f"Mẫu có lỗi cú pháp: {exc}", status=400, content_type="text/plain; charset=utf-8")
        except Exception as exc:  # an edited template may fail at render: tell the editor, no 500
            return HttpResponse(
                f"Không tạo được bản xem trước: {exc.__class__.__name__}: {exc}", status=400,
                content_type="text/plain; charset=utf-8",
            )
        return HttpResponse(data, content_type="application/pdf" if fmt == "pdf" else "image/png")

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        code = initial.get("code")
        if code and not initial.get("html"):
            # Start from the current template so an edit is a small change, not a blank page.
            from django.template.loader import get_template

            active = FormTemplate.objects.filter(code=code, is_active=True).first()
            initial["html"] = active.html if active else get_template(f"{FORMS_DIR}{code}.html").template.source
        return initial

    def save_model(self, request, obj, form, change):
        """Every save is a new version: editing an existing row creates the next one."""
        with transaction.atomic():
            last = FormTemplate.objects.select_for_update().filter(code=obj.code).aggregate(m=Max("version"))["m"] or 0
            if change:
                obj.pk = None
                obj._state.adding = True
            obj.version = last + 1
            obj.created_by = request.user
            if obj.is_active:
                FormTemplate.objects.filter(code=obj.code, is_active=True).update(is_active=False)
            super().save_model(request, obj, form, False)
        if change:
            messages.info(request, f"Đã lưu thành phiên bản mới v{obj.version}; phiên bản cũ vẫn được giữ.")

    @admin.action(description="Dùng phiên bản đã chọn (mỗi mẫu một phiên bản)")
    def activate(self, request, queryset):
        with transaction.atomic():
            for template in queryset.order_by("code", "-version"):
                FormTemplate.objects.filter(code=template.code, is_active=True).update(is_active=False)
                FormTemplate.objects.filter(pk=template.pk).update(is_active=True)
        messages.success(request, "Đã cập nhật phiên bản đang dùng.")


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "dossier", "signer_agency", "signed_at", "is_electronic")
    search_fields = ("code", "dossier__code", "sha256")
    list_select_related = ("dossier", "signer_agency")
    readonly_fields = [f.name for f in Result._meta.fields]

    def has_add_permission(self, request):
        return False  # results are issued (signed) through the service, never typed in

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ("tracking_code", "carrier", "dossier", "status", "created_at", "delivered_at")
    list_filter = ("status", "carrier")
    search_fields = ("tracking_code", "dossier__code")
    raw_id_fields = ("dossier",)
