"""Appraisal pages: results."""

urlpatterns: list = []
