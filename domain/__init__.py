"""The rectification domain: aggregates, value objects and the application services.

Imports only the standard library and eventsourcing.
"""
