"""Helpers of the report tests: read what a report embeds (figures, drill-down data, typed arrays)."""

from __future__ import annotations

import base64
import html as html_lib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np


def decode(value) -> np.ndarray:
    """A plotly JSON array as float ndarray: plain lists (None -> NaN) or typed arrays ``{dtype, bdata, shape}``."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if isinstance(shape, str):
            shape = [int(n) for n in shape.split(",")]
        return array.reshape(shape).astype(float) if shape else array.astype(float)
    return np.array(value, dtype=float)


@dataclass
class BuiltReport:
    run_dir: Path
    html: str
    warnings: list[str]

    def figure(self, name: str) -> dict:
        """The plotly figure ``name`` as embedded in the report."""
        match = re.search(rf'<script type="application/json" id="figure-{name}">(.*?)</script>', self.html, re.S)
        assert match, f"figure {name} not embedded"
        return json.loads(match[1])

    def drilldown(self) -> dict:
        match = re.search(r'<script type="application/json" id="drill-data">(.*?)</script>', self.html, re.S)
        assert match
        return json.loads(match[1])

    @property
    def text(self) -> str:
        """The HTML with entities decoded (so findings with quotes can be searched)."""
        return html_lib.unescape(self.html)
