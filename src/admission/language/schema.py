"""The JSON Schema of the policy language, for editors (VS Code's YAML extension) and CI."""

from __future__ import annotations

from . import LANGUAGE_VERSION, PolicyFile

SCHEMA_ID = f"https://admission.invalid/schema/policy-v{LANGUAGE_VERSION}.json"


def policy_schema() -> dict:
    schema = PolicyFile.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "admission 策略文件 (policy file)",
        **{k: v for k, v in schema.items() if k != "title"},
    }
