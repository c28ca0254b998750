"""The composition root: settings, the `rectify` CLI and the process supervisor."""
