from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("thu-tuc", views.procedure_list, name="list"),
    path("thu-tuc/goi-y", views.suggestions, name="suggest"),
    path("thu-tuc/<str:code>/mau/<int:pk>", views.component_template, name="template"),
    path("thu-tuc/<str:code>", views.procedure_detail, name="detail"),
]
