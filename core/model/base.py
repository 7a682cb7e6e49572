"""Base class and field types shared by every Argo CD resource model.

Every model:

* is strict (``limit: "5"`` is an error, as the Kubernetes API server would say),
* uses Argo CD's camelCase JSON names as aliases (Python attributes are snake_case),
* keeps unknown fields (``extra="allow"``) so a document survives a round trip unchanged.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError


class KModel(BaseModel):
    """A Kubernetes-style object: camelCase aliases, strict types, unknown fields kept."""

    model_config = ConfigDict(
        extra="allow",
        strict=True,
        populate_by_name=True,
        alias_generator=to_camel,
        serialize_by_alias=True,
        validate_by_alias=True,
        validate_by_name=True,
    )

    def to_dict(self) -> dict[str, Any]:
        """The document as the user wrote it (camelCase, only the fields that were set)."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="python")


def _int_or_string(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PydanticCustomError("int_or_string_type", "expected integer or string")
    return value


#: Kubernetes ``IntOrString`` (e.g. ``maxUpdate: 25%`` or ``maxUpdate: 2``).
IntOrString = Annotated[Any, AfterValidator(_int_or_string)]

#: Free-form JSON/YAML value (Helm ``valuesObject``, generator parameters...).
AnyValue = Any

StrMap = dict[str, str]
