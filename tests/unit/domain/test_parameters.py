"""Generation parameters: ranges, merging and stored form."""

from __future__ import annotations

import pytest

from promptlab.domain.errors import ValidationError
from promptlab.domain.parameters import GenerationParameters, validate_parameters


def fields_of(error: ValidationError) -> list[str]:
    return [item.field for item in error.errors]


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        (GenerationParameters(temperature=-0.1), "parameters.temperature"),
        (GenerationParameters(temperature=2.01), "parameters.temperature"),
        (GenerationParameters(temperature=float("nan")), "parameters.temperature"),
        (GenerationParameters(top_p=1.5), "parameters.top_p"),
        (GenerationParameters(max_tokens=0), "parameters.max_tokens"),
        (GenerationParameters(max_tokens=4097), "parameters.max_tokens"),
        (GenerationParameters(stop=("a", "b", "c", "d", "e")), "parameters.stop"),
        (GenerationParameters(stop=("",)), "parameters.stop.0"),
        (GenerationParameters(stop=("ok", "x" * 201)), "parameters.stop.1"),
        (GenerationParameters(stop=("a\x00b",)), "parameters.stop.0"),
        (GenerationParameters(stop=("\ud800",)), "parameters.stop.0"),
        (GenerationParameters(seed=2**63), "parameters.seed"),
    ],
)
def test_out_of_range_value_names_field(parameters: GenerationParameters, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_parameters(parameters, field_prefix="parameters", max_output_tokens=4096)

    assert fields_of(caught.value) == [field]


def test_max_tokens_is_bounded_without_model() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_parameters(GenerationParameters(max_tokens=10**23), field_prefix="parameters")

    assert fields_of(caught.value) == ["parameters.max_tokens"]


def test_limits_are_inclusive() -> None:
    parameters = GenerationParameters(
        temperature=2, top_p=1, max_tokens=4096, stop=("a", "b", "c", "d"), seed=-(2**63)
    )

    validate_parameters(parameters, field_prefix="parameters", max_output_tokens=4096)


def test_every_bad_field_is_reported() -> None:
    parameters = GenerationParameters(temperature=3, top_p=-1, max_tokens=0)

    with pytest.raises(ValidationError) as caught:
        validate_parameters(parameters, field_prefix="default_parameters")

    assert fields_of(caught.value) == [
        "default_parameters.temperature",
        "default_parameters.top_p",
        "default_parameters.max_tokens",
    ]


def test_overrides_replace_only_set_fields() -> None:
    defaults = GenerationParameters(temperature=0.2, max_tokens=100, stop=("END",))
    overrides = GenerationParameters(max_tokens=50, seed=7)

    merged = defaults.merged_with(overrides)

    assert merged == GenerationParameters(temperature=0.2, max_tokens=50, stop=("END",), seed=7)


def test_stored_form_round_trips() -> None:
    parameters = GenerationParameters(temperature=0.5, top_p=0.9, stop=("a", "b"), seed=1)

    assert GenerationParameters.from_dict(parameters.to_dict()) == parameters
    assert GenerationParameters().to_dict() == {}
