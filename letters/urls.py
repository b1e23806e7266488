"""Pages of the target responsibility letters, mounted at /letters/."""

from django.urls import path

from . import views

app_name = "letters"

urlpatterns = [
    path("", views.latest, name="latest"),
    path("years/<int:year>/", views.letter_list, name="letter_list"),
    path("<int:pk>/", views.letter_detail, name="letter_detail"),
    path("<int:pk>/sign/", views.letter_sign, name="letter_sign"),
    path("<int:pk>/countersign/", views.letter_countersign, name="letter_countersign"),
    path("<int:pk>/reissue/", views.letter_reissue, name="letter_reissue"),
    path("<int:pk>/download/", views.letter_download, name="letter_download"),
    path("<int:pk>/cascade/", views.letter_cascade, name="letter_cascade"),
    path("<int:pk>/cascade/issue/", views.letter_cascade_issue, name="letter_cascade_issue"),
    path("status/<int:year>/", views.status, name="status"),
    path("status/<int:year>/export.xlsx", views.status_export, name="status_export"),
    path("status/<int:year>/issue/", views.status_issue, name="status_issue"),
]
