"""Bulletin pages (docs/BULLETINS.md). The names are a contract: the navigation and the dashboard
link them."""

from django.urls import path

from . import views

app_name = "bulletins"

urlpatterns = [
    path("", views.bulletin_list, name="bulletin_list"),
    path("<int:pk>/", views.bulletin_detail, name="bulletin_detail"),
    path("<int:pk>/publish/", views.bulletin_publish, name="bulletin_publish"),
    path("<int:pk>/regenerate/", views.bulletin_regenerate, name="bulletin_regenerate"),
    path("<int:pk>/bulletin.xlsx", views.bulletin_xlsx, name="bulletin_xlsx"),
    path("explanations/", views.explanation_list, name="explanation_list"),
    path("explanations/<int:pk>/", views.explanation_detail, name="explanation_detail"),
    path("explanations/<int:pk>/submit/", views.explanation_submit, name="explanation_submit"),
    path("explanations/<int:pk>/review/", views.explanation_review, name="explanation_review"),
    path(
        "explanations/<int:pk>/attachment/",
        views.explanation_attachment,
        name="explanation_attachment",
    ),
    path("years/<int:year>/policy/", views.policy, name="policy"),
]
