"""factory_boy factories for the organisation. Deterministic sequences; no randomness."""

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from orgs.models import (
    AssessmentGroup,
    Employee,
    GroupPrize,
    Institution,
    Role,
    ScoringDepartment,
    Stage,
    User,
)

PASSWORD = "pass-word-123"


class ScoringDepartmentFactory(DjangoModelFactory):
    class Meta:
        model = ScoringDepartment
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"D{n:02d}")
    name = factory.Sequence(lambda n: f"科室{n:02d}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.HR
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AssessmentGroupFactory(DjangoModelFactory):
    class Meta:
        model = AssessmentGroup
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"G{n}")
    name = factory.Sequence(lambda n: f"第{n}组")
    sort_order = factory.Sequence(int)

    @factory.post_generation
    def prizes(obj, create, extracted, **kwargs):
        if not create:
            return
        table = extracted or [(1, 1, "50000.00"), (2, 2, "30000.00"), (3, 3, "10000.00")]
        for level, winners, amount in table:
            GroupPrize.objects.update_or_create(
                group=obj, level=level, defaults={"winners": winners, "amount": Decimal(amount)}
            )


class InstitutionFactory(DjangoModelFactory):
    class Meta:
        model = Institution
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"I{n:03d}")
    name = factory.Sequence(lambda n: f"机构{n:03d}")
    group = factory.SubFactory(AssessmentGroupFactory)
    stage = Stage.FORMAL
    formal_headcount = 10


class EmployeeFactory(DjangoModelFactory):
    class Meta:
        model = Employee
        django_get_or_create = ("staff_number",)

    staff_number = factory.Sequence(lambda n: f"E{n:06d}")
    name = factory.Sequence(lambda n: f"员工{n}")
    institution = factory.SubFactory(InstitutionFactory)
    post = "科员"
    post_coefficient = Decimal("1.00")
    is_formal = True
    post_wage = Decimal("2800.00")
    grade_wage = Decimal("1200.50")
    special_allowance = Decimal("0.00")
