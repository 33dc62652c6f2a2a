"""Mesa agents: the negotiating actors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from .rules.base import MoveKind

if TYPE_CHECKING:  # pragma: no cover
    from .model import NegotiationModel

__all__ = ["Actor"]


class Actor(mesa.Agent):
    """A negotiating party (a state, alliance or institution).

    An actor holds a capability and, per issue, a position (on the issue's scale) and a salience
    (0-1). They are stored as this actor's column of the model's issue x actor arrays, so the
    vectorised bargaining rule and the agent always see the same numbers: ``positions``,
    ``saliences``, ``capabilities`` and ``participates`` are live views of that column, indexed by
    ``model.issue_ids``. ``bloc`` groups actors (``model.agents.groupby("bloc")``).
    """

    model: "NegotiationModel"

    def __init__(self, model: "NegotiationModel", actor_id: str, slot: int, name: str,
                 bloc: str | None = None) -> None:
        super().__init__(model)
        self.actor_id = actor_id
        self.slot = slot
        self.name = name
        self.bloc = bloc

    # -- preferences (views into the model's arrays) -------------------------------------
    @property
    def positions(self) -> np.ndarray:
        """Position on every issue (meaningless where ``participates`` is False)."""
        return self.model.positions[:, self.slot]

    @property
    def saliences(self) -> np.ndarray:
        return self.model.salience[:, self.slot]

    @property
    def capabilities(self) -> np.ndarray:
        return self.model.capability[:, self.slot]

    @property
    def participates(self) -> np.ndarray:
        """True on the issues where the actor takes part."""
        return self.model.active[:, self.slot]

    def _k(self, issue_id: str) -> int:
        return self.model.issue_index[issue_id]

    def position(self, issue_id: str) -> float | None:
        """Current position on ``issue_id``, or None if the actor takes no part in it."""
        k = self._k(issue_id)
        return float(self.model.positions[k, self.slot]) if self.model.active[k, self.slot] else None

    def salience(self, issue_id: str) -> float | None:
        k = self._k(issue_id)
        return float(self.model.salience[k, self.slot]) if self.model.active[k, self.slot] else None

    def capability(self, issue_id: str) -> float:
        return float(self.model.capability[self._k(issue_id), self.slot])

    # -- behaviour ---------------------------------------------------------------------------
    def last_move(self, issue_id: str) -> dict[str, Any]:
        """What the actor did on ``issue_id`` in the latest round: the kind of offer it accepted
        (or ``held``), from whom, and where it went."""
        return self.model.history.move_of(self.slot, self._k(issue_id))

    def __repr__(self) -> str:
        return f"Actor({self.actor_id!r}, bloc={self.bloc!r})"


MOVE_LABELS = {int(k): k.label for k in MoveKind}
