"""Which policy decides a tagged corpus: the one its tags were decided with, or another one asked for.

Used by ``alignment-data filter --from-tags`` and by the mixer (``--base`` a tag run or a
tokenized tag run), so both re-decide stored tags the same way: a named policy takes the
threshold asked for, else the tag run's own when it is the same policy, else the
threshold the tagger tuned for that policy; a policy the tagger's tags cannot decide is
refused.
"""

from __future__ import annotations

from alignment_data.tagging.policy import FilterPolicy, check_policy, make_policy


def policy_from_decision(decision: dict, tagger: str, policy: str | None = None, threshold: float | None = None) -> FilterPolicy:
    """The policy to apply to tags decided as ``decision`` records (a tag run's ``summary["decision"]``)."""
    name = policy or decision["policy"]["name"]
    check_policy(name, tagger, tuple(decision["policies"]))
    if threshold is None and name == decision["policy"]["name"]:
        threshold = decision["policy"].get("threshold")
    return make_policy(name, threshold, decision["thresholds"])
