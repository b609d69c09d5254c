"""Benchmark of the screens salespeople and managers open, with and without the
add-on's fields.

Builds the rescoring benchmark's database (default 1,000,000 leads over 300,000
customers, ``bench_rescore.populate``) and rescores it, starts an Odoo server, and
opens each screen through the JSON-RPC calls the web client makes, as an
administrator (every lead visible):

- the pipeline kanban: ``web_read_group`` by stage, ``read_progress_bar``, then the
  cards of each column (``web_search_read``, 40 a column);
- the lead list grouped by tier: ``web_read_group``, then the first group's rows;
- the Prospect Pyramid pivot (tier x grade): ``read_group`` for the totals, the rows,
  the columns and the cells;
- a lead form: ``web_read`` of one lead.

The baseline is the same screen without the add-on: the same calls with the fields
the add-on adds taken out of the specification, the list grouped by stage instead of
tier, and the pivot on Odoo's own stage x priority. Each pair runs 20 times,
alternating; the medians are printed with their ratio (target: within 1.5x).

Usage (Odoo 18 importable by python3; PostgreSQL running):
    python3 bench/bench_interactive.py [--leads 1000000] [--rounds 20] [--keep]
"""

import statistics
import time

import bench_rescore
from benchlib import (
    OdooServer,
    WebClient,
    bench_arguments,
    build_dataset,
    drop_database,
    environment,
    open_database,
)
from lxml import etree

import odoo

OUR_MODULES = {"prospect_development", "prospect_development_account"}
OPPORTUNITIES = [("type", "=", "opportunity")]
PROGRESS_BAR = {
    "field": "activity_state",
    "colors": {"planned": "success", "today": "warning", "overdue": "danger"},
    "sum_field": "expected_revenue",
}


def populate(env, leads):
    bench_rescore.populate(env, leads, max(leads * 3 // 10, 100))
    env.cr.commit()
    env["prospect.rescore.engine"]._run()


class Screens:
    """The specifications of the views, with and without the add-on's fields."""

    def __init__(self, client):
        self.client = client
        fields = client.call(
            "ir.model.fields",
            "search_read",
            [("model", "=", "crm.lead")],
            ["name", "modules"],
        )
        self.ours = {
            field["name"]
            for field in fields
            if set(field["modules"].replace(" ", "").split(",")) <= OUR_MODULES
        }
        views = client.call(
            "crm.lead",
            "get_views",
            views=[[False, "kanban"], [False, "list"], [False, "form"]],
            options={},
        )
        self.fields = views["models"]["crm.lead"]["fields"]
        self.specs = {
            view_type: self._spec(view["arch"])
            for view_type, view in views["views"].items()
        }

    def _spec(self, arch):
        """What the web client reads for the fields of a view's arch."""
        spec = {}
        for node in etree.fromstring(arch).iter("field"):
            name = node.get("name")
            field = self.fields.get(name)
            if not field or name in spec:
                continue
            relational = field["type"] in ("many2one", "one2many", "many2many")
            spec[name] = {"fields": {"display_name": {}}} if relational else {}
        return spec

    def spec(self, view_type, ours):
        spec = self.specs[view_type]
        return spec if ours else {k: v for k, v in spec.items() if k not in self.ours}

    def _open_groups(self, groupby, view_type, ours, limit, groups=None):
        """Groups of the opportunities by ``groupby`` with their revenue, then the
        records of the first ``groups`` of them (all by default)."""
        call = self.client.call
        found = call(
            "crm.lead",
            "web_read_group",
            OPPORTUNITIES,
            ["expected_revenue:sum"],
            [groupby],
            lazy=True,
        )["groups"]
        for group in found[:groups]:
            value = group[groupby]
            value = value[0] if isinstance(value, list) else value
            call(
                "crm.lead",
                "web_search_read",
                OPPORTUNITIES + [(groupby, "=", value)],
                self.spec(view_type, ours),
                limit=limit,
            )

    def kanban(self, ours):
        self.client.call(
            "crm.lead", "read_progress_bar", OPPORTUNITIES, "stage_id", PROGRESS_BAR
        )
        self._open_groups("stage_id", "kanban", ours, limit=40)

    def grouped_list(self, ours):
        groupby = "pyramid_tier" if ours else "stage_id"
        self._open_groups(groupby, "list", ours, limit=80, groups=1)

    def pivot(self, ours):
        row, col = (
            ("pyramid_tier", "prospect_grade") if ours else ("stage_id", "priority")
        )
        for groupby in ([], [row], [col], [row, col]):
            self.client.call(
                "crm.lead",
                "read_group",
                OPPORTUNITIES,
                ["__count", "expected_revenue:sum"],
                groupby,
                lazy=False,
            )

    def form(self, ours, lead_id):
        self.client.call("crm.lead", "web_read", [lead_id], self.spec("form", ours))


def median_times(function, rounds):
    """Median seconds of ``function(ours)`` for ours True and False, alternating."""
    times = {True: [], False: []}
    for round_number in range(rounds):
        for ours in (True, False) if round_number % 2 else (False, True):
            start = time.perf_counter()
            function(ours)
            times[ours].append(time.perf_counter() - start)
    return statistics.median(times[True]), statistics.median(times[False])


def main():
    args = bench_arguments(
        __doc__.splitlines()[0], "pd_bench_interactive", leads=1_000_000, rounds=20
    )

    print(f"# Interactive benchmark: {args.leads:,} leads, median of {args.rounds}")
    registry = open_database(args.db)
    build_dataset(registry, populate, args.leads)
    with registry.cursor() as cr:
        cr.execute(
            "SELECT lead.id FROM crm_lead lead WHERE lead.prospect_potential_key"
            " ORDER BY lead.id LIMIT 1"
        )
        row = cr.fetchone()
        if not row:
            cr.execute("SELECT MAX(id) / 2 FROM crm_lead")
            row = cr.fetchone()
        lead_id = row[0]
        environment(cr)["res.users"].browse(2).password = "admin"
        cr.commit()
    odoo.sql_db.close_all()

    server = OdooServer(args.db)
    try:
        client = WebClient(server, "admin", "admin")
        screens = Screens(client)
        print()
        print("| screen | with the add-on (ms) | without (ms) | ratio |")
        print("|---|---:|---:|---:|")
        for label, function in [
            ("pipeline kanban (by stage, 40 cards a column)", screens.kanban),
            ("lead list grouped by tier (without: by stage)", screens.grouped_list),
            (
                "Prospect Pyramid pivot, tier x grade (without: stage x priority)",
                screens.pivot,
            ),
            ("lead form", lambda ours: screens.form(ours, lead_id)),
        ]:
            function(True)  # warm the caches of both sides alike
            function(False)
            ours, without = median_times(function, args.rounds)
            print(
                f"| {label} | {ours * 1000:.0f} | {without * 1000:.0f} |"
                f" {ours / without:.2f}x |"
            )
    finally:
        server.stop()
        if not args.keep:
            drop_database(args.db)


if __name__ == "__main__":
    main()
