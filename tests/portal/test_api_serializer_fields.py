"""A record serializer works its fields out of the model once, and every serializer still
gets fields of its own."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import serializers

from portal.serializers import ContactSerializer, ProductSerializer


def test_the_fields_are_worked_out_once_per_serializer_class(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Fresh(ContactSerializer):
        class Meta(ContactSerializer.Meta):
            pass

    built: list[str] = []
    build_field = serializers.ModelSerializer.build_field

    def counting(self: Any, field_name: str, *args: Any) -> Any:
        built.append(field_name)
        return build_field(self, field_name, *args)

    monkeypatch.setattr(serializers.ModelSerializer, "build_field", counting)

    first, second = Fresh(), Fresh()
    assert set(first.fields) == set(Fresh.Meta.fields)
    assert built, "the first serializer built its fields from the model"
    built.clear()
    assert set(second.fields) == set(first.fields)
    assert built == []


def test_each_serializer_has_fields_of_its_own_bound_to_it() -> None:
    first, second = ContactSerializer(), ContactSerializer()

    for name, field in first.fields.items():
        assert field.parent is first
        assert second.fields[name] is not field
        assert second.fields[name].parent is second
    assert set(ProductSerializer().fields) == set(ProductSerializer.Meta.fields)
    assert "is_customer" in first.fields
    assert "is_customer" not in ProductSerializer().fields
