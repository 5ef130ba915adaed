from django.urls import path

from abtesting import views

urlpatterns = [
    path("", views.report, name="report"),
    path("participant/<int:test_id>/<str:version>", views.participant, name="participant"),
    path("conversion/<int:test_id>/<str:version>", views.conversion, name="conversion"),
]
