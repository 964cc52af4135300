from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`disquaire demo`: a band with music, a shop and download codes, in one command."""

    name = "disquaire.demo"
    label = "demo"
