"""Copy the few Tabler icons the console uses from the npm package into static/vendor/tabler-icons/.

The whole @tabler/icons package is thousands of files (and its webfont several MB); the pages use a
few dozen, rendered inline by `{% icon "name" %}` (orgs/templatetags/ui.py). To add one:

    cd /tmp && npm pack @tabler/icons@3.52.0 && tar xzf tabler-icons-3.52.0.tgz
    .venv/bin/python tools/tabler_icons.py /tmp/package NAME [NAME …]

With no NAME it refreshes every icon already vendored plus those named in orgs/navigation.py.
Names are those of https://tabler.io/icons (outline set). The class attribute is dropped: the tag
sets its own.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "static" / "vendor" / "tabler-icons"
NAV = ROOT / "orgs" / "navigation.py"


def wanted(names: list[str]) -> set[str]:
    if names:
        return set(names)
    vendored = {p.stem for p in TARGET.glob("*.svg")}
    return vendored | set(re.findall(r'icon="([a-z0-9-]+)"', NAV.read_text()))


def main(package: str, names: list[str]) -> None:
    outline = Path(package) / "icons" / "outline"
    if not outline.is_dir():
        sys.exit(f"{outline} is not the outline folder of an unpacked @tabler/icons package")
    TARGET.mkdir(parents=True, exist_ok=True)
    for name in sorted(wanted(names)):
        source = outline / f"{name}.svg"
        if not source.exists():
            sys.exit(f"no icon named {name!r} in {outline}")
        svg = re.sub(r'\s*class="[^"]*"', "", source.read_text())
        svg = re.sub(r"\s*\n\s*", " ", svg).replace("> <", "><").strip()
        (TARGET / f"{name}.svg").write_text(svg + "\n")
        print(name)
    (TARGET / "LICENSE").write_text((Path(package) / "LICENSE").read_text())


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
