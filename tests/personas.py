"""The personas every page and endpoint is checked with (fixtures in conftest.py)."""

# Signed in, in the column order of the status tables below.
SIGNED_IN = ["hr", "head_a", "head_b", "scorer", "acceptance", "payroll", "auditor", "norole"]
PERSONAS = [*SIGNED_IN, "anonymous"]


def statuses(table_row: str) -> dict[str, int]:
    """'200 200 404 …' in SIGNED_IN order → {persona: status}."""
    codes = [int(code) for code in table_row.split()]
    assert len(codes) == len(SIGNED_IN), table_row
    return dict(zip(SIGNED_IN, codes, strict=True))
