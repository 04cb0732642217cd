"""Run by the kimina-client environment (Python >= 3.12), not by pytest: check snippets
through `KiminaClient` and print what came back as JSON.

Usage: python kimina_check.py [--async] URL SNIPPETS_JSON [API_KEY]; SNIPPETS_JSON is a
list of {"id", "code"}. Prints {"statuses": {id: status}, "results": [...]} or, when the
client raises, {"exception": "..."}. With --async, `AsyncKiminaClient` checks them (the
client's own choice for throughput: one connection pool for all its batches).

    python kimina_check.py --verify URL CODES_JSON

posts CODES_JSON ({"codes": [...]}) to /verify with httpx and validates the answer with
the client's own `VerifyResponse` model; prints the validated results.
"""

import asyncio
import json
import sys

from kimina_client import AsyncKiminaClient, CheckResponse, KiminaClient, Snippet


def verify(url: str, body: str) -> None:
    import httpx
    from kimina_client import VerifyResponse

    answer = httpx.post(f"{url}/verify", json=json.loads(body), timeout=120)
    answer.raise_for_status()
    print(json.dumps(VerifyResponse.model_validate(answer.json()).model_dump()["results"]))


async def check_async(url: str, snippets: list[Snippet], api_key: str | None) -> CheckResponse:
    client = AsyncKiminaClient(api_url=url, api_key=api_key, n_retries=1)
    return await client.check(snippets, show_progress=False)


def main() -> None:
    if sys.argv[1] == "--verify":
        verify(sys.argv[2], sys.argv[3])
        return
    use_async = sys.argv[1] == "--async"
    url, snippets_json, *rest = sys.argv[2:] if use_async else sys.argv[1:]
    api_key = rest[0] if rest else None
    client = KiminaClient(api_url=url, api_key=api_key, n_retries=1)
    snippets = [Snippet(**s) for s in json.loads(snippets_json)]
    try:
        if use_async:
            response = asyncio.run(check_async(url, snippets, api_key))
        else:
            response = client.check(snippets, show_progress=False)
    except Exception as exc:
        print(json.dumps({"exception": f"{type(exc).__name__}: {exc}"}))
        return
    print(
        json.dumps(
            {
                "statuses": {r.id: r.analyze().status.value for r in response.results},
                "results": [r.model_dump(exclude_none=True) for r in response.results],
                "health": client.health(),
            }
        )
    )


if __name__ == "__main__":
    main()
