from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for trying the product (`manage.py seed_demo`). No production module imports this app."""

    name = "demo"
    verbose_name = "デモデータ"
