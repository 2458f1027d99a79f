from django.urls import path

from motcua.workflow import views

app_name = "workflow"

urlpatterns = [
    path("quy-trinh/<int:pk>/", views.definition_diagram, name="diagram"),
]
