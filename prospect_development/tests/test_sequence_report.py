from datetime import timedelta

from odoo import fields
from odoo.tests import tagged, users

from .common import ProspectCase

MEASURES = [
    "sent",
    "feedback",
    "questions",
    "call_agreed",
    "proposal_asked",
    "replied",
    "bounced",
    "opted_out",
    "stopped",
]


@tagged("post_install", "-at_install")
class TestSequenceReport(ProspectCase):
    """The Sequence Effect report counts what really came back from the mailings
    the sequence engine sent: cards answered, replies, bounces, stops, each within
    the sequence's effect window, and shows each user only the leads they may read."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the demo campaign's enrolments may be due: keep the runs to ours
        cls.env["prospect.sequence.enrollment"].search(
            [("state", "=", "running")]
        ).write({"paused": True})
        cls.other_company = cls.env["res.company"].create({"name": "Other Region"})
        cls.sequence = cls.env["prospect.sequence"].create(
            {
                "name": "Report Direct Mail",
                "measure_days": 30,
                "step_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Introduction",
                            "sequence": 1,
                            "delay_days": 0,
                            "template_id": cls.env.ref(
                                "prospect_development.mail_template_dm_company_intro"
                            ).id,
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "name": "Newsletter",
                            "sequence": 2,
                            "delay_days": 10,
                            "template_id": cls.env.ref(
                                "prospect_development.mail_template_dm_newsletter"
                            ).id,
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "name": "Problem analysis",
                            "sequence": 3,
                            "delay_days": 10,
                            "template_id": cls.env.ref(
                                "prospect_development.mail_template_dm_problem_analysis"
                            ).id,
                        },
                    ),
                ],
            }
        )
        cls.step_1, cls.step_2, _step_3 = cls.sequence.step_ids.sorted()
        salesman, all_leads, manager = (
            cls.user_sales_salesman,
            cls.user_sales_leads,
            cls.user_sales_manager,
        )
        cls.partners = cls.env["res.partner"].create(
            [
                {"name": f"Buyer {n}", "email": f"buyer{n}@customer{n}.example"}
                for n in range(1, 7)
            ]
        )
        p = cls.partners
        cls.lead_call = cls._open_lead(
            "Call me", partner_id=p[0].id, user_id=salesman.id
        )
        cls.lead_proposal = cls._open_lead(
            "Proposal later", partner_id=p[1].id, user_id=salesman.id
        )
        cls.lead_reply = cls._open_lead(
            "Writes back", partner_id=p[2].id, user_id=all_leads.id
        )
        cls.lead_bounce = cls._open_lead(
            "Bad address",
            email_from="nobody@gone.example",
            user_id=False,
            team_id=False,
        )
        cls.lead_late = cls._open_lead(
            "Answers late", partner_id=p[4].id, user_id=manager.id
        )
        cls.lead_silent = cls._open_lead(
            "Silent", partner_id=p[5].id, user_id=salesman.id
        )
        cls.lead_elsewhere = cls.env["crm.lead"].create(
            {
                "name": "Other region",
                "type": "opportunity",
                "email_from": "buyer@elsewhere.example",
                "company_id": cls.other_company.id,
                "user_id": False,
                "team_id": False,
            }
        )
        cls.leads = (
            cls.lead_call
            + cls.lead_proposal
            + cls.lead_reply
            + cls.lead_bounce
            + cls.lead_late
            + cls.lead_silent
            + cls.lead_elsewhere
        )

    def _enrol_and_send_step_1(self):
        Enrollment = self.env["prospect.sequence.enrollment"]
        self.enrollments = Enrollment.create(
            [
                {"lead_id": lead.id, "sequence_id": self.sequence.id}
                for lead in self.leads
            ]
        )
        self.assertEqual(Enrollment._action_send_due(), 7)

    def _send_step_2(self):
        running = self.enrollments.filtered(lambda e: e.state == "running")
        running.sudo().write(
            {"next_date": fields.Datetime.now() - timedelta(minutes=1)}
        )
        return self.env["prospect.sequence.enrollment"]._action_send_due()

    def _card(self, lead, step):
        return self.env["prospect.feedback.card"].search(
            [("lead_id", "=", lead.id), ("step_id", "=", step.id)]
        )

    def _answer(self, lead, step, **form):
        card = self._card(lead, step)
        self.assertTrue(card._submit(card._parse_answers(form)))

    def _send_back_in_time(self, lead, days):
        """As if the lead's mailings had been sent ``days`` (step 2) and ``days`` +
        10 (step 1) days ago."""
        self._card(lead, self.step_1).date_sent -= timedelta(days=days + 10)
        self._card(lead, self.step_2).date_sent -= timedelta(days=days)

    def _run_the_sequence(self):
        """Step 1 to seven leads, what comes back, step 2 to those still running,
        what comes back."""
        self._enrol_and_send_step_1()
        self._answer(
            self.lead_call,
            self.step_1,
            interest="now",
            call_wanted="yes",
            call_time="morning",
        )
        self._answer(
            self.lead_proposal,
            self.step_1,
            interest="later",
            concern="What does it cost?",
        )
        self.lead_reply.message_post(
            body="Interesting, can you tell me more?",
            message_type="email",
            author_id=self.partners[2].id,
            email_from=self.partners[2].email,
        )
        self.lead_bounce._message_receive_bounce(
            "nobody@gone.example", self.env["res.partner"]
        )
        # step 2: the proposal, late, silent and other-region leads still run
        self.assertEqual(self._send_step_2(), 4)
        self._answer(
            self.lead_proposal, self.step_2, interest="now", proposal_wanted="yes"
        )
        self._send_back_in_time(self.lead_late, 40)
        self._answer(self.lead_late, self.step_2, interest="now", call_wanted="yes")
        self._send_back_in_time(self.lead_silent, 40)
        self.lead_silent.message_post(
            body="Sorry, I was away.",
            message_type="email",
            author_id=self.partners[5].id,
            email_from=self.partners[5].email,
        )
        self.env.flush_all()

    def _figures(self, report, domain=(), groupby="step_id"):
        groups = report.read_group(
            [("sequence_id", "=", self.sequence.id), *domain],
            [f"{m}:sum" for m in MEASURES],
            [groupby],
            lazy=False,
        )
        return {
            group[groupby][0] if group[groupby] else False: {
                m: group[m] for m in MEASURES
            }
            for group in groups
        }

    def test_effect_per_step(self):
        self._run_the_sequence()
        self.assertEqual(
            self.enrollments.mapped("stop_reason"),
            ["feedback", "feedback", "reply", "bounce", "feedback", "reply", False],
            "the engine stops on a call asked for, a proposal, a reply and a bounce",
        )
        report = self.env["prospect.sequence.report"]
        rows = report.search([("sequence_id", "=", self.sequence.id)])
        cards = self.env["prospect.feedback.card"].browse(rows.ids)
        self.assertEqual(len(rows), 11, "one row per mailing sent")
        self.assertEqual(
            self.env["mail.mail"].search_count(
                [("mail_message_id", "in", cards.mail_message_id.ids)]
            ),
            11,
            "each row is a mailing queued on the lead's thread",
        )
        figures = self._figures(report, [("company_id", "=", self.pyramid_company.id)])
        self.assertEqual(
            figures[self.step_1.id],
            {
                "sent": 6,
                "feedback": 2,
                "questions": 2,  # a concern on the card, a mail back
                "call_agreed": 1,
                "proposal_asked": 0,
                "replied": 1,
                "bounced": 1,
                "opted_out": 0,
                "stopped": 3,  # the proposal lead went on to step 2
            },
        )
        self.assertEqual(
            figures[self.step_2.id],
            {
                "sent": 3,
                # the late lead answered and the silent one wrote 40 days after the
                # mailing: beyond the 30-day window, they do not count
                "feedback": 1,
                "questions": 0,
                "call_agreed": 0,
                "proposal_asked": 1,
                "replied": 0,
                "bounced": 0,
                "opted_out": 0,
                # stops count whenever they come: the proposal, the late answer
                # asking for a call and the late reply stopped the sequence
                "stopped": 3,
            },
        )
        # a longer window takes the late answer and the late reply in
        self.sequence.measure_days = 60
        self.env.flush_all()
        figures = self._figures(report, [("company_id", "=", self.pyramid_company.id)])
        self.assertEqual(
            {
                m: figures[self.step_2.id][m]
                for m in ("feedback", "call_agreed", "replied")
            },
            {"feedback": 2, "call_agreed": 1, "replied": 1},
        )

    def test_rates_and_stop_reasons(self):
        self._run_the_sequence()
        report = self.env["prospect.sequence.report"]
        domain = [
            ("sequence_id", "=", self.sequence.id),
            ("company_id", "=", self.pyramid_company.id),
        ]
        groups = report.read_group(
            domain,
            ["feedback_rate:avg", "bounce_rate:avg", "call_agreed_rate:avg"],
            ["step_id"],
        )
        rates = {g["step_id"][0]: g for g in groups}
        self.assertAlmostEqual(rates[self.step_1.id]["feedback_rate"], 100 * 2 / 6)
        self.assertAlmostEqual(rates[self.step_1.id]["bounce_rate"], 100 / 6)
        self.assertAlmostEqual(rates[self.step_2.id]["feedback_rate"], 100 / 3)
        self.assertAlmostEqual(rates[self.step_2.id]["call_agreed_rate"], 0)
        reasons = {
            g["stop_reason"]: g["stopped"]
            for g in report.read_group(domain, ["stopped:sum"], ["stop_reason"])
        }
        self.assertEqual(reasons, {"feedback": 3, "reply": 2, "bounce": 1, False: 0})
        rows = report.search(domain + [("stop_reason", "=", "feedback")])
        self.assertEqual(
            {(row.lead_id, row.step_id) for row in rows},
            {
                (self.lead_call, self.step_1),
                (self.lead_proposal, self.step_2),
                (self.lead_late, self.step_2),
            },
            "the stop is counted on the last mailing the lead received",
        )
        self.assertEqual(
            report.search(domain + [("measuring", "=", False)]).lead_id,
            self.lead_late + self.lead_silent,
            "only the mailings sent more than 30 days ago are measured for good",
        )

    def test_figures_follow_lead_access(self):
        self._run_the_sequence()
        # a lost lead keeps its figures
        self.lead_call.action_set_lost()
        companies = (self.pyramid_company + self.env.ref("base.main_company")).ids
        with self.subTest(user="salesman"):
            report = (
                self.env["prospect.sequence.report"]
                .with_user(self.user_sales_salesman)
                .with_context(allowed_company_ids=companies)
            )
            self.assertEqual(
                report.search([("sequence_id", "=", self.sequence.id)]).lead_id,
                self.lead_call
                + self.lead_proposal
                + self.lead_bounce
                + self.lead_silent,
                "own leads and unassigned ones, not a colleague's nor another region's",
            )
            by_sequence = self._figures(report, groupby="sequence_id")
            self.assertEqual(by_sequence[self.sequence.id]["sent"], 6)
        with self.subTest(user="manager"):
            report = (
                self.env["prospect.sequence.report"]
                .with_user(self.user_sales_manager)
                .with_context(allowed_company_ids=companies)
            )
            self.assertEqual(
                report.search([("sequence_id", "=", self.sequence.id)]).lead_id,
                self.leads - self.lead_elsewhere,
            )
        # without record rules (the scheduler, an administrator's sudo) everything
        self.assertEqual(
            self._figures(self.env["prospect.sequence.report"], groupby="company_id")[
                self.other_company.id
            ]["sent"],
            2,
        )

    @users("user_sales_salesman")
    def test_salesman_opens_report_views(self):
        """The report's views load for a salesperson (the menu is theirs too)."""
        report = self.env["prospect.sequence.report"]
        for view_type in ("pivot", "graph", "list", "search"):
            self.assertIn(
                "Sequence Effect", report.get_view(view_type=view_type)["arch"]
            )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "prospect_development.action_prospect_sequence_report"
        )
        self.assertEqual(action["view_mode"].split(",")[0], "pivot")
