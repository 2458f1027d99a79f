"""Staff pages of the workflow app: the process diagram."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from motcua.workflow.definitions import diagram, validate_definition
from motcua.workflow.models import WorkflowDefinition


def definition_diagram(request, pk: int):
    """The process as an inline SVG computed on the server (no JavaScript)."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not (getattr(user, "is_staff_member", False) or user.is_staff):
        raise PermissionDenied("Chỉ cán bộ được xem quy trình xử lý.")
    definition = get_object_or_404(WorkflowDefinition.objects.select_related("procedure", "case"), pk=pk)
    steps = list(definition.steps.select_related("unit").order_by("order", "id"))
    return render(
        request,
        "workflow/diagram.html",
        {
            "definition": definition,
            "layout": diagram(definition),
            "steps": steps,
            "problems": validate_definition(definition),
        },
    )
