"""Automatic logging for training libraries."""

from __future__ import annotations


def autolog(disable: bool = False, log_models: bool = True) -> None:
    """Switch on automatic logging for every supported library that is installed."""
    from runstream.autolog import sklearn

    sklearn.autolog(disable=disable, log_models=log_models)
