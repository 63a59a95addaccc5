from django.apps import AppConfig


class RelayConfig(AppConfig):
    name = "relay"
    verbose_name = "リレー・紹介カウント"
