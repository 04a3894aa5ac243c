"""A deployment's bootstrap token: accepted once, idempotent, rotated when the secret changes."""

from __future__ import annotations

import pytest

from cargotrail.errors import ConfigError
from services.api import Role, TokenStore

SECRET = "k" * 40


def test_a_bootstrap_token_is_accepted_once_and_kept(tmp_path):
    tokens = TokenStore.for_data_dir(tmp_path)
    first = tokens.ensure(SECRET, Role.OPERATOR, "control room")
    again = tokens.ensure(SECRET, Role.OPERATOR, "control room")
    assert first == again and len(tokens.entries()) == 1
    found = tokens.authenticate(SECRET)
    assert found is not None and found.role is Role.OPERATOR and found.name == "control room"
    assert SECRET not in (tmp_path / "api_tokens.json").read_text()  # only its hash is kept


def test_a_new_secret_replaces_the_old_one_and_leaves_other_tokens(tmp_path):
    tokens = TokenStore.for_data_dir(tmp_path)
    _, created = tokens.create(Role.AUDITOR, "customs")
    tokens.ensure(SECRET, Role.OPERATOR, "control room")
    tokens.ensure("n" * 40, Role.OPERATOR, "control room")
    assert tokens.authenticate(SECRET) is None
    assert tokens.authenticate("n" * 40) is not None and tokens.authenticate(created) is not None


@pytest.mark.parametrize("bad", ["short", "x" * 20 + " " + "y" * 20])
def test_a_weak_bootstrap_token_is_refused(tmp_path, bad):
    with pytest.raises(ConfigError, match="at least 32 characters"):
        TokenStore.for_data_dir(tmp_path).ensure(bad, Role.OPERATOR, "control room")
