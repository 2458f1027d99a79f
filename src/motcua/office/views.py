from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render


def staff_required(view):
    """Only officials (accounts of kind staff) may open office pages."""

    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff_member:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@staff_required
def dashboard(request):
    roles = request.user.staff_roles.select_related("agency").all()
    return render(request, "office/dashboard.html", {"roles": roles})
