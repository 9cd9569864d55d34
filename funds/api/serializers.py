from decimal import Decimal

from rest_framework import serializers

from funds.enums import PaymentMethod
from funds.models import Campaign, Entry, Pledge, Posting


class EntrySerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.code")

    class Meta:
        model = Entry
        fields = ["account", "amount", "currency"]


class PostingSerializer(serializers.ModelSerializer):
    entries = EntrySerializer(many=True, read_only=True)
    created_by = serializers.CharField(source="created_by.name")

    class Meta:
        model = Posting
        fields = [
            "id", "college", "kind", "occurred_on", "term", "memo", "created_by", "created", "reverses", "reason",
            "income", "pledge", "campaign", "expense", "course", "session", "entries",
        ]


class BalanceSerializer(serializers.Serializer):
    college = serializers.IntegerField()
    account = serializers.CharField()
    balance = serializers.DecimalField(max_digits=16, decimal_places=2)


class CampaignSerializer(serializers.ModelSerializer):
    college_name = serializers.CharField(source="college.name")
    raised = serializers.SerializerMethodField()
    pledged = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", "college", "college_name", "title", "purpose", "use", "target", "deadline", "status", "raised", "pledged"]

    def _row(self, obj):
        return self.context["rows"][obj.pk]

    def get_raised(self, obj) -> Decimal:
        return self._row(obj).raised

    def get_pledged(self, obj) -> Decimal:
        return self._row(obj).pledged


class PledgeCreateSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("1"), max_value=Decimal("1000000"))
    public_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    unit_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class PledgeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pledge
        fields = ["id", "campaign", "amount", "public_name", "unit_name", "status", "created", "method", "received_at"]


class ReceiveSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=PaymentMethod.choices)


class AmountsSerializer(serializers.Serializer):
    code = serializers.CharField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class MonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    income = serializers.DecimalField(max_digits=16, decimal_places=2, source="income_total")
    spending = serializers.DecimalField(max_digits=16, decimal_places=2, source="spending_total")


class CampaignRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    target = serializers.DecimalField(max_digits=16, decimal_places=2)
    raised = serializers.DecimalField(max_digits=16, decimal_places=2)
    spent = serializers.DecimalField(max_digits=16, decimal_places=2)


class NamedSerializer(serializers.Serializer):
    name = serializers.CharField()
    source = serializers.CharField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class ReportSerializer(serializers.Serializer):
    college = serializers.IntegerField()
    term = serializers.IntegerField(allow_null=True)
    income = AmountsSerializer(many=True)
    spending = AmountsSerializer(many=True)
    months = MonthSerializer(many=True)
    campaigns = CampaignRowSerializer(many=True)
    named_givers = NamedSerializer(many=True)
