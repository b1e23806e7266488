"""Screenshots of pages as the demo's personas, at a laptop's and a phone's size (docs/UI.md).

    rm -f /tmp/ui.sqlite3
    DATABASE_URL=sqlite:////tmp/ui.sqlite3 .venv/bin/python manage.py migrate -v0
    DATABASE_URL=sqlite:////tmp/ui.sqlite3 .venv/bin/python manage.py seed_demo
    DATABASE_URL=sqlite:////tmp/ui.sqlite3 .venv/bin/python manage.py runserver 127.0.0.1:8123
    .venv/bin/python tools/screenshots.py http://127.0.0.1:8123 --as hr head deputy2 \\
        --page / --page /orgs/institutions/ --out /tmp/shots

Writes <out>/<user>-<width>-<page>.png (full page) for every user × size × page and prints, per
shot, whether the page scrolls sideways (it must not: wide tables scroll inside their card) and
whether a menu label wraps. Uses the system Chromium (/usr/bin/chromium, or CHROMIUM_PATH) through
Playwright; the demo password is README.md's.
"""

import argparse
import os
import re
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-2026-jx")
SIZES = [(1366, 768), (390, 844)]  # a laptop, a phone
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"

# The checks, as functions (the pages' Content-Security-Policy forbids eval of strings).
SIDEWAYS = "() => document.scrollingElement.scrollWidth - window.innerWidth"
WRAPPED = """() => [...document.querySelectorAll('.app-menu-label')]
  .filter(e => e.getClientRects().length && e.getClientRects()[0].height > 24)
  .map(e => e.textContent.trim())"""


def slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def shoot(base: str, users: list[str], pages: list[str], out: Path, full_page: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for user in users:
            for width, height in SIZES:
                context = browser.new_context(
                    locale="zh-CN", viewport={"width": width, "height": height}
                )
                page = context.new_page()
                page.goto(f"{base}/login/")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", PASSWORD)
                page.click("[data-testid=login-submit]")
                page.wait_for_load_state("networkidle")
                for path in pages:
                    response = page.goto(f"{base}{path}")
                    page.wait_for_load_state("networkidle")
                    name = out / f"{user}-{width}-{slug(path)}.png"
                    page.screenshot(path=str(name), full_page=full_page)
                    sideways = page.evaluate(SIDEWAYS)
                    wrapped = page.evaluate(WRAPPED)
                    status = response.status if response else "?"
                    notes = []
                    if sideways > 0:
                        notes.append(f"SCROLLS SIDEWAYS by {sideways}px")
                    if wrapped:
                        notes.append(f"menu labels wrap: {wrapped}")
                    print(f"{name}  {status}  {'; '.join(notes) or 'ok'}")
                context.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the server, e.g. http://127.0.0.1:8123")
    parser.add_argument("--as", dest="users", nargs="+", default=["hr"], help="demo usernames")
    parser.add_argument("--page", dest="pages", action="append", help="a path (repeatable)")
    parser.add_argument("--out", default="shots", help="folder for the PNG files")
    parser.add_argument("--viewport-only", action="store_true", help="not the full page")
    args = parser.parse_args()
    shoot(
        args.base.rstrip("/"),
        args.users,
        args.pages or ["/"],
        Path(args.out),
        full_page=not args.viewport_only,
    )


if __name__ == "__main__":
    main()
