from django.contrib import admin

from motcua.payments.models import CollectionPolicy, FeeRule, GatewayCallbackLog, Payment, PaymentTransition


@admin.register(FeeRule)
class FeeRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "procedure", "channel", "kind", "effect", "amount", "percent", "is_active"]
    list_filter = ["effect", "is_active", "channel"]
    raw_id_fields = ["procedure"]


@admin.register(CollectionPolicy)
class CollectionPolicyAdmin(admin.ModelAdmin):
    list_display = ["procedure", "channel", "collect_at"]
    raw_id_fields = ["procedure"]


class TransitionInline(admin.TabularInline):
    model = PaymentTransition
    extra = 0
    can_delete = False
    readonly_fields = ["event", "from_state", "to_state", "at", "actor", "source", "note"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Read-only: payment states change only through the payment services."""

    list_display = ["reference", "dossier", "gateway", "amount", "state", "created_at", "paid_at"]
    list_filter = ["state", "gateway"]
    search_fields = ["reference", "gateway_transaction_id", "dossier__code"]
    inlines = [TransitionInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(GatewayCallbackLog)
class GatewayCallbackLogAdmin(admin.ModelAdmin):
    list_display = ["at", "gateway", "source", "reference", "verdict", "reason", "remote_addr"]
    list_filter = ["gateway", "verdict", "reason", "source"]
    search_fields = ["reference"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
