"""The checked-in SDL (api/schema.graphql) is the schema the server serves."""

from pathlib import Path

from api.schema import sdl

SDL = Path(__file__).resolve().parents[2] / "api" / "schema.graphql"


def test_checked_in_sdl_matches_the_schema() -> None:
    # Regenerate with: python -c "from api.schema import sdl; print(sdl())" > api/schema.graphql
    assert SDL.read_text(encoding="utf-8") == sdl() + "\n"
