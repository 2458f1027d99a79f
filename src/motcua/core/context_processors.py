from django.conf import settings


def site(request):
    return {"SITE_NAME": "Cổng Dịch vụ công", "SITE_URL": settings.SITE_URL, "MOTCUA_ENV": settings.MOTCUA_ENV}
