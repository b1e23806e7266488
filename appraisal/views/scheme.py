"""Appraisal pages: scheme."""

urlpatterns: list = []
