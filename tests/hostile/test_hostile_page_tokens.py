"""Page tokens are user text: forged ones are refused with a 400 that says to
pass the previous answer's token unchanged, never a 500 or a store error."""

from __future__ import annotations

import base64
import json

from hostile_seed import Seeded


def token(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def forged_tokens() -> list[str]:
    return [
        "not base64!",
        "\u00e9",
        token([1, 2]),
        token("text"),
        token({"offset": "many", "search": "x"}),
        # json.dumps writes these as Infinity and NaN, which json.loads reads.
        token({"offset": float("inf"), "search": "x"}),
        token({"offset": float("nan"), "search": "x"}),
        token({"offset": 10**30, "search": "x"}),
        token({"offset": -1, "search": "x"}),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ]


def test_forged_page_tokens_are_a_400(seeded: Seeded) -> None:
    for forged in forged_tokens():
        check_refused(seeded, forged)


def check_refused(seeded: Seeded, forged: str) -> None:
    ids = list(seeded.experiment_ids)
    answers = [
        seeded.client.post(
            "/api/v1/runs/search", json={"experiment_ids": ids, "page_token": forged}
        ),
        seeded.client.post(
            "/api/2.0/mlflow/runs/search",
            json={"experiment_ids": ids, "page_token": forged},
        ),
        seeded.client.get(
            f"/api/v1/runs/{seeded.run_ids[0]}/history",
            params={"key": "loss", "page_token": forged},
        ),
        seeded.client.get(
            "/api/2.0/mlflow/registered-models/search", params={"page_token": forged}
        ),
    ]
    for response in answers:
        assert response.status_code == 400, (response.request.url, response.text)
        text = response.text
        assert "page_token" in text or "page token" in text, text


def test_token_with_a_forged_offset_is_a_400(seeded: Seeded) -> None:
    """The search fingerprint is no secret: a token for the right search with an
    offset of Infinity was a 500 (OverflowError), and one of 2**64 wrapped round
    in ClickHouse's UInt64 to the first page."""
    search = {"experiment_ids": list(seeded.experiment_ids), "max_results": 1}
    first = seeded.client.post("/api/v1/runs/search", json=search).json()
    real = json.loads(base64.urlsafe_b64decode(first["next_page_token"]))

    for offset in (float("inf"), float("nan"), 1.5, 2**64, 10**30, -1, True, "1"):
        forged = token({**real, "offset": offset})
        response = seeded.client.post(
            "/api/v1/runs/search", json={**search, "page_token": forged}
        )
        assert response.status_code == 400, (offset, response.text)
        assert "not one this API issued" in response.json()["detail"]


def test_registry_token_with_a_negative_offset_is_a_400(seeded: Seeded) -> None:
    """A negative offset sliced the model list from its end."""
    forged = base64.urlsafe_b64encode(b"-1").decode()

    response = seeded.client.get(
        "/api/2.0/mlflow/registered-models/search", params={"page_token": forged}
    )

    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
