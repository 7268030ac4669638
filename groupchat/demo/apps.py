from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Project wiring that spans every app (demo data). Not part of the layered apps; nothing imports it."""

    name = "groupchat.demo"
    label = "demo"
