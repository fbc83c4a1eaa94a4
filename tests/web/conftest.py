"""One headless Chromium for every browser test of the page (starting one costs a second)."""

from __future__ import annotations

import pytest

from tests.support import needs
from tests.support.browser import missing, start_browser, stop_browser


@pytest.fixture(scope="session")
def browser():
    reason = missing()
    if reason:
        needs.missing(f"the browser tests need Chromium: {reason}")
    driver = start_browser()
    yield driver
    stop_browser(driver)


@pytest.fixture
def page(browser):
    """The shared browser on a blank page, its storage and console from earlier tests cleared."""
    browser.set_window_size(1024, 768)
    yield browser
    try:
        browser.execute_script("try { localStorage.clear(); } catch (e) {}")
    except Exception:
        pass
    browser.get("about:blank")
    browser.get_log("browser")
