from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import ApiToken


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created", "last_used"]
        read_only_fields = fields


class TokenCreatedSerializer(TokenSerializer):
    secret = serializers.CharField(
        read_only=True, help_text=_("Shown this once; send it as `Authorization: Token <secret>`.")
    )

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class TokenCreateSerializer(serializers.Serializer):
    """Signed in already (session): just a name. From an app: the mobile number (or e-mail) and password too."""

    name = serializers.CharField(max_length=60, help_text=_("What the token is for, e.g. “my phone”."))
    login = serializers.CharField(
        max_length=254, required=False, help_text=_("Mobile number or e-mail address.")
    )
    password = serializers.CharField(
        max_length=128, required=False, write_only=True, style={"input_type": "password"}
    )

    def validate(self, attrs):
        if ("login" in attrs) != ("password" in attrs):
            raise serializers.ValidationError(_("Give both the mobile number and the password, or neither."))
        return attrs
