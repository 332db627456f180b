"""Settings from the environment: every field is read with its own type; bad values name the variable."""

from dataclasses import fields
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings


def test_every_numeric_and_path_field_is_read_with_its_type():
    defaults = Settings.from_env({})
    env = {}
    for f in fields(Settings):
        var = "DISCORD_TOKEN" if f.name == "discord_token" else f"PARLEY_{f.name.upper()}"
        value = getattr(defaults, f.name)
        if isinstance(value, bool) or f.name in ("long_silence_s", "end_silence_s"):
            continue
        if isinstance(value, int):
            env[var] = "3"
        elif isinstance(value, float):
            env[var] = "300.5"
        elif f.name in ("data_dir", "db_path", "bank_dir"):
            env[var] = "~/parley-test/" + f.name
    s = Settings.from_env(env)
    assert s.questions_per_round == 3 and isinstance(s.uploads_per_hour, int) and s.uploads_per_hour == 3
    assert s.max_answer_s == 300.5 and isinstance(s.max_upload_mb, float)
    assert s.db_path == Path("~/parley-test/db_path").expanduser() and isinstance(s.data_dir, Path)
    assert "~" not in str(s.bank_dir)


@pytest.mark.parametrize("var", ["PARLEY_TTS_RATE", "PARLEY_LONG_SILENCE_S", "PARLEY_UPLOADS_PER_HOUR"])
def test_a_bad_number_names_the_variable(var):
    with pytest.raises(ConfigError, match=var):
        Settings.from_env({var: "lots"})


def test_inconsistent_silences_are_refused():
    with pytest.raises(ConfigError, match="PARLEY_END_SILENCE_S"):
        Settings.from_env({"PARLEY_LONG_SILENCE_S": "20", "PARLEY_END_SILENCE_S": "10"})


FLOAT_FIELDS = [f.name for f in fields(Settings) if isinstance(getattr(Settings.from_env({}), f.name), float)]


@pytest.mark.parametrize("name", FLOAT_FIELDS)
@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "Infinity", "1e400"])
def test_every_float_setting_refuses_nan_and_infinities(name, raw):
    """NaN compares false with everything, so `size > PARLEY_MAX_UPLOAD_MB` would never refuse."""
    var = f"PARLEY_{name.upper()}"
    with pytest.raises(ConfigError, match=f"{var}=.*not a finite number"):
        Settings.from_env({var: raw})


@pytest.mark.parametrize("name", FLOAT_FIELDS)
def test_a_non_finite_override_is_refused_too(name):
    with pytest.raises(ConfigError, match=f"PARLEY_{name.upper()} must be a finite number"):
        Settings.from_env({}, **{name: float("nan")})


def test_the_float_fields_are_the_ones_with_limits():
    assert {"long_silence_s", "end_silence_s", "max_answer_s", "max_upload_mb"} <= set(FLOAT_FIELDS)
