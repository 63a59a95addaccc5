from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RechallengeConfig(AppConfig):
    name = "rechallenge"
    verbose_name = _("再チャレンジ")
