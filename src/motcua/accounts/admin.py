from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from motcua.accounts.models import ApiToken, User
from motcua.organisations.models import StaffRole


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["agency", "unit"]


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    extra = 0
    fields = ["name", "prefix", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["username", "kind", "full_name"]


class UserChangeFormVi(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeFormVi
    add_form = UserCreationForm
    list_display = ["username", "full_name", "kind", "phone", "email", "contact_confirmed", "is_active", "is_staff"]
    list_filter = ["kind", "contact_confirmed", "vneid_verified", "is_active", "is_staff", "is_superuser"]
    search_fields = ["username", "full_name", "phone", "email", "identity_number", "tax_code"]
    autocomplete_fields = ["administrative_unit"]
    inlines = [StaffRoleInline, ApiTokenInline]
    ordering = ["username"]
    fieldsets = [
        (None, {"fields": ["username", "password", "kind"]}),
        (
            "Thông tin cá nhân, tổ chức",
            {"fields": ["full_name", "identity_number", "tax_code", "birth_date", "phone", "email", "address",
                        "administrative_unit"]},
        ),
        ("Xác thực", {"fields": ["contact_confirmed", "vneid_verified"]}),
        ("Quyền", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Thời điểm", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["username", "kind", "full_name", "password1", "password2"]})]
