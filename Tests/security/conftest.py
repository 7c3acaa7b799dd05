"""Shared fixtures for the security, load and crash-safety suite (issue 8).

Everything from Tests/e2e/conftest.py (Server, start_demo, WebClient, totp, open_db, run_custos, the
custos_bin fixture, …) is available here too, and Tests/e2e is on the import path (for SearchFlow and
the browser fixtures of test_search_browser). Every test keeps its traffic on 127.0.0.1 and bounds
itself in count and time.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

E2E = Path(__file__).resolve().parent.parent / "e2e"
if str(E2E) not in sys.path:
    sys.path.append(str(E2E))

_spec = importlib.util.spec_from_file_location("custos_e2e_conftest", E2E / "conftest.py")
_e2e = importlib.util.module_from_spec(_spec)
sys.modules["custos_e2e_conftest"] = _e2e
_spec.loader.exec_module(_e2e)
globals().update({k: v for k, v in vars(_e2e).items() if not k.startswith("__")})
