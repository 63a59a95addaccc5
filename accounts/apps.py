from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "アカウント"

    def ready(self) -> None:
        from accounts.services import INVITATION_LINK, invitation_link_make
        from mailings.links import link_maker_register

        link_maker_register(INVITATION_LINK, invitation_link_make)
