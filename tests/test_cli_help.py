"""Every `--help` option has a help text and says its default (issue 20, item 11)."""
from __future__ import annotations

import argparse

import pytest

from videocam.cli.main import COMMANDS, build_parser


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    p = build_parser()
    (sub,) = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _shown_default(default) -> list[str]:
    """Ways a help text may write this default (a list or tuple: any, the word "default" is enough)."""
    if isinstance(default, (list, tuple)):
        return [""]
    forms = {str(default)}
    if isinstance(default, float):
        forms |= {f"{default:g}", f"{default:.0e}".replace("e-0", "e-"), f"{default:.1e}".replace("e-0", "e-")}
    return sorted(forms)


def _options(name):
    parser = _subparsers()[name]
    fmt = parser._get_formatter()
    for a in parser._actions:
        if isinstance(a, (argparse._HelpAction, argparse._VersionAction)) or a.help == argparse.SUPPRESS:
            continue
        yield a, (fmt._expand_help(a) if a.help else "")


def test_every_command_is_walked():
    assert set(_subparsers()) == set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_has_help_and_says_its_default(name):
    missing, silent = [], []
    for a, text in _options(name):
        flag = "/".join(a.option_strings) or a.dest
        if not text.strip():
            missing.append(flag)
            continue
        d = a.default
        has_default = d not in (None, False, argparse.SUPPRESS) and not isinstance(a, argparse._StoreTrueAction)
        if a.option_strings and has_default:
            if "default" not in text.lower() or not any(f in text for f in _shown_default(d)):
                silent.append(f"{flag} (default {d!r}): {text!r}")
    assert not missing, f"{name}: options without help: {missing}"
    assert not silent, f"{name}: options that do not say their default: {silent}"


def test_samples_defaults_are_the_library_defaults():
    """`samples --help` states its counts; they are the ones make_dataset / make_video use."""
    import inspect

    from videocam.synth.scenes import make_dataset
    from videocam.synth.video import make_video
    a = _subparsers()["samples"].parse_args(["--out", "x"])
    ds, vid = inspect.signature(make_dataset).parameters, inspect.signature(make_video).parameters
    assert (a.n_train, a.n_val, a.n_test) == (ds["n_train"].default, ds["n_val"].default, ds["n_test"].default)
    assert a.duration == vid["duration_s"].default and a.seed == ds["seed"].default
