"""A real seeded run (small fleet, a few days) served by the API, with one token per role."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cargotrail.cli.run import RunRequest, run_simulation
from cargotrail.settings import Settings
from services.api import Role, TokenStore, create_app
from store.base import Repository


@dataclass
class Served:
    settings: Settings
    client: TestClient
    store: Repository
    tokens: dict[Role, str]

    def auth(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def get(self, path: str, role: Role = Role.OPERATOR, **params: object):
        return self.client.get(path, headers=self.auth(role), params=params)


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory):
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("api-run")))
    request = RunRequest(containers=20, duration_s=4 * 86400, seed=3, anomalies_per_kind=1)
    run_simulation(settings, request, progress=False)
    tokens = TokenStore.for_data_dir(settings.data_dir)
    issued = {role: tokens.create(role, f"{role.value}-alice")[1] for role in Role}
    app = create_app(settings)
    with TestClient(app) as client:
        yield Served(settings, client, app.state.ctx.store, issued)
    app.state.ctx.store.close()
