"""EPCIS 2.0 query output (placeholder until the mapping lands)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/containers", tags=["containers"])
