"""The HTTP side: strawberry GraphQL on starlette, JWT auth, a small offline home page."""
