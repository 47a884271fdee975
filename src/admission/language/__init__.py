"""The policy language: pydantic models of units, bases, matters, lists, delegations,
admission records and assignments (`base`, `entities`, `enums`, `policy`), the flow language
(`flow`), its guard expressions (`expr`) and the facts they may read (`facts`), and the JSON
Schema for editors (`schema`).

May import: diagnostics only (the language is the bottom of the pipeline, beside store).
"""

from .base import Dated, StrictModel
from .entities import *  # noqa: F401,F403
from .enums import *  # noqa: F401,F403
from .policy import ID_SECTIONS, LANGUAGE_VERSION, Policy, PolicyFile

__all__ = ["Dated", "StrictModel", "Policy", "PolicyFile", "ID_SECTIONS", "LANGUAGE_VERSION"]
