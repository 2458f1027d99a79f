from django.urls import path

from motcua.office import views

app_name = "office"

urlpatterns = [
    path("can-bo/", views.dashboard, name="dashboard"),
    path("can-bo/tiep-nhan/", views.reception_inbox, name="reception"),
    path("can-bo/tiep-nhan/tai-quay/", views.counter_intake, name="counter"),
    path("can-bo/ho-so/", views.work_inbox, name="inbox"),
    path("can-bo/ho-so/<int:pk>/", views.dossier_detail, name="dossier"),
    path("can-bo/ho-so/<int:pk>/tiep-nhan/", views.accept, name="accept"),
    path("can-bo/ho-so/<int:pk>/yeu-cau-bo-sung/", views.request_supplement, name="request_supplement"),
    path("can-bo/ho-so/<int:pk>/tu-choi/", views.refuse, name="refuse"),
    path("can-bo/ho-so/<int:pk>/phe-duyet/", views.approve, name="approve"),
    path("can-bo/ho-so/<int:pk>/dung-xu-ly/", views.stop, name="stop"),
    path("can-bo/ho-so/<int:pk>/nhan-xu-ly/", views.claim, name="claim"),
    path("can-bo/ho-so/<int:pk>/phan-cong/", views.assign, name="assign"),
    path("can-bo/ho-so/<int:pk>/chuyen-buoc/", views.complete_step, name="complete_step"),
    path("can-bo/ho-so/<int:pk>/lien-thong/", views.transfer, name="transfer"),
    path("can-bo/ho-so/<int:pk>/tra-ket-qua/", views.return_result, name="return_result"),
    path("can-bo/ho-so/<int:pk>/tep/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("can-bo/nhiem-vu/", views.task_inbox, name="tasks"),
    path("can-bo/nhiem-vu/hang-loat/", views.task_bulk, name="task_bulk"),
    path("can-bo/so-theo-doi/", views.register, name="register"),
]
