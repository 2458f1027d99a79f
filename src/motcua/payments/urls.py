from django.urls import path

from motcua.payments import simulator, views

app_name = "payments"

urlpatterns = [
    path("thanh-toan/<int:dossier_id>/", views.dossier_payment, name="dossier"),
    path("thanh-toan/ket-qua/<slug:gateway>/", views.gateway_return, name="return"),
    path("thanh-toan/ipn/<slug:gateway>/", views.ipn, name="ipn"),
    path("thanh-toan/chuyen-khoan/<str:reference>/", views.transfer, name="transfer"),
    path("thanh-toan/bien-lai/<str:reference>/", views.receipt, name="receipt"),
    # Development and tests only: the views answer 404 unless PAYMENT_SIMULATOR_ENABLED.
    path("mo-phong-thanh-toan/<slug:gateway>/", simulator.simulator, name="simulator"),
    path("mo-phong-thanh-toan/<slug:gateway>/api/", simulator.simulator_api, name="simulator_api"),
]
