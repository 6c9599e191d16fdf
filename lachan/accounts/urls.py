from django.contrib.auth import views as auth_views
from django.urls import path

from lachan.core.urls_helpers import crud_urls

from . import views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", views.two_factor, name="two_factor"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/me/", views.account, name="account"),
    *crud_urls("users", "user", list_view=views.UserListView, detail_view=views.UserDetailView,
               edit_view=views.UserEditView, delete_view=views.UserDeleteView),
]
