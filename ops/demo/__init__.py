"""The demo world of `manage.py seed_demo` (README.md, "Demo accounts"). It lives above the domain
apps: each module seeds one domain through that domain's own services, so the demo is audited and
recomputed like real work, in the order the story happened: the organisation, the appraisal years
(2025 published, 2026 open), pay (2025's settlement in March 2026, then October and November),
the 2026 letters, the pilots' acceptance, and the bulletins last, after every recompute.
Deterministic; safe to run again."""

from django.db import transaction

from orgs.models import User

from .orgs import DEMO_PASSWORD, seed


def demo_seed() -> dict:
    """Load the whole demo; return the counts the command reports."""
    with transaction.atomic():
        counts = seed()
    # The appraisal years go through the services, which queue a recompute on commit.
    from .acceptance import seed_acceptance
    from .appraisal import seed_years
    from .bulletins import seed_bulletins
    from .letters import seed_letters
    from .payroll import seed_payroll

    hr = User.objects.get(username="hr")
    seed_years(hr=hr)
    seed_payroll(hr=hr)
    seed_letters(hr=hr)
    seed_acceptance(hr=hr)
    seed_bulletins(hr=hr)
    counts["users"] = User.objects.count()
    return counts


__all__ = ["DEMO_PASSWORD", "demo_seed"]
