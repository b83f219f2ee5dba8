"""The pure policy engine: `decide(ticket, policy)` turns ticket text and a time into a decision.

Value types live in app.policy.model; the policy file is read by `load_policy`.
"""

from app.policy.config import Policy, PolicyError, ZendeskFields, load_policy
from app.policy.engine import decide

__all__ = ["Policy", "PolicyError", "ZendeskFields", "decide", "load_policy"]
