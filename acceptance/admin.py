"""Acceptance is read-only in the admin: it changes through acceptance.services (audited)."""

from django.contrib import admin

from orgs.admin import ReadOnlyAdmin

from .models import Batch, Inspection, Standard, StandardItem, Team, Tick, WeeklyReport

for model in (Standard, StandardItem, Team, Batch, Inspection, Tick, WeeklyReport):
    admin.site.register(model, ReadOnlyAdmin)
