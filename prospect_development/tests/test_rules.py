from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.tests import BaseCase, tagged
from odoo.tools import SQL

from odoo.addons.prospect_development import rules
from odoo.addons.prospect_development.expressions import coalesce, column

from . import reference
from .common import ProspectCase

NEEDS = st.sampled_from([False, "clear", "potential", "none"])
DAYS = st.one_of(st.none(), st.integers(-400, 400))
GRADES = st.sampled_from([False, "a", "b", "c", "d", "e"])


@tagged("post_install", "-at_install")
class TestReference(BaseCase):
    """The plain-Python statement of the method the SQL is checked against."""

    def test_tier_cutoffs_of_a_thousand_customers(self):
        cutoffs = reference.tier_cutoffs(1000, 1, 4, 15)
        tiers = [reference.revenue_tier(rank, cutoffs) for rank in range(1, 1001)]
        self.assertEqual(tiers.count("super"), 10)
        self.assertEqual(tiers.count("large"), 40)
        self.assertEqual(tiers.count("medium"), 150)
        self.assertEqual(tiers.count("small"), 800)

    def test_small_counts_round_up(self):
        # 7 customers: ceil(0.07) = 1 super, ceil(0.35) = 1 (no large), ceil(1.4) = 2
        self.assertEqual(reference.tier_cutoffs(7, 1, 4, 15), (1, 1, 2))

    def test_ties_share_the_better_rank(self):
        ranks = reference.rank_revenues({"a": 500, "b": 300, "c": 300, "d": 100})
        self.assertEqual(ranks, {"a": 1, "b": 2, "c": 2, "d": 4})


@tagged("post_install", "-at_install")
class TestRulesSql(ProspectCase):
    """Each rule is defined once: the live computes (the form) and the nightly
    engine evaluate the same expression. Both are checked here against the
    plain-Python reference, at the boundaries and on random inputs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.settings = cls.env["prospect.settings"]._get()

    def _grade_of_form(self, need, days, active=True, probability=50.0, won=False):
        """The grade the form shows before saving (a new record, onchange)."""
        return (
            self.env["crm.lead"]
            .new(
                {
                    "name": "Form",
                    "need_status": need,
                    "date_deadline": self.today + timedelta(days=days)
                    if days is not None
                    else False,
                    "active": active,
                    "probability": probability,
                    "stage_id": (self.won_stage if won else self.open_stage).id,
                }
            )
            .prospect_grade
        )

    @settings(max_examples=200, deadline=None)
    @given(
        won=st.booleans(),
        active=st.booleans(),
        probability=st.sampled_from([None, 0.0, 0.5, 100.0]),
        need=st.sampled_from([None, "clear", "potential", "none"]),
        deadline=st.one_of(st.none(), st.integers(-5, 200)),
        saved=st.sampled_from([None, "a", "b", "c", "d", "e"]),
        last=st.one_of(st.none(), st.integers(-120, 0)),
        created=st.one_of(st.none(), st.integers(-120, 0)),
        planned=st.one_of(st.none(), st.integers(-60, 60)),
        interval=st.one_of(st.none(), st.integers(1, 120)),
        logged=st.one_of(st.none(), st.integers(0, 10_000_000).map(lambda c: c / 100)),
        touches=st.one_of(st.none(), st.integers(0, 80)),
    )
    def test_python_evaluation_matches_sql(self, **given_values):
        """The live computes evaluate the rules of a save in Python: every rule
        they evaluate gives there what the nightly SQL gives, NULLs included."""

        def day(offset):
            return None if offset is None else self.today + timedelta(days=offset)

        values = {
            "is_won": given_values["won"],
            "active": given_values["active"],
            "probability": given_values["probability"],
            "need_status": given_values["need"],
            "date_deadline": day(given_values["deadline"]),
            "prospect_grade": given_values["saved"],
            "last_contact_date": day(given_values["last"]),
            "created": day(given_values["created"]),
            "next_contact_planned": day(given_values["planned"]),
            "interval_days": given_values["interval"],
            "development_cost_logged": given_values["logged"],
            "touch_count": given_values["touches"],
        }
        types = {
            "is_won": "boolean",
            "active": "boolean",
            "probability": "float8",
            "need_status": "varchar",
            "date_deadline": "date",
            "prospect_grade": "varchar",
            "last_contact_date": "date",
            "created": "date",
            "next_contact_planned": "date",
            "interval_days": "int4",
            "development_cost_logged": "numeric",
            "touch_count": "int4",
        }
        next_date = rules.next_contact_date(
            rules.is_open(),
            column("lead", "last_contact_date"),
            coalesce(column("lead", "created"), self.today),
            column("lead", "interval_days"),
            column("lead", "next_contact_planned"),
        )
        checked = {
            "won": rules.is_won(),
            "lost": rules.is_lost(),
            "closed": rules.is_closed(),
            "open": rules.is_open(),
            "grade": rules.grade(self.today, self.settings),
            "next_date": next_date,
            "urgency": rules.urgency(next_date, self.today),
            "cost": rules.development_cost(
                column("lead", "development_cost_logged"),
                column("lead", "touch_count"),
                self.settings,
            ),
        }
        self.env.cr.execute(
            SQL(
                """SELECT %s FROM (VALUES (%s)) AS lead(%s)
                    CROSS JOIN LATERAL (SELECT lead.is_won) AS stage""",
                SQL(", ").join(checked.values()),
                SQL(", ").join(
                    SQL("%s::%s", value, SQL(types[name]))
                    for name, value in values.items()
                ),
                SQL(", ").join(SQL.identifier(name) for name in values),
            )
        )
        in_sql = dict(zip(checked, self.env.cr.fetchone(), strict=True))
        for name, rule in checked.items():
            in_python = rule.evaluate(values)
            if name == "cost":
                self.assertAlmostEqual(in_python, float(in_sql[name]), places=6)
            else:
                self.assertEqual(in_python, in_sql[name], name)

    def test_grade_boundaries(self):
        for need, days, grade in (
            ("none", 5, "e"),
            (False, 5, "d"),
            ("potential", 5, "d"),
            ("clear", -10, "a"),
            ("clear", 30, "a"),
            ("clear", 31, "b"),
            ("clear", 90, "b"),
            ("clear", 91, "c"),
            ("clear", 180, "c"),
            ("clear", 181, "d"),
            ("clear", None, "d"),
        ):
            with self.subTest(need=need, days=days):
                self.assertEqual(self._grade_of_form(need, days), grade)

    @settings(max_examples=60, deadline=None)
    @given(need=NEEDS, days=DAYS)
    def test_live_grade_matches_reference(self, need, days):
        deadline = self.today + timedelta(days=days) if days is not None else None
        self.assertEqual(
            self._grade_of_form(need, days),
            reference.prospect_grade(
                need,
                deadline,
                self.today,
                self.settings["grade_a_days"],
                self.settings["grade_b_days"],
                self.settings["grade_c_days"],
            ),
        )

    @settings(max_examples=40, deadline=None)
    @given(days=st.one_of(st.none(), st.integers(-100, 400)))
    def test_urgency_matches_reference(self, days):
        next_date = self.today + timedelta(days=days) if days is not None else None
        lead = self.env["crm.lead"].new({"name": "Urgency"})
        [row] = lead._prospect_evaluate(
            [],
            extra={"next_date": ("date", [next_date])},
            urgency=rules.urgency(self._column("next_date"), self.today),
        )
        self.assertEqual(
            row["urgency"], reference.contact_urgency(next_date, self.today)
        )

    def _column(self, name):
        return SQL("lead.%s", SQL.identifier(name))

    @settings(max_examples=60, deadline=None)
    @given(
        is_open=st.booleans(),
        unanswered=st.one_of(st.none(), st.integers(0, 20)),
        silent_days=st.one_of(st.none(), st.integers(0, 400)),
        cost=st.integers(0, 500_000).map(lambda cents: cents / 100),
        revenue=st.integers(0, 5000).map(float),
        probability=st.integers(0, 10_000).map(lambda hundredths: hundredths / 100),
    )
    def test_abandonment_matches_reference(
        self, is_open, unanswered, silent_days, cost, revenue, probability
    ):
        first = (
            self.today - timedelta(days=silent_days)
            if silent_days is not None
            else None
        )
        lead = self.env["crm.lead"].new(
            {"name": "Abandon", "expected_revenue": revenue, "probability": probability}
        )
        silence = rules.abandon_for_silence(
            self._column("unanswered_touches"),
            self._column("date_first_unanswered"),
            self.today,
            self.settings,
        )
        costly = rules.abandon_for_cost(
            self._column("cost"), rules.expected_value(), self.settings
        )
        [row] = lead._prospect_evaluate(
            ["expected_revenue", "probability"],
            extra={
                "unanswered_touches": ("int4", [unanswered]),
                "date_first_unanswered": ("date", [first]),
                "cost": ("numeric", [cost]),
                "is_open": ("boolean", [is_open]),
            },
            advice=rules.abandon(self._column("is_open"), silence, costly),
        )
        expected_value = lead.expected_revenue * lead.probability / 100
        self.assertEqual(
            row["advice"],
            reference.abandon_recommended(
                is_open,
                unanswered,
                first,
                cost,
                expected_value,
                self.today,
                self.settings,
            ),
        )

    def test_closed_lead_keeps_its_grade_in_both(self):
        """The form and the engine freeze the grade of won and lost leads alike."""
        won = self._open_lead(
            "Won", need_status="clear", date_deadline=self.today + timedelta(days=10)
        )
        lost = self._open_lead(
            "Lost", need_status="clear", date_deadline=self.today + timedelta(days=60)
        )
        won.stage_id = self.won_stage
        lost.action_set_lost()
        (won + lost).write({"need_status": "none"})
        self.assertEqual((won.prospect_grade, lost.prospect_grade), ("a", "b"))
        self.env["prospect.rescore.engine"]._run()
        (won + lost).invalidate_recordset()
        self.assertEqual((won.prospect_grade, lost.prospect_grade), ("a", "b"))
        self.assertFalse(won.next_contact_date or lost.next_contact_date)

    @settings(max_examples=8, deadline=None)
    @given(
        st.lists(
            st.tuples(NEEDS, DAYS, st.integers(0, 120), st.booleans()),
            min_size=1,
            max_size=12,
        )
    )
    def test_engine_and_form_agree(self, specs):
        """Leads saved through the ORM, then rescored by the nightly SQL: the grade,
        next contact and urgency the form computed are what the engine keeps, and
        both are the reference's."""
        with self.env.cr.savepoint(flush=False) as savepoint:
            leads = self.env["crm.lead"].create(
                [
                    {
                        "name": f"Agree {index}",
                        "company_id": self.pyramid_company.id,
                        "stage_id": self.open_stage.id,
                        "need_status": need,
                        "date_deadline": self.today + timedelta(days=days)
                        if days is not None
                        else False,
                        "key_account_colour": "red" if key else False,
                    }
                    for index, (need, days, _ago, key) in enumerate(specs)
                ]
            )
            for lead, (_need, _days, ago, _key) in zip(leads, specs, strict=True):
                lead.sudo().last_contact_date = self.today - timedelta(days=ago)
            self.env.flush_all()
            live = {
                lead.id: (
                    lead.pyramid_tier,
                    lead.prospect_grade,
                    lead.next_contact_date,
                    lead.contact_urgency,
                )
                for lead in leads
            }
            self.env["prospect.rescore.engine"]._run()
            leads.invalidate_recordset()
            matrix = self.env["prospect.cadence.rule"]._get_matrix()
            for lead, (need, days, ago, key) in zip(leads, specs, strict=True):
                deadline = (
                    self.today + timedelta(days=days) if days is not None else None
                )
                grade = reference.prospect_grade(
                    need,
                    deadline,
                    self.today,
                    self.settings["grade_a_days"],
                    self.settings["grade_b_days"],
                    self.settings["grade_c_days"],
                )
                for tier, values in (
                    (
                        lead.pyramid_tier,
                        (
                            lead.prospect_grade,
                            lead.next_contact_date,
                            lead.contact_urgency,
                        ),
                    ),
                    (live[lead.id][0], live[lead.id][1:]),
                ):
                    interval = matrix.get((tier, grade, key, False), (None,))[0]
                    next_date = reference.next_contact_date(
                        self.today - timedelta(days=ago), None, interval
                    )
                    urgency = reference.contact_urgency(next_date, self.today)
                    self.assertEqual(
                        tuple(value or None for value in values),
                        (grade, next_date, urgency),
                        tier,
                    )
            savepoint.rollback()

    def test_rules_read_the_saved_settings(self):
        self.env["ir.config_parameter"].set_param(
            "prospect_development.grade_a_days", "10"
        )
        self.assertEqual(self._grade_of_form("clear", 20), "b")
        self.assertEqual(self._grade_of_form("clear", 10), "a")

    @given(
        revenues=st.lists(st.integers(1, 60), min_size=0, max_size=60),
        value=st.integers(1, 70),
        shares=st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 40)),
    )
    @settings(max_examples=150, deadline=None)
    def test_tier_reached_is_the_tier_at_the_projected_rank(
        self, revenues, value, shares
    ):
        """The night places a pipeline by what each tier's customers earn at least
        (``tier_reached``): it must be the tier of the rank the value would take,
        one more than the customers that earn strictly more, ties and empty tiers
        included."""
        settings_ = dict(
            self.settings,
            tier_super_pct=shares[0],
            tier_large_pct=shares[1],
            tier_medium_pct=shares[2],
        )
        ranks = reference.rank_revenues(dict(enumerate(revenues)))
        cutoffs = reference.tier_cutoffs(len(revenues), *shares)
        expected = reference.revenue_tier(
            1 + sum(1 for revenue in revenues if revenue > value), cutoffs
        )
        self.env.cr.execute(
            SQL(
                """
                WITH customer AS (
                    SELECT revenue, %(tier)s AS tier
                      FROM (VALUES %(rows)s) AS customer(revenue, rank, total)
                ), tier_floor AS (
                    SELECT MIN(revenue) FILTER (WHERE tier = 'super') AS super_min,
                           MIN(revenue) FILTER (WHERE tier IN ('super', 'large'))
                               AS large_min,
                           MIN(revenue) FILTER (
                               WHERE tier IN ('super', 'large', 'medium'))
                               AS medium_min
                      FROM customer
                )
                SELECT %(reached)s FROM tier_floor
                """,
                tier=rules.revenue_tier(
                    SQL("customer.rank"), SQL("customer.total"), settings_
                ),
                rows=SQL(", ").join(
                    SQL("(%s, %s, %s)", revenue, ranks[key], len(revenues))
                    for key, revenue in enumerate(revenues)
                )
                if revenues
                else SQL("(NULL::int, NULL::int, NULL::int)"),
                reached=rules.tier_reached(
                    SQL("%s", value),
                    SQL("tier_floor.super_min"),
                    SQL("tier_floor.large_min"),
                    SQL("tier_floor.medium_min"),
                ),
            )
        )
        self.assertEqual(self.env.cr.fetchone()[0], expected)
