"""Deciding approvals: each decision (approve, decline, expire, withdraw) is the domain's pure rule
applied by the kit's `change` inside the approval's one version-guarded write, so of two
concurrent decisions on one booking exactly one is saved and the other is decided again on what
is there now, and refused (409) because it is already decided.

Not yet wired into the booking's own lifecycle (confirming, releasing the seat): see the README.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bookings.adapters.approvals import ApprovalBook
from bookings.domain import approvals as rules
from bookings.domain.approvals import Approval, approval_of
from bookings.domain.booking import Actor
from parkgrid.aggregates import Decision, change
from parkgrid.refusals import Refusal, Refused
from parkgrid.store import Document


class Approvals:
    def __init__(self, book: ApprovalBook, now: Callable[[], datetime]) -> None:
        self.book = book
        self.now = now

    async def open(self, approval: Approval) -> Approval:
        """Store the approval a new booking waits on; a retry finds it stored."""
        found = await self.book.get(approval.booking_id)
        if found is None:
            await self.book.store.create(approval.booking_id, approval.state(), [])
            return approval
        return approval_of(found)

    async def approve(self, booking_id: str, actor: Actor) -> Approval:
        return await self._decide(booking_id, lambda a: rules.approve(a, actor, self.now()))

    async def decline(self, booking_id: str, actor: Actor, reason: str) -> Approval:
        return await self._decide(booking_id, lambda a: rules.decline(a, actor, reason, self.now()))

    async def withdraw(self, booking_id: str, actor: Actor) -> Approval:
        return await self._decide(booking_id, lambda a: rules.withdraw(a, actor, self.now()))

    async def expire_due(self) -> list[Approval]:
        """The sweeper's pass: every overdue approval still waiting is expired (once)."""
        expired: list[Approval] = []
        for booking_id in await self.book.due(self.now()):
            approval = await self._expire(booking_id)
            if approval is not None:
                expired.append(approval)
        return expired

    async def _expire(self, booking_id: str) -> Approval | None:
        """The approval this pass expired; None when another sweep or a decision came first."""
        saved: list[Approval] = []

        def rule(doc: Document) -> Decision | None:
            after = rules.expire(approval_of(doc), self.now())
            saved[:] = [after] if after else []
            return (after.state(), []) if after else None

        try:
            await change(self.book.store, booking_id, rule, what="approval")
        except Refused as refused:
            if refused.kind != Refusal.NOT_FOUND:
                raise
            return None
        return saved[0] if saved else None

    async def _decide(self, booking_id: str, decide: Callable[[Approval], Approval]) -> Approval:
        def rule(doc: Document) -> Decision:
            return decide(approval_of(doc)).state(), []

        doc, _ = await change(self.book.store, booking_id, rule, what="approval")
        return approval_of(doc)
