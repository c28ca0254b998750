"""Who may do what, for every kind of item, in one package; the resolvers only call it.

Each module holds one kind's table, `action → {role: scope}` (a role absent from a row may
not take the action; a present one may on an item whose agencies match the scope: its own
agency as sender, receiver, handler, party, …, or any), and the checks that read it:
`authorize(...)` (raises NotAllowedError with the refusal's Chinese / English text),
`may_read(...)` and `reads_all(...)` for reads answered with null and lists scoped to the
caller's agency.

- core.py: the shared vocabulary: Scope, the role groups (STAFF, OVERSIGHT), NotAllowedError
  and the caller's agency;
- issues.py: issues, clocks, periodic reports, inspections and cases, campaigns, agency
  groups, and READ (open to every signed-in role: campaigns, agencies, `me`,
  `systemStatus`, the campaign figures); history.py: audit trails and past states;
- case_transfers.py: each step of a case or discipline transfer, by the party it belongs
  to;
- clues.py: clues and the reporter's protected identity;
- referrals.py: referrals, their queue and terms;
- notices.py: who is told of a change on the live-updates subscription;
- work_queue.py: which rows of the work queue a caller sees and the steps each offers,
  derived from the tables above (ADR 0044).

The issue vocabulary is importable from here (`from api.authz import Action, authorize`).
"""

from api.authz.core import NotAllowedError
from api.authz.issues import Action, authorize, authorize_role, issue_scope, may

__all__ = ["Action", "NotAllowedError", "authorize", "authorize_role", "issue_scope", "may"]
