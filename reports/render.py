"""Rendering: one Jinja2 environment with autoescaping, templates shipped in the package."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from benchmark.ground.store import atomic_write_bytes


@functools.cache
def environment() -> Environment:
    """The report's Jinja2 environment (autoescaping on: every value is shown as text)."""
    return Environment(loader=PackageLoader("reports", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render(template: str, context: dict) -> str:
    """Render a template of ``reports/templates`` with ``context``."""
    return environment().get_template(template).render(**context)


def write_html(path: str | os.PathLike, html: str) -> Path:
    """Write a page atomically."""
    path = Path(path)
    atomic_write_bytes(path, html.encode("utf-8"))
    return path
