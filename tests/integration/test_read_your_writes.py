"""Read-your-writes: a query carrying the position of a write sees that write."""

from __future__ import annotations

from domain.application import RectifyApp
from tests.integration.api_fixtures import Api, api, issue, projection_thread, token

FIXTURES = (api, projection_thread)
HEADER = "X-Rectify-Min-Position"
QUERY = "query($id: ID!) { issue(id: $id) { status history { type } } }"


async def _ask(api: Api, position: str, issue_id: str) -> tuple[dict, str | None]:  # type: ignore[type-arg]
    response = await api.client.post(
        "/graphql",
        json={"query": QUERY, "variables": {"id": issue_id}},
        headers={"Authorization": f"Bearer {token('coordinator')}", HEADER: position},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"], response.headers.get(HEADER)


async def test_a_query_with_the_writes_position_sees_the_write(api: Api, app: RectifyApp) -> None:
    for number in ("1", "2", "3"):
        written = app.submit_for_verification(
            issue(number), "已完成", "县卫健局"
        )  # straight to the store, not through the API
        assert written.position is not None
        data, read_at = await _ask(api, str(written.position), issue(number))
        assert data["issue"]["status"] == "SUBMITTED"
        assert read_at is not None and int(read_at) >= written.position


async def test_a_bad_position_is_refused(api: Api) -> None:
    response = await api.client.post(
        "/graphql",
        json={"query": "{ campaigns { id } }"},
        headers={"Authorization": f"Bearer {token('coordinator')}", HEADER: "soon"},
    )
    assert response.status_code == 400 and HEADER in response.text
