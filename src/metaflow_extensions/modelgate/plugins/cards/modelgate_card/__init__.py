"""modelgate's card type for Metaflow: ``@card(type="modelgate")``.

Metaflow finds card types in the ``metaflow_extensions`` namespace package: each
``metaflow_extensions.<org>.plugins.cards.<package>`` that defines ``CARDS``, a list of
:class:`MetaflowCard` subclasses. modelgate installs this one, so the card type is
there wherever modelgate is installed, with nothing to configure.

Metaflow imports this module whenever it loads its plugins (every ``import metaflow``),
so it imports nothing beyond Metaflow's card base class: modelgate, matplotlib and the
rest are imported when a card is drawn.
"""

from typing import Any

from metaflow.plugins.cards.card_modules.card import MetaflowCard


class ModelgateCard(MetaflowCard):
    """The verdict of the task the card is attached to: its word, the checks' bounds against
    their margins, the task's figure, the champion and the verdict's records.

    ``options={"artifact": NAME}`` names the artifact holding the verdict (default: the
    first of ``modelgate_verdict`` and ``gate_verdict`` the task has). A task with no
    verdict gets a card that says so. The page is self-contained: it renders offline."""

    type = "modelgate"  # type: ignore[assignment]  # Metaflow's base class declares None

    def __init__(
        self,
        options: dict[str, Any] | None = None,
        components: Any = None,
        graph: Any = None,
        flow: Any = None,
        **kwargs: Any,
    ) -> None:
        options = options or {}
        artifact = options.get("artifact")
        self._artifact = str(artifact) if artifact else None

    def render(self, task: Any) -> str:
        from modelgate.card_type import render_task

        return render_task(task, self._artifact)


CARDS = [ModelgateCard]
