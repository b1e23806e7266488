"""The overview and the portal as JSON: the same figures as the pages, points as decimal strings."""

from rest_framework import serializers


class DashboardHeadlineSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField()
    note = serializers.CharField()


class DashboardStageCountSerializer(serializers.Serializer):
    stage = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class DashboardWarningSerializer(serializers.Serializer):
    code = serializers.CharField(source="warning.code")
    label = serializers.CharField()
    institution = serializers.CharField(source="institution.code", allow_null=True)
    institution_name = serializers.CharField(source="institution.name", allow_null=True)
    group_name = serializers.CharField(
        allow_blank=True, help_text="the institution's assessment group ('' without a result)"
    )
    detail = serializers.CharField()
    figures = serializers.DictField(source="warning.detail")


class DashboardRankedResultSerializer(serializers.Serializer):
    institution = serializers.CharField(source="institution.code")
    name = serializers.CharField(source="institution.name")
    rank = serializers.IntegerField(allow_null=True)
    common = serializers.DecimalField(max_digits=8, decimal_places=2)
    business = serializers.DecimalField(max_digits=8, decimal_places=2)
    execution = serializers.DecimalField(max_digits=8, decimal_places=2)
    bonus = serializers.DecimalField(max_digits=8, decimal_places=2)
    veto = serializers.DecimalField(max_digits=8, decimal_places=2)
    total = serializers.DecimalField(max_digits=8, decimal_places=2)
    vetoed = serializers.BooleanField()
    grade = serializers.CharField()


class DashboardGroupSerializer(serializers.Serializer):
    group = serializers.CharField(source="group.code", allow_null=True)
    results = DashboardRankedResultSerializer(many=True)


class DashboardBandSerializer(serializers.Serializer):
    low = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    high = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    label = serializers.CharField()
    count = serializers.IntegerField()


class DashboardTrendLineSerializer(serializers.Serializer):
    institution = serializers.CharField()
    totals = serializers.ListField(
        child=serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    )


class OverviewSerializer(serializers.Serializer):
    year = serializers.IntegerField(source="scheme.year")
    headlines = DashboardHeadlineSerializer(many=True)
    stages = serializers.SerializerMethodField()
    groups = DashboardGroupSerializer(many=True)
    distribution = DashboardBandSerializer(many=True, source="bands")
    trend_group = serializers.CharField(source="trend.group.code", allow_null=True, default=None)
    months = serializers.SerializerMethodField()
    trend = serializers.SerializerMethodField()
    warnings = DashboardWarningSerializer(many=True)

    def get_stages(self, o) -> list[dict]:
        return DashboardStageCountSerializer(
            [{"stage": s, "label": label, "count": n} for s, label, n in o.stages], many=True
        ).data

    def get_months(self, o) -> list[str]:
        return [m.strftime("%Y-%m") for m in o.trend.months]

    def get_trend(self, o) -> list[dict]:
        return DashboardTrendLineSerializer(
            [{"institution": inst.code, "totals": values} for inst, values in o.trend.lines],
            many=True,
        ).data


class DashboardPartRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    own = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    group_average = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    maximum = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)


class PortalSerializer(serializers.Serializer):
    year = serializers.IntegerField(source="scheme.year")
    institution = serializers.CharField(source="institution.code")
    result = DashboardRankedResultSerializer(allow_null=True)
    gap_to_qualify = serializers.DecimalField(
        max_digits=8, decimal_places=2, source="result.gap_to_qualify", allow_null=True,
        default=None,
    )  # fmt: skip
    gap_to_next_prize = serializers.DecimalField(
        max_digits=8, decimal_places=2, source="result.gap_to_next_prize", allow_null=True,
        default=None,
    )  # fmt: skip
    gap_to_above = serializers.DecimalField(
        max_digits=8, decimal_places=2, source="result.gap_to_above", allow_null=True,
        default=None,
    )  # fmt: skip
    margin_below = serializers.DecimalField(
        max_digits=8, decimal_places=2, source="result.margin_below", allow_null=True,
        default=None,
    )  # fmt: skip
    group_size = serializers.IntegerField()
    parts = DashboardPartRowSerializer(many=True)
    months = serializers.SerializerMethodField()
    own_trend = serializers.ListField(
        child=serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    )
    group_trend = serializers.ListField(
        child=serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    )
    warnings = DashboardWarningSerializer(many=True)

    def get_months(self, p) -> list[str]:
        return [m.strftime("%Y-%m") for m in p.months]
