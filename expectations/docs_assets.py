"""Make the GX Data Docs site work offline.

GX's page templates load jQuery, Bootstrap, bootstrap-table, Vega and fonts
from public CDNs, so without internet the tables never render. This fetches
the same library versions once from the npm registry (`npm pack`, cached
under `.tickstock/docs_assets/`), puts the files GX uses under the site's
`static/vendor/`, and points every page at them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

from kernel.settings import STATE_DIR

CACHE_DIR = STATE_DIR / "docs_assets"
VENDOR = Path("static") / "vendor"
LOGO = "gx-logo.svg"

# npm package spec → folders of the package the pages need (kept whole, so
# stylesheets find their fonts and images by relative paths).
PACKAGES: dict[str, tuple[str, ...]] = {
    "jquery@3.7.1": ("dist",),
    "popper.js@1.12.9": ("dist/umd",),
    "bootstrap@4.3.1": ("dist",),
    "bootstrap-table@1.19.1": ("dist",),
    "bootstrap-datepicker@1.9.0": ("dist",),
    "@fortawesome/fontawesome-free@6.6.0": ("css", "webfonts"),
    "@forevolve/bootstrap-dark@1.1.0": ("dist/css",),
    "vega@5.33.1": ("build",),
    "vega-lite@5.23.0": ("build",),
    "vega-embed@6.29.0": ("build",),
}

# CDN address (without query) → (package spec, file inside the package).
CDN_FILES: dict[str, tuple[str, str]] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": ("jquery@3.7.1", "dist/jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js@1.12.9",
        "dist/umd/popper.min.js",
    ),
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap@4.3.1",
        "dist/css/bootstrap.min.css",
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap@4.3.1",
        "dist/js/bootstrap.min.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "@fortawesome/fontawesome-free@6.6.0",
        "css/all.min.css",
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": (
        "@forevolve/bootstrap-dark@1.1.0",
        "dist/css/bootstrap-prefers-dark.css",
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": ("vega@5.33.1", "build/vega.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-lite@5": ("vega-lite@5.23.0", "build/vega-lite.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-embed@6": ("vega-embed@6.29.0", "build/vega-embed.min.js"),
}
# Versioned families GX refers to file by file (two bootstrap-table versions
# appear; 1.19.1 ships every file both ask for).
CDN_PREFIXES: dict[str, str] = {
    "https://unpkg.com/bootstrap-table@1.19.1/": "bootstrap-table@1.19.1",
    "https://unpkg.com/bootstrap-table@1.19.0/": "bootstrap-table@1.19.1",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/": (
        "bootstrap-datepicker@1.9.0"
    ),
}
LOGO_URL = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png"
DARK_LOGO_URL = (
    "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png"
)
FAVICON = re.compile(r'href="(?:\.\./)*static/images/favicon\.ico"')
ASSET_URL = re.compile(r'(?P<attr>src|href)="(?P<url>https://[^"]+)"')
SRI_ATTRIBUTES = re.compile(r'\s(?:integrity|crossorigin)="[^"]*"')
LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="180" height="30">'
    '<text x="0" y="21" font-family="sans-serif" font-size="16" fill="#ff6310">'
    "Great Expectations</text></svg>\n"
)


def _folder(spec: str) -> str:
    """`@scope/name@1.2.3` → `scope-name-1.2.3` (one folder per package version)."""
    return spec.lstrip("@").replace("/", "-").replace("@", "-")


def _tarball(spec: str) -> Path:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    name = subprocess.run(
        ["npm", "pack", "--silent", "--pack-destination", str(CACHE_DIR), spec],
        check=True,
        capture_output=True,
        text=True,
        cwd=CACHE_DIR,
    ).stdout.split()[-1]
    return CACHE_DIR / name


def install_assets(site: Path) -> None:
    """Unpack the libraries the pages use into `site/static/vendor/` (once)."""
    vendor = site / VENDOR
    for spec, folders in PACKAGES.items():
        target = vendor / _folder(spec)
        if target.exists():
            continue
        staging = vendor / f".{_folder(spec)}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        with tarfile.open(_tarball(spec)) as archive:
            wanted = [
                member
                for member in archive.getmembers()
                if any(member.name.startswith(f"package/{folder}/") for folder in folders)
            ]
            archive.extractall(staging, members=wanted, filter="data")
        (staging / "package").rename(target)  # complete, or not there at all
        staging.rmdir()
    (vendor / LOGO).write_text(LOGO_SVG)


def _local(url: str) -> str | None:
    """Site-relative path of the local copy of a CDN asset, or None."""
    bare = url.split("?")[0]
    if bare == LOGO_URL:
        return (VENDOR / LOGO).as_posix()
    if bare in CDN_FILES:
        spec, path = CDN_FILES[bare]
        return (VENDOR / _folder(spec) / path).as_posix()
    for prefix, spec in CDN_PREFIXES.items():
        if bare.startswith(prefix):
            path = bare.removeprefix(prefix)
            # cdnjs keeps dist/ out of its paths
            path = path if path.startswith("dist/") else f"dist/{path}"
            return (VENDOR / _folder(spec) / path).as_posix()
    return None


def localize_pages(site: Path) -> int:
    """Point every page still loading CDN assets at the local copies; count pages."""
    changed = 0
    for page in site.rglob("*.html"):
        text = page.read_text()
        if LOGO_URL not in text:
            continue  # already local
        depth = os.path.relpath(site, page.parent)

        def local(match: re.Match, depth: str = depth) -> str:
            path = _local(match["url"])
            if path is None:
                return match[0]
            return f'{match["attr"]}="{Path(depth, path).as_posix()}"'

        # Subresource-integrity and CORS attributes are for the CDN: on a
        # file:// page, `crossorigin` makes the browser refuse the local file.
        text = SRI_ATTRIBUTES.sub("", ASSET_URL.sub(local, text))
        # GX links the favicon one folder too shallow on deep validation pages.
        text = FAVICON.sub(f'href="{Path(depth, "static/images/favicon.ico").as_posix()}"', text)
        text = text.replace(DARK_LOGO_URL, Path(depth, VENDOR, LOGO).as_posix())
        page.write_text(text)
        changed += 1
    return changed


def make_offline(site: Path) -> bool:
    """Install the assets and rewrite the pages; False when npm could not fetch them."""
    try:
        install_assets(site)
    except (OSError, subprocess.CalledProcessError) as failure:
        print(f"GX Data Docs keep their CDN links (assets not fetched: {failure})")
        return False
    localize_pages(site)
    return True
