"""The shop's private pages, under /consignment/<token>/ (the link the band sends)."""

from __future__ import annotations

from django.urls import path

from disquaire.consignment import views

app_name = "consignment"

urlpatterns = [
    path("<str:token>/", views.portal, name="portal"),
    path("<str:token>/report/", views.portal_report, name="portal_report"),
    path(
        "<str:token>/statements/<int:statement_id>.pdf",
        views.portal_statement_pdf,
        name="portal_statement_pdf",
    ),
    path(
        "<str:token>/statements/<int:statement_id>.csv",
        views.portal_statement_csv,
        name="portal_statement_csv",
    ),
]
