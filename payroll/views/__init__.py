"""Payroll pages. Each views module owns its own URL patterns (payroll/urls.py joins them)."""
