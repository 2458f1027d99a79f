from django.urls import path

from motcua.documents import views

app_name = "documents"

urlpatterns = [
    path("can-bo/ho-so/<int:dossier_id>/phieu/<slug:form_code>.pdf", views.staff_form_pdf, name="staff_form"),
    path("can-bo/ho-so/<int:dossier_id>/ket-qua/", views.staff_results, name="staff_results"),
    path("can-bo/ho-so/<int:dossier_id>/ket-qua/<int:result_id>.pdf", views.staff_result_file, name="staff_result_file"),
    path("can-bo/ho-so/<int:dossier_id>/buu-chinh/", views.staff_shipment, name="staff_shipment"),
    path("ho-so-cua-toi/<int:dossier_id>/phieu/<slug:form_code>.pdf", views.owner_form_pdf, name="owner_form"),
    path("ho-so-cua-toi/<int:dossier_id>/ket-qua/<int:result_id>.pdf", views.owner_result_file, name="owner_result_file"),
    path("xac-thuc/", views.verify, name="verify_upload"),
    path("xac-thuc/<int:result_id>/", views.verify, name="verify"),
]
