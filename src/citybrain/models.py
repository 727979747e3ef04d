"""Imports every domain's tables so ``Base.metadata`` is complete (Alembic, tests)."""

from citybrain.brain import models as brain_models
from citybrain.citycode import models as citycode_models
from citybrain.core import models as core_models
from citybrain.core.db import Base
from citybrain.governance import models as governance_models
from citybrain.identity import models as identity_models
from citybrain.notifications import models as notifications_models
from citybrain.regions import models as regions_models
from citybrain.servicehub import models as servicehub_models

__all__ = [
    "Base",
    "brain_models",
    "citycode_models",
    "core_models",
    "governance_models",
    "identity_models",
    "notifications_models",
    "regions_models",
    "servicehub_models",
]
