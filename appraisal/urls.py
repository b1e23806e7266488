"""Appraisal pages. Each views module owns its own URL patterns."""

from .views import appeals, results, scheme, scoring, transfer

app_name = "appraisal"

urlpatterns = [
    *scheme.urlpatterns,
    *scoring.urlpatterns,
    *results.urlpatterns,
    *transfer.urlpatterns,
    *appeals.urlpatterns,
]
