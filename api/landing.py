"""What ``GET /`` answers: the dashboard, reached from the links MLflow prints.

The mlflow client prints "View run at <tracking URI>/#/experiments/<id>/runs/<id>",
the address of MLflow's web UI. The part after ``#`` never reaches a server, so a
browser gets a small page whose script reads it and opens the same experiment or
run in runstream's dashboard; other clients get a plain redirect.
"""

from __future__ import annotations

import json

# MLflow UI routes and the dashboard views they become (dashboard/nav.py).
_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>runstream</title></head><body>
<script>
const dashboard = new URL(%(dashboard)s);
const route = window.location.hash;
const run = route.match(/^#\\/experiments\\/([^/?#]+)\\/runs\\/([0-9a-f]{32})/);
const experiment = route.match(/^#\\/experiments\\/([^/?#]+)/);
if (run) {
  dashboard.searchParams.set("run", run[2]);
  dashboard.searchParams.set("experiment", decodeURIComponent(run[1]));
} else if (experiment) {
  dashboard.searchParams.set("experiment", decodeURIComponent(experiment[1]));
}
window.location.replace(dashboard.href);
</script>
<noscript><a href=%(dashboard)s>Open the runstream dashboard</a></noscript>
</body></html>
"""


def landing_page(dashboard_url: str) -> str:
    """The page that sends a browser on to ``dashboard_url``, keeping the
    experiment or run of an MLflow UI link."""
    # JSON inside HTML: "</" is escaped so no value can close the script.
    quoted = json.dumps(dashboard_url).replace("</", "<\\/")
    return _PAGE % {"dashboard": quoted}
