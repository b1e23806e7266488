"""Appraisal pages: scoring."""

urlpatterns: list = []
