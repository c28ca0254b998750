"""The advisory lock keys a save registers under (docs/decisions/0051)."""

from infrastructure.event_store import REGISTRATION_SPAN, registration_base


def test_each_log_registers_in_a_range_of_its_own_above_every_int4_lock_key() -> None:
    bases = {registration_base(f"t_{n}", "rectify_events") for n in range(200)}
    assert len(bases) == 200
    assert min(bases) >= 2**31  # `pg_advisory_lock(hashtext(…))` keys are int4
    assert max(bases) + REGISTRATION_SPAN <= 2**63 - 1
    assert all(base % REGISTRATION_SPAN == 0 for base in bases)  # ranges never overlap
