"""Temporal clocks of rectification issues: reminders and overdue records.

The event store holds the facts; these workflows only hold timers, and every milestone
they reach becomes an event appended by an idempotent activity.
"""
