"""Imports every domain's tables so ``Base.metadata`` is complete (Alembic, tests)."""

from citybrain.core import models as core_models
from citybrain.core.db import Base
from citybrain.identity import models as identity_models
from citybrain.notifications import models as notifications_models
from citybrain.regions import models as regions_models

__all__ = [
    "Base",
    "core_models",
    "identity_models",
    "notifications_models",
    "regions_models",
]
