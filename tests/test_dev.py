"""`python3 dev.py run` serves the demo as production does: DEBUG off (Chinese error pages, no
debug page) and static files through WhiteNoise, unless DEBUG is set; ALLOWED_HOSTS takes the
address it serves. The setting logic only: no server is started."""

import importlib.util
from pathlib import Path

from .test_settings import show

ROOT = Path(__file__).resolve().parent.parent


def load_dev():
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_turns_debug_off_unless_it_is_set():
    dev = load_dev()
    assert dev.run_environment({}, "127.0.0.1:8000")["DEBUG"] == "0"
    assert dev.run_environment({"DEBUG": "1"}, "127.0.0.1:8000")["DEBUG"] == "1"
    assert dev.run_environment({"PATH": "/bin"}, "8000")["PATH"] == "/bin"


def test_run_allows_the_address_it_serves():
    dev = load_dev()
    hosts = dev.run_environment({}, "127.0.0.1:8000")["ALLOWED_HOSTS"].split(",")
    assert {"127.0.0.1", "localhost"} <= set(hosts)
    assert dev.run_environment({}, "8000")["ALLOWED_HOSTS"] == "127.0.0.1,localhost,[::1]"
    lan = dev.run_environment({}, "192.168.1.20:8000")["ALLOWED_HOSTS"].split(",")
    assert "192.168.1.20" in lan and "localhost" in lan
    assert dev.run_environment({}, "0.0.0.0:8000")["ALLOWED_HOSTS"] == "*"
    # An explicit setting wins.
    assert dev.run_environment({"ALLOWED_HOSTS": "jx.example"}, "0.0.0.0:80")["ALLOWED_HOSTS"] == (
        "jx.example"
    )


def test_debug_off_in_development_serves_static_files_through_whitenoise(tmp_path):
    expr = "(s.DEBUG, s.MIDDLEWARE[1], s.WHITENOISE_USE_FINDERS, s.ALLOWED_HOSTS)"
    debug, middleware, finders, hosts = eval(show(tmp_path, expr, DEBUG="0"))  # noqa: S307
    assert debug is False and middleware == "whitenoise.middleware.WhiteNoiseMiddleware"
    assert finders is True and "127.0.0.1" in hosts and "localhost" in hosts
    # With DEBUG on, runserver serves them, as before.
    debug, middleware, _f, _h = eval(show(tmp_path, expr, DEBUG="1"))  # noqa: S307
    assert debug is True and "whitenoise" not in middleware
