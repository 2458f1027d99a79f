from django.conf import settings
from django.utils.translation import gettext as _


def site(request):
    return {"SITE_NAME": _("Cổng Dịch vụ công"), "SITE_URL": settings.SITE_URL, "MOTCUA_ENV": settings.MOTCUA_ENV}
