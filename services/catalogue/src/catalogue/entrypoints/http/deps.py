"""What the catalogue's routes are given: its parts, provided by `bootstrap.build_app` (parkgrid.http.access)."""

from __future__ import annotations

from typing import Annotated

from catalogue.adapters.offerings import Offerings
from catalogue.service_layer.handlers import Catalogue
from parkgrid.http.access import component
from parkgrid.known import KnownMembers

CatalogueHandlers = Annotated[Catalogue, component(Catalogue)]
OfferingStore = Annotated[Offerings, component(Offerings)]
Members = Annotated[KnownMembers, component(KnownMembers)]
