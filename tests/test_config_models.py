"""The config file's `[models]` table: parsing, the commands' defaults, and the doctor."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer, Reply
from typer.testing import CliRunner

from prover.cli import app
from prover.config import ConfigError, ModelSettings, load_settings
from prover.graph.queries import load_graph
from prover.graph.store import Store
from prover.protocols import EdgeKind
from prover.strategies.registry import with_configured_models

# The stand-in closes this with `exact hp`, the fake model's only answer.
THEOREM = "theorem t (p : Prop) (hp : p) : p := by sorry"
runner = CliRunner()


@pytest.fixture(autouse=True)
def no_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(default=Reply(texts=("exact hp",))) as fake:
        yield fake


def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: dict[str, Any]) -> Path:
    lines = ["[models]", *(f"{key} = {json.dumps(value)}" for key, value in models.items())]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("LEANWB_CONFIG", str(path))
    return path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prove_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["prove", "--json", *args])
    assert "Traceback" not in result.output, result.output
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def tactic_generators(db: Path, attempt_id: int) -> set[str | None]:
    with Store(db) as store:
        graph = load_graph(store, attempt_id)
    return {
        e.generator
        for e in graph.edges.values()
        if e.kind is EdgeKind.TACTIC and e.action != "start"
    }


def recorded_config(db: Path, attempt_id: int) -> dict[str, Any]:
    with Store(db) as store:
        return load_graph(store, attempt_id).run.config


def test_the_models_table_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(
        tmp_path,
        monkeypatch,
        {
            "generator": "openai:deepseek-prover",
            "base_url": "http://127.0.0.1:8000/v1",
            "drafter": "openai:qwq",
            "sketcher": "openai:deepseek-v3",
        },
    )
    assert load_settings().models == ModelSettings(
        generator="openai:deepseek-prover",
        base_url="http://127.0.0.1:8000/v1",
        drafter="openai:qwq",
        sketcher="openai:deepseek-v3",
    )


def test_without_a_models_table_the_defaults_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[db]\npath = "x.sqlite"\n', encoding="utf-8")
    monkeypatch.setenv("LEANWB_CONFIG", str(path))
    models = load_settings().models
    assert (models.generator, models.base_url, models.drafter) == ("heuristic", None, None)


@pytest.mark.parametrize(
    ("models", "message"),
    [
        ({"generatr": "heuristic"}, "unknown key 'generatr'"),
        ({"api_key": "sk-1"}, "API keys are never read from the file"),
        ({"generator": 3}, "generator = 3 must be a non-empty string"),
        ({"base_url": ["http://127.0.0.1"]}, "base_url = ['http://127.0.0.1'] must be"),
    ],
)
def test_a_bad_models_table_is_refused_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: dict[str, Any], message: str
) -> None:
    write_config(tmp_path, monkeypatch, models)
    with pytest.raises(ConfigError, match="models") as raised:
        load_settings()
    assert message in str(raised.value)


def test_prove_refuses_a_bad_models_table_in_one_sentence(
    standin_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, monkeypatch, {"drafter": 1})
    result = runner.invoke(app, ["prove", THEOREM])
    assert result.exit_code == 2
    assert "drafter = 1 must be a non-empty string" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_prove_uses_the_configured_generator_and_records_it(
    standin_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeOpenAIServer
) -> None:
    write_config(tmp_path, monkeypatch, {"generator": "openai:fake", "base_url": server.base_url})
    code, out = prove_json(THEOREM, "--strategy", "bfs")
    assert (code, out["verdict"]) == (0, "proved")
    assert server.requests, "the configured model was never asked"
    assert tactic_generators(standin_env, out["attempt_id"]) == {"openai:fake"}
    config = recorded_config(standin_env, out["attempt_id"])
    assert (config["generator"], config["base_url"]) == ("openai:fake", server.base_url)


def test_an_explicit_generator_flag_overrides_the_config(
    standin_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeOpenAIServer
) -> None:
    write_config(tmp_path, monkeypatch, {"generator": "openai:fake", "base_url": server.base_url})
    code, out = prove_json(THEOREM, "--generator", "heuristic")
    assert (code, out["verdict"]) == (0, "proved")
    assert server.requests == []
    assert tactic_generators(standin_env, out["attempt_id"]) == {"heuristic"}
    assert recorded_config(standin_env, out["attempt_id"])["generator"] == "heuristic"


def test_a_configured_drafter_serves_sketch_only(
    standin_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeOpenAIServer
) -> None:
    write_config(tmp_path, monkeypatch, {"drafter": "openai:fake", "base_url": server.base_url})
    code, out = prove_json(THEOREM, "--strategy", "bfs")
    assert code == 0
    assert recorded_config(standin_env, out["attempt_id"])["drafter"] is None
    server.enqueue(Reply(texts=("1. It is hp.",)))  # the draft; then the sketch below
    server.enqueue(Reply(texts=("```lean4\nby\n  exact hp\n```",)))
    code, out = prove_json(THEOREM, "--strategy", "sketch", "--prover-generator", "heuristic")
    assert (code, out["verdict"]) == (0, "proved")
    config = recorded_config(standin_env, out["attempt_id"])
    assert (config["drafter"], config["sketcher"]) == ("openai:fake", None)
    assert len(server.requests) == 2


def test_repair_records_the_configured_generator(
    standin_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeOpenAIServer
) -> None:
    write_config(tmp_path, monkeypatch, {"generator": "openai:fake", "base_url": server.base_url})
    source = tmp_path / "broken.lean"
    source.write_text(THEOREM.replace("sorry", "exact hq"), encoding="utf-8")
    result = runner.invoke(app, ["repair", "--json", str(source)])
    assert "Traceback" not in result.output, result.output
    out = json.loads(result.stdout)
    config = recorded_config(standin_env, out["attempt_id"])
    assert (config["generator"], config["base_url"]) == ("openai:fake", server.base_url)
    flagged = runner.invoke(app, ["repair", "--json", str(source), "-g", "heuristic"])
    config = recorded_config(standin_env, json.loads(flagged.stdout)["attempt_id"])
    assert config["generator"] == "heuristic"


@pytest.mark.parametrize(
    ("strategy", "given", "expected"),
    [
        ("sketch", {}, {"drafter": "openai:d", "sketcher": "openai:s"}),
        ("sketch", {"drafter": "hf:mine"}, {"drafter": "hf:mine", "sketcher": "openai:s"}),
        (
            "auto",
            {"width": 4, "sketch": {"drafts": 2}},
            {
                "width": 4,
                "sketch": {"drafts": 2, "drafter": "openai:d", "sketcher": "openai:s"},
            },
        ),
        ("bfs", {"width": 4}, {"width": 4}),
    ],
)
def test_eval_fills_in_the_configured_drafting_models(
    strategy: str, given: dict[str, Any], expected: dict[str, Any]
) -> None:
    models = ModelSettings(drafter="openai:d", sketcher="openai:s")
    assert with_configured_models(strategy, given, models) == expected


def test_eval_records_the_configured_models(
    standin_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeOpenAIServer
) -> None:
    write_config(
        tmp_path,
        monkeypatch,
        {"generator": "openai:fake", "drafter": "openai:fake", "base_url": server.base_url},
    )
    problems = tmp_path / "set.jsonl"
    row = {"name": "t", "split": "test", "header": "", "formal_statement": THEOREM}
    problems.write_text(json.dumps(row) + "\n", encoding="utf-8")
    result = runner.invoke(
        app, ["eval", "--from-file", str(problems), "--budget", "wall=5,tactic_timeout=5"]
    )
    assert result.exit_code == 0, result.output
    with Store(standin_env) as store:
        run = max(store.runs(), key=lambda r: r.id)
    assert (run.config["generator"], run.config["base_url"]) == ("openai:fake", server.base_url)
    sketch = {"drafter": "openai:fake"}  # made with the run's base URL, recorded once
    sample = {"model": "openai:fake"}  # a generator model writes whole proofs in auto
    assert run.config["strategy_options"] == {"sketch": sketch, "sample": sample}
    assert "--generator openai:fake" in run.command
    assert f"--base-url {server.base_url}" in run.command
    assert f"sketch={json.dumps(sketch)}" in run.command
    assert f"sample={json.dumps(sample)}" in run.command


@pytest.mark.parametrize(
    ("strategy", "generator", "given", "expected"),
    [
        ("sample", "openai:g", {"samples": 4}, {"samples": 4, "model": "openai:g"}),
        ("sample", "openai:g", {"model": "hf:mine"}, {"model": "hf:mine"}),
        ("sample", "heuristic", {"samples": 4}, {"samples": 4}),
        ("auto", "hf:g", {"width": 4}, {"width": 4, "sample": {"model": "hf:g"}}),
        ("auto", "heuristic", {"width": 4}, {"width": 4}),
        ("bfs", "openai:g", {"width": 4}, {"width": 4}),
    ],
)
def test_a_generator_model_writes_whole_proofs_for_sample_and_auto(
    strategy: str, generator: str, given: dict[str, Any], expected: dict[str, Any]
) -> None:
    models = ModelSettings(generator=generator)
    assert with_configured_models(strategy, given, models) == expected


def doctor_models(*args: str) -> tuple[bool, dict[str, Any]]:
    result = runner.invoke(app, ["doctor", "--json", *args])
    assert "Traceback" not in result.output, result.output
    report = json.loads(result.stdout)
    assert result.exit_code == (0 if report["ready"] else 1)
    return report["ready"], {c["name"]: c for c in report["checks"]}["models"]


def test_doctor_shows_a_configured_model_that_answers(
    standin_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeOpenAIServer
) -> None:
    write_config(tmp_path, monkeypatch, {"generator": "openai:fake", "base_url": server.base_url})
    ready, models = doctor_models()
    assert ready is True
    assert models["ok"] is True
    assert "generator openai:fake" in models["detail"]
    assert f"{server.base_url}/models answered" in models["detail"]
    assert [r.path for r in server.requests] == ["/v1/models"]


def test_doctor_says_a_model_the_server_does_not_serve(
    standin_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeOpenAIServer
) -> None:
    write_config(tmp_path, monkeypatch, {"generator": "openai:other", "base_url": server.base_url})
    ready, models = doctor_models()
    assert (ready, models["ok"], models["required"]) == (False, False, True)
    assert "does not serve 'other' (it serves fake)" in models["detail"]


def test_an_unreachable_default_generator_blocks_ready(
    standin_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    write_config(tmp_path, monkeypatch, {"generator": "openai:fake", "base_url": url})
    ready, models = doctor_models()
    assert (ready, models["ok"], models["required"]) == (False, False, True)
    assert f"{url}/models did not answer" in models["detail"]
    assert url in models["fix"]


def test_an_unreachable_drafter_is_reported_but_does_not_block_ready(
    standin_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    write_config(tmp_path, monkeypatch, {"drafter": "openai:qwq", "base_url": url})
    ready, models = doctor_models()
    assert (ready, models["ok"], models["required"]) == (True, False, False)
    assert "generator heuristic" in models["detail"]
    assert "drafter openai:qwq" in models["detail"] and "did not answer" in models["detail"]


def test_doctor_without_a_base_url_says_so(
    standin_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, monkeypatch, {"generator": "openai:fake"})
    ready, models = doctor_models()
    assert (ready, models["ok"]) == (False, False)
    assert "no base URL" in models["detail"] and "base_url" in models["fix"]
