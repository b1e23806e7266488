"""The personas every page and endpoint is checked with (fixtures in conftest.py)."""

# Signed in, in the column order of the status tables below.
SIGNED_IN = ["hr", "head_a", "head_b", "scorer", "acceptance", "payroll", "auditor", "norole"]
PERSONAS = [*SIGNED_IN, "anonymous"]

# The institutions of the `world` fixture each persona may see (A01, B01 pilots; C01 not).
VISIBLE_INSTITUTIONS = {
    "hr": {"A01", "B01", "C01"},
    "auditor": {"A01", "B01", "C01"},
    "scorer": {"A01", "B01", "C01"},
    "acceptance": {"A01", "B01"},
    "head_a": {"A01"},
    "head_b": {"B01"},
    "payroll": {"A01"},
}


def statuses(table_row: str) -> dict[str, int]:
    """'200 200 404 …' in SIGNED_IN order → {persona: status}."""
    codes = [int(code) for code in table_row.split()]
    assert len(codes) == len(SIGNED_IN), table_row
    return dict(zip(SIGNED_IN, codes, strict=True))
