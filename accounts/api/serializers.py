from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import ApiToken, mobile_validator, normalise_phone


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


class PhoneField(serializers.CharField):
    """An 11-digit mainland mobile number; `+86 138-1234-1234` is read as 13812341234."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", _("Mobile number, e.g. 13812345678."))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        number = normalise_phone(super().to_internal_value(data)) or ""
        try:
            mobile_validator(number)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return number


class SignInCodeRequestSerializer(serializers.Serializer):
    phone = PhoneField()


class SignInCodeSentSerializer(serializers.Serializer):
    detail = serializers.CharField()
    expires_in = serializers.IntegerField(help_text=_("Seconds the code stays valid."))


class SmsTokenCreateSerializer(serializers.Serializer):
    phone = PhoneField()
    code = serializers.RegexField(r"^\d{6}$", max_length=6, help_text=_("The six digits of the SMS."))
    name = serializers.CharField(
        max_length=60,
        required=False,
        default="app",
        help_text=_("What the token is for, e.g. “my phone”."),
    )
