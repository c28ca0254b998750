"""Values that cross the Temporal boundary for deliveries (strings, ints and bools only)."""

from __future__ import annotations

from dataclasses import dataclass

from workflows.delivery_channels import Message


@dataclass
class DeliveryInput:
    message: Message
    endpoint_id: str


@dataclass
class AbandonInput:
    delivery_id: str
    reason: str


def delivery_workflow_id(delivery_id: str) -> str:
    """One workflow per (notice, endpoint): a second start of it is refused, not repeated."""
    return f"delivery-{delivery_id}"
