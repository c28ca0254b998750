"""What the application stands on: the event store and its hash chains, the audit's
verification and checkpoints, and the working calendars' data. Imports domain and
projections, never rectify/ (the CLI and composition root)."""
