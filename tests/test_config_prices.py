"""The config file's `[prices]` table (USD per million tokens, per model spec)."""

from __future__ import annotations

from pathlib import Path

import pytest

from prover.config import ConfigError, Price, Settings, load_settings


def settings_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("LEANWB_CONFIG", str(path))
    return load_settings()


def test_prices_are_read_per_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_with(
        tmp_path,
        monkeypatch,
        '[prices."openai:deepseek-prover"]\ninput = 0.27\noutput = 1.1\n'
        '[prices."openai:qwq"]\ninput = 1\noutput = 3\n',
    )
    assert settings.prices == {
        "openai:deepseek-prover": Price(0.27, 1.1),
        "openai:qwq": Price(1.0, 3.0),
    }


def test_no_table_means_no_prices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings_with(tmp_path, monkeypatch, "[db]\npath = 'x.sqlite'\n").prices == {}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[prices]\nx = 1\n", "must have exactly `input` and `output`"),
        ('[prices."openai:m"]\ninput = 1\n', "must have exactly `input` and `output`"),
        ('[prices."openai:m"]\ninput = -1\noutput = 2\n', "input = -1 must be a number ≥ 0"),
        ('[prices."openai:m"]\ninput = "cheap"\noutput = 2\n', "must be a number"),
        ("prices = 3\n", "[prices] must be a table of models"),
    ],
)
def test_bad_prices_are_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_with(tmp_path, monkeypatch, text)
    assert says in str(caught.value)
