from django.apps import AppConfig


class CandidatesConfig(AppConfig):
    name = "candidates"
    verbose_name = "求職者"

    def ready(self) -> None:
        from candidates.tokens import candidate_link_makers_register

        candidate_link_makers_register()
