"""``core`` is a UI-free NumPy library: importing it must not pull in Streamlit or Plotly."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_importing_core_loads_no_ui_library():
    code = "import json, sys, core; print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert "numpy" in loaded  # the check itself works: core does load NumPy
    assert not loaded & {"streamlit", "plotly", "pandas"}, loaded & {"streamlit", "plotly", "pandas"}


def test_core_sources_name_no_ui_library():
    for path in (ROOT / "core").glob("*.py"):
        text = path.read_text()
        for name in ("streamlit", "plotly"):
            assert f"import {name}" not in text and f"from {name}" not in text, path
