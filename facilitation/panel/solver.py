"""The HiGHS solver the panel lottery uses: quiet from the moment it exists, and held to the
lottery's deadline."""

from __future__ import annotations

import highspy

from facilitation.panel.clock import Clock, Stop


class QuietHighs(highspy.Highs):
    """A HiGHS solver that never writes to stdout or stderr.

    highspy's constructor wires up its callbacks before a caller can set any option, and HiGHS
    prints its banner on that first call unless logging is already off; highspy offers no
    constructor option or environment variable for it. Turning the log off as the first step of
    that wiring keeps the banner out of a process's output, per instance, with no shared state,
    so solvers built in worker threads stay independent.
    """

    def enableCallbacks(self) -> None:
        self.setOptionValue("output_flag", False)
        super().enableCallbacks()


def quiet_solver() -> highspy.Highs:
    """A new solver with logging off."""
    h = QuietHighs()
    # Versions whose constructor does not go through enableCallbacks still start silent here,
    # before any model is passed.
    h.setOptionValue("output_flag", False)
    return h


def run_within(
    h: highspy.Highs, clock: Clock | None, *, integer: bool = False
) -> highspy.HighsModelStatus:
    """Solve, stopping at the clock's deadline: raise Stop if HiGHS reaches it first, since a
    solve cut short proves nothing (an integer programme stopped early may have missed the
    best panel, or every panel).

    HiGHS measures a linear programme's time limit against all its runs on the same solver
    since it was made, and an integer programme's against the current run alone."""
    remaining = None if clock is None else clock.remaining()
    if remaining is None:
        limit = highspy.kHighsInf
    else:
        limit = max(remaining, 0.01) + (0.0 if integer else h.getRunTime())
    h.setOptionValue("time_limit", limit)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kTimeLimit:
        raise Stop
    return status
