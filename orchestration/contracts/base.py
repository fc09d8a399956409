"""What every contract model shares."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """A message or file shape: fields are serialized under their wire names (aliases)."""

    model_config = ConfigDict(
        serialize_by_alias=True,
        validate_by_name=True,
        validate_by_alias=True,
        # The schemas describe what is sent: every field is present on the wire.
        json_schema_serialization_defaults_required=True,
    )
