"""Appraisal pages: transfer."""

urlpatterns: list = []
