# Quix Streams for bench_kafka's peer leg (c), in its own interpreter under $(CACHE): quixstreams
# pins confluent-kafka<2.13 while cargotrail's Kafka runtime needs >=2.16, so the two cannot share
# .venv. The interpreter gets cargotrail's dependencies (from pyproject.toml) and quixstreams, not
# cargotrail itself: the bench runs the leg with this checkout on PYTHONPATH, so it never goes stale.
QUIX_VERSION := 3.28.1
QUIX_VENV    := $(CACHE)/quix-venv
QUIX_STAMP   := $(QUIX_VENV)/.installed-$(QUIX_VERSION)-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
export CARGOTRAIL_QUIX_PYTHON ?= $(QUIX_VENV)/bin/python

.PHONY: quix-venv
quix-venv: $(QUIX_STAMP)

$(QUIX_STAMP): pyproject.toml deploy/quix.mk
	@echo "==> Quix Streams $(QUIX_VERSION) in $(QUIX_VENV) (bench_kafka's peer leg)"
	@test -x $(QUIX_VENV)/bin/python || $(PYTHON) -m venv $(QUIX_VENV)
	$(QUIX_VENV)/bin/python -m pip install -q --upgrade pip
	$(QUIX_VENV)/bin/python -m pip install -q . "quixstreams==$(QUIX_VERSION)"
	$(QUIX_VENV)/bin/python -m pip uninstall -q -y cargotrail
	@rm -f $(QUIX_VENV)/.installed-*
	@touch $@
