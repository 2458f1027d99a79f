from django.contrib.auth import views as auth_views
from django.urls import path

from motcua.accounts import views

app_name = "accounts"

urlpatterns = [
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("dang-ky/", views.register, name="register"),
    path("xac-nhan/", views.confirm, name="confirm"),
    path("quen-mat-khau/", views.password_reset, name="password_reset"),
    path("tai-khoan/", views.profile, name="profile"),
    path("tai-khoan/ma-truy-cap/", views.token_create, name="token_create"),
    path("tai-khoan/ma-truy-cap/<int:token_id>/thu-hoi/", views.token_revoke, name="token_revoke"),
    path("dia-ban/xa-phuong/", views.communes, name="communes"),
]
