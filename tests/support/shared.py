"""Inputs given to the project (recorded Polygon responses, the API spec, issuer files).

Kept in the repository, so a clone anywhere can run the tests.
"""

from pathlib import Path

SHARED_DIR = Path(__file__).resolve().parents[1] / "data" / "shared"
MOCKS_DIR = SHARED_DIR / "polygon_mocks"
OPENAPI_SPEC = SHARED_DIR / "polygon_openapi.json"
HOLDINGS_REAL = SHARED_DIR / "holdings_real"
