from decimal import Decimal

import pytest

from orgs.templatetags.numbers import yuan


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("50000.00"), "50,000.00"),
        (Decimal("1234.5"), "1,234.50"),
        (Decimal("0"), "0.00"),
        (Decimal("-1234567.89"), "-1,234,567.89"),
        ("2800.10", "2,800.10"),
        (None, ""),
        ("n/a", "n/a"),
    ],
)
def test_yuan(value, shown):
    assert yuan(value) == shown
