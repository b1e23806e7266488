"""Shapes of the letters API. Serializers parse and render only: who may sign, countersign and
issue, and every rule of versions and hashes, live in letters.services, which the views call; a
service's ValidationError comes back as a 400 on the same field names. Years, institutions and
people are named by their year, code and username, as on the pages."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from appraisal.models import Scheme
from letters.models import Letter, LetterItem
from letters.services import letter_verify
from orgs.models import Institution


class LetterItemSerializer(serializers.ModelSerializer):
    indicator = serializers.CharField(source="indicator.code", read_only=True, allow_null=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    decomposes = serializers.IntegerField(
        source="decomposes_id",
        read_only=True,
        allow_null=True,
        help_text=_("Id of the parent letter's item this one takes a part of."),
    )

    class Meta:
        model = LetterItem
        fields = [
            "id",
            "kind",
            "kind_label",
            "indicator",
            "text",
            "target_value",
            "unit",
            "additive",
            "points",
            "decomposes",
        ]
        read_only_fields = fields


class LetterSerializer(serializers.ModelSerializer):
    """A letter as read, with its exact content and whether it still matches its hash."""

    year = serializers.IntegerField(source="scheme.year", read_only=True)
    institution = serializers.CharField(source="institution.code", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    signer = serializers.CharField(
        source="signer.username",
        read_only=True,
        help_text=_("Username of the account that signs it: only this account can."),
    )
    sha256 = serializers.CharField(
        source="content_sha256",
        read_only=True,
        help_text=_("SHA-256 of the content, frozen at signing; empty until signed."),
    )
    countersigned_by = serializers.CharField(
        source="countersigned_by.username", read_only=True, allow_null=True
    )
    parent = serializers.IntegerField(
        source="parent_id",
        read_only=True,
        allow_null=True,
        help_text=_("Id of the letter one level up that this one decomposes."),
    )
    content = serializers.JSONField(
        read_only=True, help_text=_("The letter's exact data; what the hash is taken over.")
    )
    items = LetterItemSerializer(many=True, read_only=True)
    verified = serializers.SerializerMethodField(
        help_text=_(
            "Whether the stored content still matches the hash frozen at signing; "
            "null while the letter is not signed."
        )
    )

    class Meta:
        model = Letter
        fields = [
            "id",
            "year",
            "institution",
            "institution_name",
            "level",
            "level_label",
            "parent",
            "holder_name",
            "signer",
            "version",
            "status",
            "status_label",
            "content",
            "items",
            "sha256",
            "verified",
            "issued_at",
            "signed_at",
            "signed_from",
            "countersigned_by",
            "countersigned_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_verified(self, letter) -> bool | None:
        return letter_verify(letter) if letter.is_signed else None


class LetterVerifySerializer(serializers.Serializer):
    verified = serializers.BooleanField(
        allow_null=True,
        help_text=_("null: the letter is not signed yet, so there is no hash to check."),
    )
    sha256 = serializers.CharField(help_text=_("The hash frozen at signing (empty until signed)."))
    computed_sha256 = serializers.CharField(help_text=_("The hash of the content as stored now."))


class LetterSignSerializer(serializers.Serializer):
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text=_("The signer's own password, entered again to sign."),
    )


class LetterIssueSerializer(serializers.Serializer):
    """The head's letter to issue (or reissue): a year and an institution, by code."""

    year = serializers.IntegerField()
    institution = serializers.CharField(help_text=_("Institution code."))

    def validate(self, data):
        errors = {}
        scheme = Scheme.objects.filter(year=data["year"]).first()
        if scheme is None:
            errors["year"] = _("There is no scheme for %(year)s.") % {"year": data["year"]}
        institution = (
            Institution.objects.select_related("head").filter(code=data["institution"]).first()
        )
        if institution is None:
            errors["institution"] = _("Unknown institution %(code)s.") % {
                "code": data["institution"]
            }
        if errors:
            raise serializers.ValidationError(errors)
        return {"scheme": scheme, "institution": institution}
