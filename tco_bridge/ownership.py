"""Ownership policy: who becomes the contact owner, and which groups are front line.

Plain data, read from the ``ownership:`` section of the rules file. The decisions themselves are
pure functions here so that ``state.apply`` and ``simulate`` share them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Model(enum.StrEnum):
    INDIVIDUAL = "individual"  # one agent owns the contact
    TEAM = "team"  # the front-line group owns it; any member may act
    NONE = "none"  # first agent answers; a customer reply reopens it for the next free agent


class OwnerTrigger(enum.StrEnum):
    FIRST_PUBLIC_REPLY = "first_public_reply"
    FIRST_ASSIGNMENT = "first_assignment"
    AGENT_CREATED = "agent_created"  # an agent logged the call on the customer's behalf
    #: A front-line agent moved the ticket to an escalation group (triage and escalate): the
    #: agent who did it acted first, so they own the contact.
    ESCALATED = "escalated_by_frontline"


@dataclass(frozen=True, slots=True)
class OwnershipPolicy:
    model: Model = Model.INDIVIDUAL
    triggers: frozenset[OwnerTrigger] = frozenset(OwnerTrigger)
    #: Groups whose agents become owners. Empty: every group is front line.
    frontline_groups: frozenset[str] = frozenset()
    #: Whether a ticket with no group yet counts as sitting with the front line.
    no_group_is_frontline: bool = True
    #: Owner mirror target per connector ("label"/"tag" or a field id); absent → connector default.
    owner_field: dict[str, str] = field(default_factory=dict)
    #: Write the owner back into the ticket at all.
    mirror_owner: bool = True
    #: Who a rule's ``owner`` target means while there is no owner (model ``none``, or no
    #: front-line agent has acted yet): target names tried in order. Empty: nobody, and
    #: ``rules check`` refuses rules that could then address nobody.
    fallback: tuple[str, ...] = ("frontline_lead",)

    def is_frontline(self, group: str | None) -> bool:
        if group is None or group == "":
            return self.no_group_is_frontline
        return not self.frontline_groups or group in self.frontline_groups
