"""Someone was erased (`community.member.person_erased`): insights forgets its copies of them.

The projection takes them out of its facts and latest states as it records the erasure (live,
and again in a rebuild from offset 0, where the erasure comes after every fact it undoes); this
step forgets what is not a projection and a rebuild would not bring back: the notices meant for
them, the mails sent to their addresses and the exports of their organisation. The webhooks'
consumer takes them out of its deliveries. Each step is idempotent: a redelivery forgets nothing
twice and fails on nothing already gone.
"""

from __future__ import annotations

import structlog

from insights.adapters.exports import ExportStore
from insights.adapters.mail import Notices, SentLog

log = structlog.get_logger(__name__)


class Erasure:
    def __init__(self, notices: Notices, sent_log: SentLog, exports: ExportStore) -> None:
        self.notices = notices
        self.sent_log = sent_log
        self.exports = exports

    async def forget_copies(self, member_id: str, person_id: str, addresses: set[str]) -> None:
        notices = await self.notices.forget_person(person_id)
        mails = await self.sent_log.forget_person(person_id, addresses)
        exports = await self.exports.forget_member(member_id)
        log.info(
            "person.erased", member_id=member_id, person_id=person_id, notices=notices, mails=mails, exports=exports
        )
