# Leaflet and Leaflet.draw for the Zones page's drawing map, so that drawing a zone needs no internet
# (a control room's isolated network cannot reach a CDN). `make install` fetches the npm packages once
# into $(CACHE)/npm (never into the repo) and copies their dist/ into the venv, where the dashboard
# serves them itself (dashboards/web_assets.py). Idempotent: nothing is fetched or copied twice.
# Leaflet is BSD-2-Clause (its LICENSE is copied); Leaflet.draw is MIT (its package.json says so).
WEB_PACKAGES := leaflet@1.9.4 leaflet-draw@1.0.4
WEB_NPM      := $(CACHE)/npm
WEB_DIR      := $(VENV)/share/cargotrail/web
WEB_STAMP    := $(WEB_DIR)/.installed-$(shell echo $(WEB_PACKAGES) | sha1sum | cut -c1-12)

.PHONY: web-assets
install: $(WEB_STAMP)
web-assets: $(WEB_STAMP)

$(WEB_STAMP): $(STAMP) deploy/web.mk
	@mkdir -p $(WEB_NPM)
	@for spec in $(WEB_PACKAGES); do \
	  name=$${spec%@*}; tgz=$(WEB_NPM)/$$name-$${spec##*@}.tgz; \
	  if [ ! -s $$tgz ]; then \
	    if ! command -v npm >/dev/null; then \
	      echo "==> npm is missing: install Node.js's npm (apt-get install npm); it fetches $$spec" \
	        "(the Zones page's drawing map) into $(WEB_NPM) once"; exit 1; fi; \
	    echo "==> npm pack $$spec into $(WEB_NPM)"; \
	    (cd $(WEB_NPM) && npm pack --silent --fetch-timeout=60000 $$spec >/dev/null) || exit 1; \
	  fi; \
	done
	@echo "==> copying Leaflet and Leaflet.draw into $(WEB_DIR)"
	@rm -rf $(WEB_DIR) && mkdir -p $(WEB_DIR)
	@for spec in $(WEB_PACKAGES); do \
	  name=$${spec%@*}; tgz=$(WEB_NPM)/$$name-$${spec##*@}.tgz; mkdir -p $(WEB_DIR)/$$name; \
	  tar -xzf $$tgz -C $(WEB_DIR)/$$name --strip-components=1 --wildcards 'package/dist/*' package/package.json \
	    || exit 1; \
	  tar -xzf $$tgz -C $(WEB_DIR)/$$name --strip-components=1 package/LICENSE 2>/dev/null || true; \
	done
	@touch $@
