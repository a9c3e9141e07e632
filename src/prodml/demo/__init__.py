"""``prodml demo``: the whole lifecycle on the bundled credit example, in a few minutes.

A temporary project is trained, served, fed simulated traffic that drifts, monitored, and
maintained; :func:`run_demo` tells the story, :mod:`prodml.cli.demo` is the command.
"""

from prodml.demo.narrator import Narrator
from prodml.demo.story import DemoResult, DemoSettings, run_demo

__all__ = ["DemoResult", "DemoSettings", "Narrator", "run_demo"]
