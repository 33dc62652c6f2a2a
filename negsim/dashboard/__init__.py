"""``negsim dashboard``: a local web page for asking "what if?" of a scenario.

The page is a Solara app on Mesa's visualisation stack: Mesa's ``ModelController`` gives Step,
Play and Reset; everything else (scenario picker, rule and parameters, the per-actor and per-issue
controls, events, the charts with the baseline overlay, the per-issue table and the narrative) is
built here from negsim's own objects.

Modules, as the data flows:

* :mod:`negsim.dashboard.state`: what a session has chosen (:class:`~negsim.dashboard.state.Setup`)
  and how it becomes a model (the keyword arguments of ``NegotiationModel``), the baseline, the
  table rows and the story lines. No web framework: tested on its own.
* :mod:`negsim.dashboard.charts`: the live charts (matplotlib, drawn as inline SVG).
* :mod:`negsim.dashboard.components`: the Solara components of the page.
* :mod:`negsim.dashboard.app`: the page (``solara run negsim/dashboard/app.py``).
* :mod:`negsim.dashboard.serve`: how ``negsim dashboard`` starts the server (offline assets,
  loopback only, no telemetry).

Nothing at module level holds a model: every browser session (tab) builds its own in the page's
hooks, so two tabs never see each other's changes.

Needs the ``dashboard`` extra (``pip install 'negsim[dashboard]'``).
"""
