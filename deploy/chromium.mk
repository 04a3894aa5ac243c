# Chromium (Debian's package) for the dashboard's browser tests (tests/dashboards/test_browser.py).
# `make browser-up` installs /usr/bin/chromium if it is missing (non-interactive, idempotent);
# Playwright drives it through `executable_path` and never downloads a browser.
.PHONY: browser-up browser-down

browser-up:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "==> apt-get install chromium (browser tests)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	else echo "==> /usr/bin/chromium missing: install Debian's chromium package (as root)"; exit 1; fi

browser-down:
	@true

TEST_SERVICES += browser-up
TEST_SERVICES_DOWN += browser-down
