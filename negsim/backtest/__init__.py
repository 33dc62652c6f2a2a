"""Back-testing: run bargaining models on decisions whose outcomes are known, and score them.

A back-test is a list of :class:`Case` objects (a scenario and, for some of its issues, the actual
outcome) and a list of models (registered rules with their parameters). Every model runs on every
case, one task per (model, case), on a process pool (:mod:`negsim.parallel`); a run's forecast of
an issue is :attr:`negsim.result.RunResult.forecast`, the capability x salience weighted median of
the final positions. Results never depend on the number of workers: each task carries its own
inputs and seed, and rows are ordered by model and case, not by arrival.

Scoring, per model, over the scored issues (errors in points of the issue's scale rescaled to
0-100, so the DEU's 0-100 issues are scored in their own units):

- MAE (mean absolute error), median absolute error, hit rates ``|error| <= 5`` and ``<= 10``,
  mean signed error (bias), each with a seeded percentile bootstrap confidence interval
  (:func:`scipy.stats.bootstrap`, resampling issues);
- the same broken down by the cases' groups (for the DEU data: procedure and Council voting rule);
- paired differences between every two models (MAE and hit rate <= 10, the bootstrap resampling
  issues jointly), with the smallest difference the data could detect (80% power at the 5%
  level, from the spread of the per-issue differences).

Two entry points build the cases: :func:`backtest_deu` (the DEU data, see :mod:`negsim.deu`) and
:func:`backtest_scenario` (any scenario plus a small outcomes CSV ``issue,outcome[,date]``).
:meth:`BacktestResult.save` writes the tables (Parquet and CSV), a figure of the error
distributions and ``manifest.json`` (command, seeds, models, parameters, data file, counts).
"""

from __future__ import annotations

from .cases import (DEFAULT_MODELS, DEU_ROUNDS, DEU_STOP, FORMAT_VERSION, HITS, Case, ModelRun,
                    Target, resolve_models)
from .deu import backtest_deu, deu_cases
from .outcomes import backtest_scenario, read_outcomes
from .result import BacktestResult
from .run import run_backtest, run_models
from .score import score

__all__ = ["Target", "Case", "ModelRun", "BacktestResult", "run_backtest", "backtest_deu",
           "backtest_scenario", "deu_cases", "read_outcomes", "score", "DEFAULT_MODELS",
           "HITS", "FORMAT_VERSION", "resolve_models", "run_models", "DEU_ROUNDS", "DEU_STOP"]
