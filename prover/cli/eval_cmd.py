"""Placeholder: this command group is being written in this session."""

import typer


def register(app: typer.Typer) -> None:
    del app
