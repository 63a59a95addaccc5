from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RechallengeConfig(AppConfig):
    name = "rechallenge"
    verbose_name = _("再チャレンジ")

    def ready(self) -> None:
        from mailings.links import link_maker_register
        from rechallenge.services import RECHALLENGE_LINK, rechallenge_link_make

        link_maker_register(RECHALLENGE_LINK, rechallenge_link_make)
