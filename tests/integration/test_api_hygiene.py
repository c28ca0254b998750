"""HTTP hygiene: request size limit, per-user mutation rate limit, security headers, CORS."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.app import ApiConfig, create_app
from api.auth import issue_token
from tests.integration.api_fixtures import SECRET, token

MUTATION = 'mutation { result: signOff(issueId: "no-such-issue") { __typename } }'
READ = '{ issue(id: "no-such-issue") { number } }'
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


@dataclass
class Clock:
    """The rate limit's clock, moved by hand: no test waits on the wall clock."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


Serve = Callable[..., Any]


@pytest.fixture
def serve(es_env: dict[str, str], database_url: str, schema: str) -> Serve:
    """The API with some hygiene settings changed, lifespan entered, behind an httpx client."""

    @asynccontextmanager
    async def serve(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
        web = create_app(ApiConfig(database_url, schema, dict(es_env), SECRET, **settings))
        async with web.router.lifespan_context(web):
            transport = httpx.ASGITransport(app=web)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield client

    return serve


def bearer(subject: str = "coordinator-user") -> dict[str, str]:
    if subject == "coordinator-user":
        return {"Authorization": f"Bearer {token('coordinator')}"}
    return {"Authorization": f"Bearer {issue_token(SECRET, 'coordinator', None, None, subject)}"}


def post(
    client: httpx.AsyncClient, query: str, subject: str = "coordinator-user"
) -> Awaitable[httpx.Response]:
    return client.post("/graphql", json={"query": query}, headers=bearer(subject))


# request size


async def test_a_body_declared_over_the_limit_is_refused(serve: Serve) -> None:
    async with serve(max_body_bytes=1000) as client:
        response = await client.post(
            "/graphql", content=b"x" * 1001, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"
    assert "1000" in response.json()["message"]


async def test_a_streamed_body_over_the_limit_is_refused_before_it_is_all_read(
    serve: Serve,
) -> None:
    pulled = []

    async def chunks() -> AsyncIterator[bytes]:
        for n in range(10):
            pulled.append(n)
            yield b"x" * 600

    async with serve(max_body_bytes=1000) as client:
        response = await client.post(
            "/graphql",
            content=chunks(),
            headers={**bearer(), "Content-Type": "application/json"},
        )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"
    assert len(pulled) < 10


async def test_a_body_within_the_limit_is_served(serve: Serve) -> None:
    async with serve(max_body_bytes=1000) as client:
        response = await post(client, READ)
    assert response.status_code == 200
    assert response.json() == {"data": {"issue": None}}


# mutation rate limit


async def test_mutations_over_the_limit_are_refused_with_retry_after(serve: Serve) -> None:
    async with serve(mutations_per_minute=3, clock=Clock()) as client:
        allowed = [await post(client, MUTATION) for _ in range(3)]
        refused = await post(client, MUTATION)
    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert "errors" not in allowed[0].json() and allowed[0].json()["data"]["result"]
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert refused.json()["error"] == "rate_limited"


async def test_the_mutation_limit_frees_up_as_the_window_slides(serve: Serve) -> None:
    clock = Clock()
    async with serve(mutations_per_minute=2, clock=clock) as client:
        await post(client, MUTATION)
        clock.now += 20
        await post(client, MUTATION)
        clock.now += 30
        early = await post(client, MUTATION)
        clock.now += 10
        later = await post(client, MUTATION)
    assert early.status_code == 429
    assert early.headers["Retry-After"] == "10"
    assert later.status_code == 200


async def test_the_mutation_limit_holds_across_two_api_processes(serve: Serve) -> None:
    clock = Clock()
    async with (
        serve(mutations_per_minute=3, clock=clock) as first,
        serve(mutations_per_minute=3, clock=clock) as second,
    ):
        answers = [await post(client, MUTATION) for client in (first, second, first, second)]
        clock.now += 60
        later = await post(second, MUTATION)
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].headers["Retry-After"] == "60"
    assert later.status_code == 200


async def test_mutations_sent_at_once_to_two_api_processes_admit_exactly_the_limit(
    serve: Serve,
) -> None:
    """Checks of one user racing in two processes are serialised on the user's row."""
    async with serve(mutations_per_minute=4) as first, serve(mutations_per_minute=4) as second:
        answers = await asyncio.gather(*[post(c, MUTATION) for c in (first, second) * 5])
    assert sorted(a.status_code for a in answers) == [200] * 4 + [429] * 6


async def test_reads_are_not_rate_limited(serve: Serve) -> None:
    async with serve(mutations_per_minute=1, clock=Clock()) as client:
        reads = [await post(client, READ) for _ in range(5)]
        mutation = await post(client, MUTATION)
    assert {r.status_code for r in reads} == {200}
    assert mutation.status_code == 200


async def test_each_user_has_a_mutation_limit_of_their_own(serve: Serve) -> None:
    async with serve(mutations_per_minute=1, clock=Clock()) as client:
        first = await post(client, MUTATION, "liu")
        again = await post(client, MUTATION, "liu")
        other = await post(client, MUTATION, "wang")
    assert (first.status_code, again.status_code, other.status_code) == (200, 429, 200)


async def test_aliased_mutations_in_one_request_count_each(serve: Serve) -> None:
    """30 aliased signOffs are 30 mutations: 15 such requests do not make 450 pass."""
    aliased = " ".join(f'm{n}: signOff(issueId: "no-such-{n}") {{ __typename }}' for n in range(30))
    async with serve(mutations_per_minute=45, clock=Clock()) as client:
        first = await post(client, f"mutation {{ {aliased} }}")
        second = await post(client, f"mutation {{ {aliased} }}")
    assert first.status_code == 200, first.text
    assert second.status_code == 429


async def test_a_named_mutation_among_queries_is_counted(serve: Serve) -> None:
    document = f"query Read {READ} mutation Write {MUTATION.removeprefix('mutation')}"
    async with serve(mutations_per_minute=1, clock=Clock()) as client:
        responses = [
            await client.post(
                "/graphql",
                json={"query": document, "operationName": name},
                headers=bearer(),
            )
            for name in ("Write", "Read", "Read", "Write")
        ]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]


async def test_a_mutation_first_in_a_document_without_operation_name_is_counted(
    serve: Serve,
) -> None:
    """Without operationName strawberry runs the document's first operation (not the
    spec's "must provide operation name"): a mutation placed first ran uncounted."""
    document = f"mutation Write {MUTATION.removeprefix('mutation')} query Read {READ}"
    async with serve(mutations_per_minute=1, clock=Clock()) as client:
        first = await post(client, document)
        second = await post(client, document)
    assert first.status_code == 200, first.text
    assert first.json()["data"]["result"]["__typename"]  # the mutation is what ran
    assert second.status_code == 429


async def test_a_query_first_in_a_document_without_operation_name_is_not_counted(
    serve: Serve,
) -> None:
    document = f"query Read {READ} mutation Write {MUTATION.removeprefix('mutation')}"
    async with serve(mutations_per_minute=1, clock=Clock()) as client:
        reads = [await post(client, document) for _ in range(3)]
        mutation = await post(client, MUTATION)
    assert [r.json() for r in reads] == [{"data": {"issue": None}}] * 3  # the query ran
    assert mutation.status_code == 200


async def test_a_mutation_sent_by_get_does_not_run(serve: Serve) -> None:
    """GET is not counted by the limit: it must not be a way to run a mutation at all."""
    async with serve(mutations_per_minute=1, clock=Clock()) as client:
        responses = [
            await client.get("/graphql", params={"query": MUTATION}, headers=bearer())
            for _ in range(2)
        ]
    for response in responses:
        assert response.status_code in (400, 405), response.text
        assert "data" not in response.text or response.json().get("data") is None


# bodies GraphQL cannot take


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'"abc"', "请求须为 JSON 对象 / the request must be a JSON object"),
        (b"123", "请求须为 JSON 对象 / the request must be a JSON object"),
        (b"null", "请求须为 JSON 对象 / the request must be a JSON object"),
        (
            b'{"query": "{ me { role } }\xff"}',
            "请求体不是有效的 UTF-8 编码 / the body is not valid UTF-8",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "请求嵌套过深 / the request is nested too deeply"),
        (b'{"query": ', "请求不是有效的 JSON / the request is not valid JSON"),
    ],
)
@pytest.mark.parametrize("limit", [60, 0])
async def test_a_body_graphql_cannot_take_is_a_bilingual_400(
    serve: Serve, body: bytes, message: str, limit: int
) -> None:
    async with serve(mutations_per_minute=limit, max_body_bytes=1_000_000) as client:
        response = await client.post(
            "/graphql",
            content=body,
            headers={**bearer(), "Content-Type": "application/json"},
        )
    assert response.status_code == 400, response.text
    assert message in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("name", ["variables", "extensions"])
async def test_a_get_with_json_parameters_nested_too_deeply_is_a_bilingual_400(
    serve: Serve, name: str
) -> None:
    params = {"query": "{ me { role } }", name: "[" * 3000 + "]" * 3000}
    async with serve() as client:
        response = await client.get("/graphql", params=params, headers=bearer())
    assert response.status_code == 400, response.text
    assert "请求嵌套过深" in response.json()["errors"][0]["message"]


# tokens


def _signed(claims: str) -> str:
    """A token signed with the test secret around claims written as raw JSON (PyJWT's
    encoder would refuse some of them)."""
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    payload = base64.urlsafe_b64encode(claims.encode()).rstrip(b"=")
    signature = hmac.new(SECRET.encode(), header + b"." + payload, hashlib.sha256).digest()
    return b".".join([header, payload, base64.urlsafe_b64encode(signature).rstrip(b"=")]).decode()


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ('{"sub":"x","role":"coordinator","exp":1e20}', "exp is out of range"),
        ('{"sub":"x","role":"coordinator","exp":253402300800}', "exp is out of range"),
        ('{"sub":"x","role":"liaison","agency_id":[1],"exp":4102444800}', "agency_id claim"),
    ],
)
async def test_a_token_with_a_claim_out_of_range_is_a_bilingual_401(
    serve: Serve, claims: str, message: str
) -> None:
    async with serve() as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ me { role } }"},
            headers={"Authorization": f"Bearer {_signed(claims)}"},
        )
    assert response.status_code == 401, response.text
    assert "需要有效的登录令牌" in response.json()["message"]
    assert message in response.json()["message"]


# security headers and CORS


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/healthz"),
        ("GET", "/no-such-page"),
        ("POST", "/graphql"),  # 401 without a token
    ],
)
async def test_every_response_carries_the_security_headers(
    serve: Serve, method: str, path: str
) -> None:
    async with serve() as client:
        response = await client.request(method, path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_production_answers_with_strict_transport_security(serve: Serve) -> None:
    async with serve(production=True) as client:
        response = await client.get("/healthz")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_development_sends_no_strict_transport_security(serve: Serve) -> None:
    async with serve() as client:
        response = await client.get("/healthz")
    assert "strict-transport-security" not in response.headers


async def test_refusals_of_the_hygiene_carry_the_security_headers(serve: Serve) -> None:
    async with serve(max_body_bytes=10) as client:
        response = await client.post("/graphql", content=b"x" * 11)
    assert response.status_code == 413
    assert response.headers["x-frame-options"] == "DENY"


def _script_sources(policy: str) -> list[str]:
    directive = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    return directive.split()[1:]


async def test_the_policy_allows_scripts_of_our_own_origin_only(serve: Serve) -> None:
    async with serve(web_dist="/nonexistent") as client:
        response = await client.get("/")
    assert _script_sources(response.headers["content-security-policy"]) == ["'self'"]


async def test_cors_is_off_by_default(serve: Serve) -> None:
    async with serve() as client:
        preflight = await client.options(
            "/graphql",
            headers={"Origin": "https://a.example", "Access-Control-Request-Method": "POST"},
        )
        read = await client.get("/healthz", headers={"Origin": "https://a.example"})
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in read.headers


async def test_cors_allows_the_configured_origins(serve: Serve) -> None:
    async with serve(cors_origins=("https://a.example", "https://b.example")) as client:
        preflight = await client.options(
            "/graphql",
            headers={
                "Origin": "https://b.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        answer = await post(client, READ)
        read = await client.get("/healthz", headers={"Origin": "https://a.example"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://b.example"
    assert answer.status_code == 200
    assert read.headers["access-control-allow-origin"] == "https://a.example"


async def test_cors_refuses_other_origins(serve: Serve) -> None:
    async with serve(cors_origins=("https://a.example",)) as client:
        preflight = await client.options(
            "/graphql",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
