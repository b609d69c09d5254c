"""Access matrix (issue 7, "Access" and "Multi-company").

One table per question: which profile may do what on every model, field write,
wizard, report, menu and route of the add-on, and which rows each profile sees.
Every expectation is a precise set built from records made here, so that the tests
run the same on an empty database and on one holding the demo data (whatever the
demo holds is only ever compared with what ``search`` gives the same user).

Profiles:

- ``portal``: a portal user (``base.group_portal``) of company A;
- ``public``: the public visitor (``base.public_user``);
- ``salesman``: a salesperson with "own documents only" of company A;
- ``all_leads``: a salesperson with "all documents" of company A;
- ``team_leader``: the ``user_id`` of the sales team A whose members own leads.
  Odoo Community has no team-leader group and no team record rule: a team leader
  has the rights of their groups, here "own documents only", so they see their own
  and the unassigned leads, not their members' ones. What they get on top is work:
  the abandonment requests of their team (an activity assigned to them);
- ``manager``: a Sales manager (``sales_team.group_sale_manager``) of company A;
- ``admin``: a Settings administrator who is also Sales manager, of company A
  (created here rather than ``base.user_admin`` so that their companies are known);
- ``other_company``: a Sales manager of company B only: the strongest sales rights,
  so whatever of company A they do not see is hidden by the multi-company rules.
"""

import importlib.util
import io
from contextlib import contextmanager
from datetime import timedelta

from openpyxl import load_workbook

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user

PROFILES = (
    "portal",
    "public",
    "salesman",
    "all_leads",
    "team_leader",
    "manager",
    "admin",
    "other_company",
)
OUTSIDERS = {"portal", "public"}
MANAGERS = {"manager", "admin", "other_company"}
SALES = set(PROFILES) - OUTSIDERS
NON_MANAGER_SALES = SALES - MANAGERS

# Leads made here: key -> (salesperson profile or None, company "a" or "b").
LEADS = {
    "own": ("salesman", "a"),
    "leader": ("team_leader", "a"),
    "colleague": ("all_leads", "a"),
    "unassigned": (None, "a"),
    "b": ("other_company", "b"),
}
COMPANY_A_LEADS = {"own", "leader", "colleague", "unassigned"}
# Leads (and rows bound to a lead) each profile finds; None: refused outright.
VISIBLE_LEADS = {
    "portal": None,
    "public": None,
    "salesman": {"own", "unassigned"},
    "team_leader": {"leader", "unassigned"},
    "all_leads": COMPANY_A_LEADS,
    "manager": COMPANY_A_LEADS,
    "admin": COMPANY_A_LEADS,
    "other_company": {"b"},
}
# The lead each profile works on in the write tests (one they may write).
WORK_LEAD = {
    "portal": "own",
    "public": "own",
    "salesman": "own",
    "team_leader": "leader",
    "all_leads": "colleague",
    "manager": "unassigned",
    "admin": "unassigned",
    "other_company": "b",
}

# Access rights of ir.model.access.csv: (any salesperson, Sales manager), as
# letters r(ead) w(rite) c(reate) d(elete). Portal and public: nothing at all.
ACL = {
    "prospect.lead.history": ("r", "rd"),
    "prospect.cadence.rule": ("r", "rwcd"),
    "prospect.care.holiday": ("r", "rwcd"),
    "prospect.care.log": ("r", "rd"),
    "prospect.sequence": ("r", "rwcd"),
    "prospect.sequence.step": ("r", "rwcd"),
    "prospect.sequence.enrollment": ("rwc", "rwcd"),
    "prospect.feedback.card": ("r", "rd"),
    "prospect.sequence.report": ("r", "r"),
    "prospect.abandon.wizard": ("rwc", "rwc"),
    "prospect.handover.wizard": ("", "rwc"),
    "prospect.sequence.enroll.wizard": ("rwc", "rwc"),
    "prospect.tier.report.wizard": ("rwc", "rwc"),
    "prospect.call.outcome": ("r", "rwcd"),
    "prospect.outcome.wizard": ("rwc", "rwc"),
    "prospect.territory.report": ("r", "r"),
    "prospect.visit.round.wizard": ("rwc", "rwc"),
    "prospect.visit.round.area": ("rwcd", "rwcd"),
    "prospect.visit.round.line": ("rwcd", "rwcd"),
    "prospect.calibration.report": ("r", "r"),
    "prospect.cost.result.report": ("r", "r"),
    "prospect.calibration.wizard": ("", "rwc"),
    "prospect.workload.report": ("r", "r"),
    "prospect.rebalance.wizard": ("", "rwc"),
    "prospect.rebalance.line": ("", "rwcd"),
}
OPERATIONS = {"r": "read", "w": "write", "c": "create", "d": "unlink"}

# Engine-only fields of crm.lead, with a value a user might try to force.
ENGINE_VALUES = {
    "pyramid_tier": "super",
    "pyramid_revenue": 1_000_000.0,
    "engagement_score": 99,
    "abandon_recommended": True,
}

# Menus of the add-on and who sees them (crm's Configuration is managers' only).
MENUS = {
    "menu_prospect_to_contact": SALES,
    "menu_prospect_sequence_enrollment": SALES,
    "menu_prospect_lead_history": SALES,
    "menu_prospect_sequence_report": SALES,
    "menu_prospect_pyramid_root": SALES,
    "menu_prospect_pyramid": SALES,
    "menu_prospect_pyramid_movements": SALES,
    "menu_prospect_tier_report": SALES,
    "menu_prospect_sequence": MANAGERS,
    "menu_prospect_care_holiday": MANAGERS,
    "menu_prospect_handover": MANAGERS,
    "menu_prospect_call_outcome_report": SALES,
    "menu_prospect_call_outcome": MANAGERS,
    "menu_prospect_territory_report": SALES,
    "menu_prospect_visit_round": SALES,
    "menu_prospect_calibration_report": SALES,
    "menu_prospect_cost_result_report": SALES,
    "menu_prospect_calibration_wizard": MANAGERS,
    "menu_prospect_workload_report": SALES,
    "menu_prospect_rebalance": MANAGERS,
}


def _new_user(env, login, groups, company, **values):
    return mail_new_test_user(
        env,
        login=login,
        name=login.replace("_", " ").title(),
        email=f"{login}@acl-matrix.example.com",
        groups=groups,
        company_id=company.id,
        company_ids=[Command.set(company.ids)],
        **values,
    )


@tagged("post_install", "-at_install")
class TestAccessMatrix(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        usd = env.ref("base.USD")
        cls.company_a, cls.company_b = env["res.company"].create(
            [
                {"name": "ACL Matrix Company A", "currency_id": usd.id},
                {"name": "ACL Matrix Company B", "currency_id": usd.id},
            ]
        )
        companies = {"a": cls.company_a, "b": cls.company_b}
        a, b = cls.company_a, cls.company_b
        cls.users = {
            "portal": _new_user(env, "acl_portal", "base.group_portal", a),
            "public": env.ref("base.public_user"),
            "salesman": _new_user(
                env, "acl_salesman", "sales_team.group_sale_salesman", a
            ),
            "all_leads": _new_user(
                env, "acl_all_leads", "sales_team.group_sale_salesman_all_leads", a
            ),
            "team_leader": _new_user(
                env, "acl_team_leader", "sales_team.group_sale_salesman", a
            ),
            "manager": _new_user(
                env, "acl_manager", "sales_team.group_sale_manager", a
            ),
            "admin": _new_user(
                env, "acl_admin", "base.group_system,sales_team.group_sale_manager", a
            ),
            "other_company": _new_user(
                env, "acl_other_company", "sales_team.group_sale_manager", b
            ),
        }
        users = cls.users
        cls.team_a = env["crm.team"].create(
            {
                "name": "ACL Team A",
                "company_id": a.id,
                "user_id": users["team_leader"].id,
                "crm_team_member_ids": [
                    Command.create({"user_id": users[profile].id})
                    for profile in ("salesman", "team_leader", "all_leads")
                ],
            }
        )
        cls.team_b = env["crm.team"].create(
            {
                "name": "ACL Team B",
                "company_id": b.id,
                "user_id": users["other_company"].id,
                "crm_team_member_ids": [
                    Command.create({"user_id": users["other_company"].id})
                ],
            }
        )
        cls.open_stage = env["crm.stage"].create({"name": "ACL Open", "sequence": 1})
        cls.partners = {}
        cls.leads = {}
        for key, (owner, company) in LEADS.items():
            cls.partners[key] = env["res.partner"].create(
                {
                    "name": f"ACL Customer {key}",
                    "is_company": True,
                    "email": f"{key}@customer.acl-matrix.example.com",
                }
            )
            cls.leads[key] = env["crm.lead"].create(
                {
                    "name": f"ACL lead {key}",
                    "type": "opportunity",
                    "partner_id": cls.partners[key].id,
                    "company_id": companies[company].id,
                    "team_id": (cls.team_a if company == "a" else cls.team_b).id,
                    "user_id": users[owner].id if owner else False,
                    "stage_id": cls.open_stage.id,
                }
            )
        # precondition of every set below: crm kept what was written
        for key, (owner, company) in LEADS.items():
            lead = cls.leads[key]
            assert lead.company_id == companies[company], key
            assert lead.user_id == (users[owner] if owner else env["res.users"]), key
        cls.lead_ids = [lead.id for lead in cls.leads.values()]
        cls.key_of = {lead.id: key for key, lead in cls.leads.items()}

        cls.template = env["mail.template"].create(
            {
                "name": "ACL mailing",
                "model_id": env["ir.model"]._get_id("crm.lead"),
                "subject": "Hello",
                "body_html": "<p>Hello</p>",
            }
        )
        cls.sequences = {}
        for key, company in (("a", a), ("b", b), ("shared", False)):
            cls.sequences[key] = env["prospect.sequence"].create(
                {
                    "name": f"ACL sequence {key}",
                    "company_id": company and company.id,
                    "step_ids": [
                        Command.create(
                            {
                                "name": f"ACL step {key}",
                                "delay_days": 3,
                                "template_id": cls.template.id,
                            }
                        )
                    ],
                }
            )
        now = fields.Datetime.now()
        today = fields.Date.context_today(env["crm.lead"])
        cls.enrollments = {}
        cls.cards = {}
        cls.histories = {}
        cls.care_logs = {}
        for key, (_owner, company) in LEADS.items():
            lead = cls.leads[key]
            sequence = cls.sequences[company]
            cls.enrollments[key] = env["prospect.sequence.enrollment"].create(
                {"lead_id": lead.id, "sequence_id": sequence.id}
            )
            cls.cards[key] = env["prospect.feedback.card"].create(
                {
                    "enrollment_id": cls.enrollments[key].id,
                    "lead_id": lead.id,
                    "sequence_id": sequence.id,
                    "step_id": sequence.step_ids.id,
                    "company_id": lead.company_id.id,
                    "user_id": lead.user_id.id,
                    "team_id": lead.team_id.id,
                    "date_sent": now,
                    "date_expire": now + timedelta(days=30),
                }
            )
            cls.histories[key] = env["prospect.lead.history"].create(
                {
                    "lead_id": lead.id,
                    "company_id": lead.company_id.id,
                    "user_id": lead.user_id.id,
                    "team_id": lead.team_id.id,
                    "date": today,
                    "kind": "tier",
                    "old_value": "suspect",
                    "new_value": "prospect",
                }
            )
            cls.care_logs[key] = env["prospect.care.log"].create(
                {
                    "partner_id": cls.partners[key].id,
                    "lead_id": lead.id,
                    "occasion": "acl_matrix",
                    "year": today.year,
                    "date": today,
                    "label": f"ACL greeting {key}",
                }
            )
        cls.cadence_rule = env["prospect.cadence.rule"].create({"interval_days": 11})
        cls.holiday = env["prospect.care.holiday"].create(
            {"name": "ACL Day", "month": 6, "day": 15}
        )
        env.flush_all()

    # ------------------------------------------------------------------ tools
    @contextmanager
    def _attempt(self):
        """Run a real call in a savepoint, rolled back whatever happens, so that
        each profile starts from the same records."""
        self.env.flush_all()
        self.env.cr.execute("SAVEPOINT acl_matrix_attempt")
        try:
            yield
            self.env.flush_all()
        finally:
            self.env.invalidate_all(flush=False)
            self.env.cr.execute("ROLLBACK TO SAVEPOINT acl_matrix_attempt")

    def _keys(self, lead_ids):
        return {self.key_of[lead_id] for lead_id in lead_ids if lead_id in self.key_of}

    def _visible_lead_keys(self, profile, model):
        """Keys of the leads whose rows of ``model`` the profile finds, or None when
        the search itself is refused."""
        user = self.users[profile]
        records = self.env[model].with_user(user)
        field = "id" if model == "crm.lead" else "lead_id"
        try:
            found = records.search([(field, "in", self.lead_ids)])
        except AccessError:
            return None
        if model == "crm.lead":
            return self._keys(found.ids)
        return self._keys(found.sudo().mapped("lead_id").ids)

    def _expected_rights(self, profile, model):
        if profile in OUTSIDERS:
            return ""
        salesman, manager = ACL[model]
        return manager if profile in MANAGERS else salesman

    # ------------------------------------------------------------ rights (ACL)
    def test_access_rights_matrix(self):
        """check_access / has_access of every new model for every profile."""
        for profile in PROFILES:
            user = self.users[profile]
            for model in ACL:
                expected = self._expected_rights(profile, model)
                for letter, operation in OPERATIONS.items():
                    with self.subTest(profile=profile, model=model, op=operation):
                        records = self.env[model].with_user(user)
                        allowed = letter in expected
                        self.assertEqual(records.has_access(operation), allowed)
                        if allowed:
                            records.check_access(operation)
                        else:
                            with self.assertRaises(AccessError):
                                records.check_access(operation)

    # ------------------------------------------------------------ rows (rules)
    def test_rows_bound_to_a_lead(self):
        """Leads, history, enrolments, feedback cards and the sequence report:
        own + unassigned for own-documents salespeople, all of the company for the
        others, nothing for portal and public, nothing across companies."""
        models = (
            "crm.lead",
            "prospect.lead.history",
            "prospect.sequence.enrollment",
            "prospect.feedback.card",
            "prospect.sequence.report",
        )
        for profile in PROFILES:
            for model in models:
                with self.subTest(profile=profile, model=model):
                    self.assertEqual(
                        self._visible_lead_keys(profile, model),
                        VISIBLE_LEADS[profile],
                    )

    def test_rows_never_cross_companies(self):
        """Whatever the database holds (demo data included), a user of one company
        finds no row of the other through any model with a company."""
        models = (
            "crm.lead",
            "prospect.lead.history",
            "prospect.sequence.enrollment",
            "prospect.feedback.card",
            "prospect.sequence.report",
            "prospect.sequence",
        )
        for profile in SALES:
            user = self.users[profile]
            for model in models:
                with self.subTest(profile=profile, model=model):
                    count = (
                        self.env[model]
                        .with_user(user)
                        .search_count(
                            [
                                ("company_id", "not in", user.company_ids.ids),
                                ("company_id", "!=", False),
                            ]
                        )
                    )
                    self.assertEqual(count, 0)

    def test_sequences_by_company(self):
        expected = {
            profile: (
                {"b", "shared"} if profile == "other_company" else {"a", "shared"}
            )
            for profile in SALES
        }
        ids = [sequence.id for sequence in self.sequences.values()]
        key_of = {sequence.id: key for key, sequence in self.sequences.items()}
        for profile in PROFILES:
            with self.subTest(profile=profile):
                sequences = self.env["prospect.sequence"].with_user(self.users[profile])
                if profile in OUTSIDERS:
                    with self.assertRaises(AccessError):
                        sequences.search([("id", "in", ids)])
                    continue
                found = sequences.search([("id", "in", ids)])
                self.assertEqual({key_of[i] for i in found.ids}, expected[profile])

    def test_sequence_steps_by_company(self):
        """The steps (mailings, templates) of a company's sequence are that
        company's, like the sequence itself."""
        ids = [sequence.step_ids.id for sequence in self.sequences.values()]
        key_of = {seq.step_ids.id: key for key, seq in self.sequences.items()}
        for profile in SALES:
            with self.subTest(profile=profile):
                steps = (
                    self.env["prospect.sequence.step"]
                    .with_user(self.users[profile])
                    .search([("id", "in", ids)])
                )
                expected = (
                    {"b", "shared"} if profile == "other_company" else {"a", "shared"}
                )
                self.assertEqual({key_of[i] for i in steps.ids}, expected)

    def test_care_log_rows_follow_the_lead(self):
        """Greetings planned for key accounts are rows of a customer of one
        company: they follow the visibility of their lead like the history."""
        for profile in PROFILES:
            with self.subTest(profile=profile):
                self.assertEqual(
                    self._visible_lead_keys(profile, "prospect.care.log"),
                    VISIBLE_LEADS[profile],
                )

    def test_configuration_rows(self):
        """Cadence rules and holidays are shared settings: every salesperson reads
        them, portal and public users never."""
        for profile in PROFILES:
            for record in (self.cadence_rule, self.holiday):
                with self.subTest(profile=profile, model=record._name):
                    mine = record.with_user(self.users[profile])
                    if profile in OUTSIDERS:
                        with self.assertRaises(AccessError):
                            mine.search([("id", "=", record.id)])
                    else:
                        self.assertEqual(mine.search([("id", "=", record.id)]), record)

    # ------------------------------------------------------------ real writes
    def test_real_writes_on_configuration(self):
        """Write, create and delete for real: Sales managers only."""
        calls = {
            "cadence rule write": lambda u: self.cadence_rule.with_user(u).write(
                {"interval_days": 12}
            ),
            "cadence rule create": lambda u: (
                self.env["prospect.cadence.rule"]
                .with_user(u)
                .create({"interval_days": 13})
            ),
            "cadence rule unlink": lambda u: self.cadence_rule.with_user(u).unlink(),
            "holiday write": lambda u: self.holiday.with_user(u).write({"day": 16}),
            "holiday unlink": lambda u: self.holiday.with_user(u).unlink(),
            "sequence write": lambda u: (
                self.sequences["shared"].with_user(u).write({"description": "changed"})
            ),
            "step write": lambda u: (
                self.sequences["shared"].step_ids.with_user(u).write({"delay_days": 5})
            ),
            "sequence create": lambda u: (
                self.env["prospect.sequence"]
                .with_user(u)
                .create({"name": "ACL new sequence"})
            ),
        }
        for profile in PROFILES:
            user = self.users[profile]
            for name, call in calls.items():
                with self.subTest(profile=profile, call=name):
                    if profile in MANAGERS:
                        with self._attempt():
                            call(user)
                    else:
                        with self._attempt(), self.assertRaises(AccessError):
                            call(user)

    def test_real_writes_on_history_and_cards(self):
        """Nobody edits history or feedback by hand; managers may delete them."""
        for profile in PROFILES:
            user = self.users[profile]
            key = WORK_LEAD[profile]
            for records in (self.histories[key], self.cards[key]):
                with self.subTest(profile=profile, model=records._name):
                    with self._attempt(), self.assertRaises(AccessError):
                        records.with_user(user).write({"company_id": self.company_b.id})
                    if profile in MANAGERS:
                        with self._attempt():
                            records.with_user(user).unlink()
                    else:
                        with self._attempt(), self.assertRaises(AccessError):
                            records.with_user(user).unlink()

    def test_enrolment_actions_follow_the_lead(self):
        """A salesperson pauses the enrolment of their lead, not a colleague's."""
        for profile in PROFILES:
            user = self.users[profile]
            for key, enrollment in self.enrollments.items():
                with self.subTest(profile=profile, lead=key):
                    mine = enrollment.with_user(user)
                    if key in (VISIBLE_LEADS[profile] or ()):
                        with self._attempt():
                            mine.action_pause()
                            self.assertTrue(enrollment.paused)
                    else:
                        with self._attempt(), self.assertRaises(AccessError):
                            mine.action_pause()

    def test_enrol_as_each_profile(self):
        """Enrol a lead one may write in a sequence of one's company."""
        self.env["prospect.sequence.enrollment"].search(
            [("lead_id", "in", self.lead_ids)]
        )._stop("manual")
        for profile in PROFILES:
            user = self.users[profile]
            key = WORK_LEAD[profile]
            sequence = self.sequences["b" if key == "b" else "a"]
            values = {"lead_id": self.leads[key].id, "sequence_id": sequence.id}
            enrollments = self.env["prospect.sequence.enrollment"].with_user(user)
            with self.subTest(profile=profile):
                if profile in OUTSIDERS:
                    with self._attempt(), self.assertRaises(AccessError):
                        enrollments.create(values)
                else:
                    with self._attempt():
                        self.assertEqual(enrollments.create(values).state, "running")
            with self.subTest(profile=profile, lead="not theirs"):
                other = "b" if key != "b" else "own"
                values = {
                    "lead_id": self.leads[other].id,
                    "sequence_id": self.sequences["shared"].id,
                }
                if other in (VISIBLE_LEADS[profile] or ()):
                    continue
                with self._attempt(), self.assertRaises(AccessError):
                    enrollments.create(values)

    def test_enrol_wizard_keeps_companies_apart(self):
        """Even for someone who sees both companies, a sequence of company A
        skips the leads of company B."""
        enrollments = self.env["prospect.sequence.enrollment"]
        enrollments.search([("lead_id", "in", self.lead_ids)])._stop("manual")
        wizard = self.env["prospect.sequence.enroll.wizard"].create(
            {
                "lead_ids": [Command.set((self.leads["own"] + self.leads["b"]).ids)],
                "sequence_id": self.sequences["a"].id,
            }
        )
        self.assertEqual(wizard.enrollable_ids, self.leads["own"])
        wizard.action_confirm()
        running = enrollments.search(
            [("lead_id", "in", self.lead_ids), ("state", "=", "running")]
        )
        self.assertEqual(running.lead_id, self.leads["own"])
        # a salesperson cannot slip a colleague's lead into their wizard
        running._stop("manual")
        with self._attempt(), self.assertRaises(AccessError):
            self.env["prospect.sequence.enroll.wizard"].with_user(
                self.users["salesman"]
            ).create(
                {
                    "lead_ids": [
                        Command.set((self.leads["own"] + self.leads["colleague"]).ids)
                    ],
                    "sequence_id": self.sequences["a"].id,
                }
            ).action_confirm()

    def test_recycle_only_managers(self):
        for profile in PROFILES:
            user = self.users[profile]
            lead = self.leads[WORK_LEAD[profile]]
            with self.subTest(profile=profile):
                with self._attempt():
                    lead.write(
                        {
                            "active": False,
                            "date_abandoned": fields.Date.today(),
                            "abandon_reason": "Too costly",
                        }
                    )
                    if profile in MANAGERS:
                        lead.with_user(user).action_prospect_recycle()
                        self.assertTrue(lead.active)
                        self.assertFalse(lead.date_abandoned)
                    else:
                        with self.assertRaises(AccessError):
                            lead.with_user(user).action_prospect_recycle()
                        self.assertFalse(lead.active)

    # ------------------------------------------------------------ lead fields
    def test_engine_fields_are_refused_but_to_admin(self):
        for profile in PROFILES:
            user = self.users[profile]
            lead = self.leads[WORK_LEAD[profile]]
            for name, value in ENGINE_VALUES.items():
                with self.subTest(profile=profile, field=name):
                    if profile == "admin":
                        with self._attempt():
                            lead.with_user(user).write({name: value})
                            self.assertEqual(lead[name], value)
                    else:
                        with self._attempt(), self.assertRaises(AccessError):
                            lead.with_user(user).write({name: value})
                with self.subTest(profile=profile, field=name, op="create"):
                    values = {"name": "ACL forced", "type": "opportunity", name: value}
                    leads = self.env["crm.lead"].with_user(user)
                    if profile == "admin":
                        with self._attempt():
                            self.assertEqual(leads.create(values)[name], value)
                    else:
                        with self._attempt(), self.assertRaises(AccessError):
                            leads.create(values)

    def test_black_key_account_only_for_managers(self):
        for profile in PROFILES:
            user = self.users[profile]
            lead = self.leads[WORK_LEAD[profile]].with_user(user)
            with self.subTest(profile=profile, colour="black"):
                if profile in MANAGERS:
                    with self._attempt():
                        lead.write({"key_account_colour": "black"})
                        self.assertEqual(lead.key_account_colour, "black")
                else:
                    error = AccessError if profile in OUTSIDERS else ValidationError
                    with self._attempt(), self.assertRaises(error):
                        lead.write({"key_account_colour": "black"})
            with self.subTest(profile=profile, colour="red"):
                if profile in OUTSIDERS:
                    with self._attempt(), self.assertRaises(AccessError):
                        lead.write({"key_account_colour": "red"})
                else:
                    with self._attempt():
                        lead.write({"key_account_colour": "red"})
                        self.assertEqual(lead.key_account_colour, "red")

    # ------------------------------------------------------------ wizards
    def test_handover_only_managers(self):
        values = {
            "user_id": self.users["salesman"].id,
            "mode": "user",
            "target_user_id": self.users["all_leads"].id,
        }
        own = self.leads["own"]
        for profile in PROFILES:
            user = self.users[profile]
            with self.subTest(profile=profile):
                wizards = self.env["prospect.handover.wizard"].with_user(user)
                if profile in {"manager", "admin"}:
                    with self._attempt():
                        wizards.create(values).action_confirm()
                        self.assertEqual(own.user_id, self.users["all_leads"])
                elif profile == "other_company":
                    # company A's leads are none of their business: nothing moves
                    with self._attempt():
                        result = wizards.create(values).action_confirm()
                        self.assertEqual(result["params"]["type"], "warning")
                        self.assertEqual(own.user_id, self.users["salesman"])
                else:
                    with self._attempt(), self.assertRaises(AccessError):
                        wizards.create(values)
                    # nor through a wizard someone else prepared
                    wizard = self.env["prospect.handover.wizard"].create(values)
                    with self._attempt(), self.assertRaises(AccessError):
                        wizard.with_user(user).action_confirm()
                    self.assertEqual(own.user_id, self.users["salesman"])

    def test_rescore_now_only_managers(self):
        """Rescore now schedules the nightly job: Sales managers only."""
        cron = self.env.ref("prospect_development.ir_cron_prospect_rescore")
        triggers = self.env["ir.cron.trigger"]
        for profile in PROFILES:
            user = self.users[profile]
            leads = self.env["crm.lead"].with_user(user)
            with self.subTest(profile=profile):
                before = triggers.search_count([("cron_id", "=", cron.id)])
                if profile in MANAGERS:
                    leads.action_prospect_rescore_now()
                    expected = before + 1
                else:
                    with self.assertRaises(AccessError):
                        leads.action_prospect_rescore_now()
                    expected = before
                self.assertEqual(
                    triggers.search_count([("cron_id", "=", cron.id)]), expected
                )

    def _activities_for(self, lead, user):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.lead"),
                ("res_id", "=", lead.id),
                ("user_id", "=", user.id),
                ("summary", "=", "Abandonment requested"),
            ]
        )

    def test_abandonment_request_and_decision(self):
        abandoned = self.env.ref("prospect_development.lost_reason_abandoned")
        leader = self.users["team_leader"]
        for profile in PROFILES:
            user = self.users[profile]
            key = WORK_LEAD[profile]
            lead = self.leads[key]
            values = {"lead_ids": [Command.set(lead.ids)], "reason": "Too costly"}
            wizards = self.env["prospect.abandon.wizard"].with_user(user)
            with self.subTest(profile=profile):
                if profile in OUTSIDERS:
                    with self._attempt(), self.assertRaises(AccessError):
                        wizards.create(values).action_confirm()
                    continue
                with self._attempt():
                    wizards.create(values).action_confirm()
                    if profile in MANAGERS:
                        self.assertFalse(lead.active)
                        self.assertEqual(lead.lost_reason_id, abandoned)
                        self.assertEqual(lead.abandon_reason, "Too costly")
                        self.assertTrue(lead.date_abandoned)
                        self.assertEqual(self.enrollments[key].state, "stopped")
                        self.assertEqual(self.enrollments[key].stop_reason, "abandoned")
                    else:
                        # a request: the team leader decides, nothing is lost yet
                        self.assertTrue(lead.active)
                        self.assertFalse(lead.date_abandoned)
                        self.assertEqual(len(self._activities_for(lead, leader)), 1)
            if profile in NON_MANAGER_SALES:
                with self.subTest(profile=profile, lead="not theirs"):
                    others = set(COMPANY_A_LEADS) - (VISIBLE_LEADS[profile] or set())
                    for other in others:
                        values["lead_ids"] = [Command.set(self.leads[other].ids)]
                        with self._attempt(), self.assertRaises(AccessError):
                            wizards.create(values).action_confirm()
            if profile == "other_company":
                with self.subTest(profile=profile, lead="company A"):
                    values["lead_ids"] = [Command.set(self.leads["own"].ids)]
                    with self._attempt(), self.assertRaises(AccessError):
                        wizards.create(values).action_confirm()
                    self.assertTrue(self.leads["own"].active)

    # ------------------------------------------------------------ menus
    def test_menus(self):
        menus = {
            xmlid: self.env.ref(f"prospect_development.{xmlid}") for xmlid in MENUS
        }
        for profile in PROFILES:
            try:
                visible = (
                    self.env["ir.ui.menu"]
                    .with_user(self.users[profile])
                    ._visible_menu_ids(debug=False)
                )
            except AccessError:
                # the public user may not even read menus
                visible = set()
            if profile == "public":
                self.assertFalse(visible)
            for xmlid, menu in menus.items():
                with self.subTest(profile=profile, menu=xmlid):
                    self.assertEqual(menu.id in visible, profile in MENUS[xmlid])

    # ------------------------------------------------------------ tier report
    def test_tier_report_leads_sheet_per_profile(self):
        wizards = self.env["prospect.tier.report.wizard"]
        if not hasattr(wizards, "_generate_xlsx"):
            self.skipTest("prospect.tier.report.wizard._generate_xlsx is not there yet")
        company_b_leads = set(
            self.env["crm.lead"].search([("company_id", "=", self.company_b.id)]).ids
        )
        for profile in PROFILES:
            user = self.users[profile]
            with self.subTest(profile=profile):
                if profile in OUTSIDERS:
                    with self.assertRaises(AccessError):
                        wizards.with_user(user).create({})
                    continue
                # no team filter: "every team you may see" (a team leader's
                # default is their own teams)
                wizard = wizards.with_user(user).create({"team_ids": [Command.clear()]})
                content = wizard._generate_xlsx()
                sheet = load_workbook(io.BytesIO(content), read_only=True)["Leads"]
                exported = [
                    row[0]
                    for row in sheet.iter_rows(min_row=2, values_only=True)
                    if row and row[0] is not None
                ]
                self.assertEqual(len(exported), len(set(exported)), "one row a lead")
                exported = {int(lead_id) for lead_id in exported}
                self.assertEqual(self._keys(exported), VISIBLE_LEADS[profile])
                # every lead the user may read in their companies, and those
                # without a company (the workbook's "No company" section)
                readable = (
                    self.env["crm.lead"]
                    .with_user(user)
                    .search(
                        [
                            "|",
                            ("company_id", "in", user.company_ids.ids),
                            ("company_id", "=", False),
                        ]
                    )
                )
                self.assertEqual(exported, set(readable.ids))
                if profile != "other_company":
                    self.assertFalse(exported & company_b_leads)

    def test_tier_report_of_another_company_is_refused(self):
        """Choosing a company one does not work in exports nothing of it."""
        wizards = self.env["prospect.tier.report.wizard"]
        if not hasattr(wizards, "_generate_xlsx"):
            self.skipTest("prospect.tier.report.wizard._generate_xlsx is not there yet")
        for profile in NON_MANAGER_SALES | {"manager"}:
            user = self.users[profile]
            with self.subTest(profile=profile):
                wizard = wizards.with_user(user).create(
                    {
                        "company_ids": [Command.set(self.company_b.ids)],
                        "team_ids": [Command.clear()],
                    }
                )
                content = wizard._generate_xlsx()
                sheet = load_workbook(io.BytesIO(content), read_only=True)["Leads"]
                exported = {
                    int(row[0])
                    for row in sheet.iter_rows(min_row=2, values_only=True)
                    if row and row[0] is not None
                }
                self.assertFalse(self._keys(exported) & {"b"})
                self.assertFalse(
                    self.env["crm.lead"]
                    .browse(exported)
                    .filtered(lambda lead: lead.company_id == self.company_b)
                )

    # ------------------------------------------------------------ multi-company
    def test_rescoring_ranks_each_company_apart(self):
        """A big customer of company B pushes no customer of company A down, and
        one partner may be super in B and small in A."""
        won = self.env["crm.stage"].create(
            {"name": "ACL Won", "is_won": True, "sequence": 999}
        )
        partners = {
            name: self.env["res.partner"].create({"name": name, "is_company": True})
            for name in ("ACL A1", "ACL A2", "ACL Shared")
        }
        deals = [
            ("a1", "ACL A1", self.company_a, 1_000),
            ("a2", "ACL A2", self.company_a, 500),
            ("shared_a", "ACL Shared", self.company_a, 50),
            ("shared_b", "ACL Shared", self.company_b, 1_000_000),
        ]
        leads = {}
        for key, partner, company, revenue in deals:
            leads[key] = self.env["crm.lead"].create(
                {
                    "name": f"ACL deal {key}",
                    "type": "opportunity",
                    "partner_id": partners[partner].id,
                    "company_id": company.id,
                    "team_id": False,
                    "user_id": False,
                    "expected_revenue": revenue,
                    "stage_id": self.open_stage.id,
                }
            )
        deal_leads = self.env["crm.lead"].union(*leads.values())
        # scored once as open leads, so that winning them is a tier move with history
        self.env["crm.lead"]._action_prospect_rescore()
        deal_leads.write({"stage_id": won.id})
        deal_leads.write({"date_closed": fields.Datetime.now() - timedelta(days=10)})
        self.env["crm.lead"]._action_prospect_rescore()
        # company A: 3 customers, ceil(3 * 1%) = 1 super, the others small
        self.assertEqual(leads["a1"].pyramid_tier, "super")
        self.assertEqual(leads["a2"].pyramid_tier, "small")
        self.assertEqual(leads["shared_a"].pyramid_tier, "small")
        self.assertEqual(leads["shared_a"].pyramid_revenue, 50)
        # company B: the same partner alone, super, with B's revenue only
        self.assertEqual(leads["shared_b"].pyramid_tier, "super")
        self.assertEqual(leads["shared_b"].pyramid_revenue, 1_000_000)
        # the history of B's move is B's only
        for profile in SALES:
            history = (
                self.env["prospect.lead.history"]
                .with_user(self.users[profile])
                .search([("lead_id", "in", deal_leads.ids)])
            )
            # the deals are unassigned: own-documents salespeople see them too
            expected = (
                {leads["shared_b"].id}
                if profile == "other_company"
                else {leads[key].id for key in ("a1", "a2", "shared_a")}
            )
            with self.subTest(profile=profile):
                self.assertEqual(set(history.mapped("lead_id").ids), expected)

    def test_sequence_of_a_company_enrols_only_its_leads(self):
        enrollments = self.env["prospect.sequence.enrollment"]
        enrollments.search([("lead_id", "in", self.lead_ids)])._stop("manual")
        with self._attempt(), self.assertRaises(UserError):
            enrollments.create(
                {"lead_id": self.leads["b"].id, "sequence_id": self.sequences["a"].id}
            )
        with self._attempt(), self.assertRaises(UserError):
            enrollments.create(
                {"lead_id": self.leads["own"].id, "sequence_id": self.sequences["b"].id}
            )
        # a sequence of no company takes the leads of both
        with self._attempt():
            both = enrollments.create(
                [
                    {
                        "lead_id": self.leads[key].id,
                        "sequence_id": self.sequences["shared"].id,
                    }
                    for key in ("own", "b")
                ]
            )
            self.assertEqual(len(both), 2)


@tagged("post_install", "-at_install")
class TestAccessMatrixRoutes(HttpCase):
    """The routes as each kind of visitor reaches them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env["res.company"].create({"name": "ACL Route Company"})
        cls.salesman = _new_user(
            cls.env, "acl_route_salesman", "sales_team.group_sale_salesman", company
        )
        cls.colleague = _new_user(
            cls.env, "acl_route_colleague", "sales_team.group_sale_salesman", company
        )
        cls.portal = _new_user(
            cls.env, "acl_route_portal", "base.group_portal", company
        )

    @mute_logger("odoo.http")
    def test_public_visitor_gets_the_polite_page(self):
        for token in ("x" * 43, "not-a-token", "1"):
            with self.subTest(token=token):
                response = self.url_open(f"/prospect/feedback/{token}")
                self.assertEqual(response.status_code, 404)
                self.assertIn("This link is not valid", response.text)
                self.assertEqual(response.headers.get("Cache-Control"), "no-store")

    @mute_logger("odoo.http")
    def test_tier_report_download_requires_its_owner(self):
        if not importlib.util.find_spec(
            "odoo.addons.prospect_development.controllers.tier_report"
        ):
            self.skipTest("the tier report download route does not exist yet")
        wizard = (
            self.env["prospect.tier.report.wizard"].with_user(self.salesman).create({})
        )
        url = f"/prospect/tier_report/{wizard.id}"
        # public visitor: sent to the login page
        response = self.url_open(url, allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])
        # portal user: not an internal user's report
        self.authenticate("acl_route_portal", "acl_route_portal")
        response = self.url_open(url, allow_redirects=False)
        self.assertNotEqual(response.status_code, 200)
        # a colleague: not theirs
        self.authenticate("acl_route_colleague", "acl_route_colleague")
        self.assertEqual(self.url_open(url).status_code, 404)
        # the owner
        self.authenticate("acl_route_salesman", "acl_route_salesman")
        response = self.url_open(url, timeout=60)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.content.startswith(b"PK"))
