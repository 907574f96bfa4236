from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SyncengineConfig(AppConfig):
    name = "syncengine"
    verbose_name = _("Synchronisation")

    def ready(self) -> None:
        # records may not import the engine (DESIGN.md): the engine listens to its outbox.
        from records.services import on_outbox_change
        from syncengine import signals  # noqa: F401  (connects its signal receivers)
        from syncengine.tasks import queue_push

        on_outbox_change(queue_push)
