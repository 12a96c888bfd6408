"""The bare baseline: FastAPI, one pydantic body, one insert with the kit's store client.

No auth, no idempotency, no middleware, no outbox: what any Python service doing one write
per request costs on this machine. Served by uvicorn exactly like the services
(`uvicorn bench.bare_app:app`), configured by `MONGODB_URI` and `BENCH_DATABASE`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field

from parkgrid.store import Collection, connect


class ItemIn(BaseModel):
    """About the size and shape of a booking request."""

    offering_id: str = Field(max_length=100)
    member_id: str = Field(max_length=100)
    person_id: str | None = Field(None, max_length=100)
    starts_at: datetime
    party_size: int = Field(ge=1, le=100)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    client = connect(os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27017/"), app_name="bench-bare")
    app.state.items = client[os.environ.get("BENCH_DATABASE", "bench_bare")]["items"]
    try:
        yield
    finally:
        await client.close()


app = FastAPI(title="bench bare baseline", lifespan=lifespan)


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ready"}


@app.post("/v1/items", status_code=201)
async def create_item(body: ItemIn, request: Request) -> dict[str, Any]:
    items: Collection = request.app.state.items
    doc = {"_id": str(uuid.uuid4()), **body.model_dump(), "created_at": datetime.now(UTC)}
    await items.insert_one(doc)
    return {"id": doc["_id"], **body.model_dump(mode="json")}
