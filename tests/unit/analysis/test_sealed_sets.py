"""The sealed answer sets stay sealed: unchanged since recorded, big and varied enough to mean something.

A sealed file is scored by bench/eval_sealed.py and never studied or trained on. Changing one (or
adding one without recording it) fails here: a new sealed set gets a new file and a new manifest line,
written by writers who never saw the rules (docs/labels.md).
"""

from __future__ import annotations

from collections import Counter

from bench.labelled_sets import MANIFEST, load_any, read_manifest, sealed_files, sha256


def test_every_sealed_file_matches_its_recorded_hash() -> None:
    recorded = read_manifest()
    present = {p.name: p for p in sealed_files()}
    assert set(present) == set(recorded), f"sealed files and {MANIFEST.name} disagree: {sorted(set(present) ^ set(recorded))}"
    for name, path in present.items():
        assert sha256(path) == recorded[name], f"{name} changed after it was sealed"


def test_sealed_sets_are_big_balanced_and_spoken_in_many_voices() -> None:
    answers = [a for p in sealed_files() for a in load_any(p)]
    typed = [a for a in answers if not a.spoken]
    spoken = [a for a in answers if a.spoken]
    assert len(typed) >= 80 and len(spoken) >= 32
    assert len({a.voice for a in spoken}) >= 8
    for group in (typed, spoken):
        for check in ("assumptions", "outcome"):
            share = sum(a.labels[check] for a in group) / len(group)
            assert 0.3 <= share <= 0.7, (check, share)
    combos = Counter((a.labels["assumptions"], a.labels["outcome"]) for a in answers)
    assert len(combos) == 4 and min(combos.values()) >= 0.15 * len(answers)


def test_no_answer_is_in_both_a_sealed_set_and_the_training_data() -> None:
    from bench.labelled_sets import dev_answers, train_files

    sealed = {" ".join(a.text.lower().split()) for p in sealed_files() for a in load_any(p)}
    studied = [a for p in train_files() for a in load_any(p)] + dev_answers()
    assert not sealed & {" ".join(a.text.lower().split()) for a in studied}
