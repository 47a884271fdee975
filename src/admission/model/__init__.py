"""The policy language: pydantic models of units, bases, matters, lists, delegations,
admission records and assignments."""

from .base import Dated, StrictModel
from .entities import *  # noqa: F401,F403
from .enums import *  # noqa: F401,F403
from .policy import ID_SECTIONS, LANGUAGE_VERSION, Policy, PolicyFile

__all__ = ["Dated", "StrictModel", "Policy", "PolicyFile", "ID_SECTIONS", "LANGUAGE_VERSION"]
