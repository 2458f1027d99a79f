from django.shortcuts import render


def home(request):
    """Vietnamese home page: search box, popular procedures, how-to."""
    from motcua.catalog.models import Procedure

    popular = list(
        Procedure.objects.filter(is_active=True).order_by("-popularity", "code").only("code", "name")[:8]
    )
    return render(request, "portal/home.html", {"popular": popular})
