from django.apps import AppConfig


class LibConfig(AppConfig):
    name = "lib"
    verbose_name = "共通"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from lib import checks  # noqa: F401  (registers the deploy checks)
        from lib.middleware import session_clock_start

        user_logged_in.connect(session_clock_start, dispatch_uid="lib.session_clock_start")
