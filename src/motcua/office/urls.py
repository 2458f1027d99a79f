from django.urls import path

from motcua.office import views

app_name = "office"

urlpatterns = [
    path("can-bo/", views.dashboard, name="dashboard"),
]
