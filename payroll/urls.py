"""Payroll pages. Each views module owns its own URL patterns."""

from .views import pages, transfer

app_name = "payroll"

urlpatterns = [*pages.urlpatterns, *transfer.urlpatterns]
