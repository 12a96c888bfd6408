"""The kit's crypto-shredding: a sealed value names its subject, opens with that subject's key
alone, and a value never sealed reads as it is."""

from __future__ import annotations

from parkgrid import shredding


def test_a_sealed_value_opens_with_its_subjects_key_and_nothing_else() -> None:
    key, other = shredding.new_key(), shredding.new_key()
    sealed = shredding.seal("p-1", key, "Salma Idrissi")
    assert shredding.is_sealed(sealed)
    assert "Salma" not in sealed
    assert shredding.subject_of(sealed) == "p-1"
    assert shredding.opened(sealed, {"p-1": key}) == "Salma Idrissi"
    assert shredding.opened(sealed, {"p-1": other}) is None  # a wrong key opens nothing
    assert shredding.opened(sealed, {}) is None  # a shredded key: nothing either
    assert shredding.seal("p-1", key, "x") != shredding.seal("p-1", key, "x")  # never the same twice


def test_a_value_never_sealed_reads_as_it_is() -> None:
    assert not shredding.is_sealed("salma@argan.ma")
    assert shredding.subject_of("salma@argan.ma") is None
    assert shredding.opened("salma@argan.ma", {}) == "salma@argan.ma"


def test_a_person_is_sealed_in_their_name_and_email_only() -> None:
    key = shredding.new_key()
    person = {"person_id": "p-1", "name": "Salma", "email": "salma@argan.ma", "role": "CEO", "language": "fr"}
    sealed = shredding.sealed_person(person, key)
    assert {k: v for k, v in sealed.items() if k not in shredding.PERSONAL_FIELDS} == {
        "person_id": "p-1",
        "role": "CEO",
        "language": "fr",
    }
    assert shredding.opened_person(sealed, {"p-1": key}) == person
    assert shredding.opened_person(sealed, {}) is None
    assert shredding.opened_person(person, {}) == person  # from before sealing
