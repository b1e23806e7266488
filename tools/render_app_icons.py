"""Render the PNG app icons from static/img/icon.svg with the system Chromium (Playwright):

    .venv/bin/python tools/render_app_icons.py

icon-32.png is the favicon for browsers without SVG favicons; apple-touch-icon.png (180 px, square
corners: iOS rounds them itself) the icon a phone keeps on its home screen. Both are linked from
templates/skeleton.html.
"""

import os
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

IMG = Path(__file__).resolve().parents[1] / "static" / "img"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ICONS = [(32, "icon-32.png"), (180, "apple-touch-icon.png")]


def main() -> None:
    source = (IMG / "icon.svg").read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for size, name in ICONS:
            svg = source.replace('rx="14"', 'rx="0"') if name.startswith("apple") else source
            svg = svg.replace("<svg ", f'<svg width="{size}" height="{size}" ', 1)
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(f'<body style="margin:0;background:transparent">{svg}</body>')
            page.screenshot(path=str(IMG / name), omit_background=True)
            page.close()
            print(IMG / name)
        browser.close()


if __name__ == "__main__":
    main()
