from django.urls import path

from motcua.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("nop-ho-so/nhap/<int:pk>/", views.draft, name="draft"),
    path("nop-ho-so/nhap/<int:pk>/luu/", views.autosave, name="autosave"),
    path("nop-ho-so/nhap/<int:pk>/xem-lai/", views.review, name="review"),
    path("nop-ho-so/nhap/<int:pk>/xoa/", views.delete_draft, name="delete_draft"),
    path("nop-ho-so/<str:code>/", views.start, name="start"),
    path("ho-so-cua-toi/", views.my_dossiers, name="my_dossiers"),
    path("ho-so-cua-toi/<int:pk>/", views.my_dossier, name="my_dossier"),
    path("ho-so-cua-toi/<int:pk>/bo-sung/", views.supplement_view, name="supplement"),
    path("ho-so-cua-toi/<int:pk>/rut/", views.withdraw_view, name="withdraw"),
    path("kho-du-lieu/", views.store, name="store"),
    path("kho-du-lieu/<int:pk>/tai-ve/", views.store_file, name="store_file"),
    path("tra-cuu", views.track, name="track"),
    path("tra-cuu/theo-nguoi-nop/", views.track_by_person, name="track_person"),
]
