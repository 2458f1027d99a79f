from django.urls import path

from motcua.stats import views

app_name = "stats"

urlpatterns = [
    path("thong-ke/", views.dashboard, name="dashboard"),
    path("thong-ke/ho-so/", views.drill, name="drill"),
    path("thong-ke/bao-cao.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path("thong-ke/bao-cao.xlsx", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("cong-khai/thong-ke/", views.public, name="public"),
]
