"""Demo data of the customer-development method: a realistic customer pyramid.

``prospect.demo.data._generate()`` is called once from ``demo/prospect_demo.xml``. It
builds, deterministically from a seed and relative to today:

* two sales teams (Key Accounts, Direct Mail) and five salespeople;
* customer companies (English and Chinese names) with contact persons, and their won
  opportunities over the last 24 months, revenue heavy-tailed so that the pyramid has
  a few very large customers and a long tail of small ones; some customers bought only
  before the revenue window (inactive);
* open opportunities and leads of customers and of non-customers with every need,
  expected closing date and contact history, so that every grade A-E and every tier
  (prospect, suspect, other...) is populated; a dozen red / black / white key accounts;
* lost opportunities, three of them abandoned after a costly development.

Tier, revenue, score and advice are left to the rescoring engine, run at the end.
Every record gets a ``prospect_development.pd_demo_*`` external id (noupdate), so that
the demo data leaves with the module.
"""

import math
import random
from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.fields import Command
from odoo.tools import SQL

XMLID_PREFIX = "prospect_development.pd_demo_"
MARKER_XMLID = XMLID_PREFIX + "team_key_accounts"

# What prospects write back to a mailing, and what they tick on the feedback card.
REPLIES = (
    "Thank you for the documentation. What would a pilot cost for one plant?",
    "Interesting. Could you send references in our industry?",
    "谢谢您的资料。请问贵公司在华南地区有服务团队吗?",
    "收到,我们下个季度会考虑这个问题,届时再联系。",
)
CARD_ANSWERS = (
    (("interest", "now"), ("call_wanted", "yes"), ("call_time", "morning")),
    (
        ("interest", "now"),
        ("proposal_wanted", "yes"),
        ("concern", "Delivery lead times"),
    ),
    (("interest", "later"), ("concern", "Budget is fixed until next year")),
    (("interest", "later"),),
    (("interest", "none"),),
    (("interest", "later"), ("call_wanted", "yes"), ("call_time", "afternoon")),
)

# ---------------------------------------------------------------------------------
# Vocabulary. Word lists are written as strings to keep them readable: "a b c" is
# split on spaces, "x:y" pairs a Chinese word with its pinyin (for mail addresses).
# ---------------------------------------------------------------------------------


def _words(text):
    return text.split()


def _pairs(text):
    return [tuple(item.split(":")) for item in text.split()]


EN_PREFIXES = _words("""
    Northwind Bluewater Summit Redwood Ironbridge Silverline Harbour Crescent
    Evergreen Atlas Pioneer Granite Falcon Orchid Brightstone Cedar Lakeside Westfield
    Oakridge Stonegate Riverside Highland Kingsbridge Meridian Northgate Sterling
    Horizon Beacon Copperfield Fairview Greenleaf Ashford Blackwood Clearwater
    Eastgate Foxglove Goldcrest Hawthorne Juniper Kestrel Larkspur Millbrook Newbury
    Oakmont Pinecrest Quayside Rosewood Seaview Thornbury Valemont Willowbrook Zenith
""")
# activity:industry code (base.res_partner_industry_<code>); "_" stands for a space
EN_INDUSTRIES = [
    (activity.replace("_", " "), code)
    for activity, code in _pairs("""
        Logistics:H Precision_Tools:C Packaging:C Electronics:C Foods:C Textiles:C
        Engineering:M Pharma:C Plastics:C Hospitality:I Consulting:M Printing:C
        Medical_Supplies:G Automotive_Parts:C Building_Materials:F Software:J Energy:D
        Water_Systems:E Furniture:C Laboratories:M
    """)
]
# groups of digits of a phone number after the country prefix
PHONE_GROUPS = [(20, 989), (100, 999), (1000, 9999)]
# country xmlid: (weight, legal suffixes, cities, phone prefix, street template)
EN_COUNTRIES = {
    "base.us": (
        30,
        ["Inc.", "LLC", "Corp."],
        ["Chicago", "Boston", "Houston", "Seattle", "Atlanta", "Denver", "San Diego"],
        "+1",
        "{n} {name} {kind}",
    ),
    "base.uk": (
        20,
        ["Ltd", "plc"],
        ["Manchester", "Leeds", "Bristol", "Birmingham", "Glasgow", "London"],
        "+44",
        "{n} {name} {kind}",
    ),
    "base.de": (
        12,
        ["GmbH", "AG"],
        ["Hamburg", "Stuttgart", "Düsseldorf", "Leipzig", "Bremen", "Nürnberg"],
        "+49",
        "{de}straße {n}",
    ),
    "base.fr": (
        8,
        ["SAS", "SARL"],
        ["Lyon", "Toulouse", "Lille", "Nantes", "Bordeaux"],
        "+33",
        "{n} rue {fr}",
    ),
    "base.nl": (
        6,
        ["B.V."],
        ["Rotterdam", "Eindhoven", "Utrecht"],
        "+31",
        "{de}straat {n}",
    ),
    "base.au": (
        8,
        ["Pty Ltd"],
        ["Melbourne", "Brisbane", "Perth", "Adelaide"],
        "+61",
        "{n} {name} {kind}",
    ),
    "base.ca": (
        8,
        ["Inc.", "Ltd"],
        ["Toronto", "Calgary", "Vancouver", "Ottawa"],
        "+1",
        "{n} {name} {kind}",
    ),
    "base.sg": (8, ["Pte. Ltd."], ["Singapore"], "+65", "{n} {name} {kind}"),
}
EN_STREETS = _words("""
    High Station Mill Church Park Market King Queen Harbour Bridge Oak Elm Commerce
    Industrial
""")
EN_STREET_KINDS = _words("Street Road Avenue Lane Way")
DE_STREETS = _words("Haupt Bahnhof Industrie Hafen Garten Markt Linden")
FR_STREETS = [
    "de la République",
    "Victor Hugo",
    "du Commerce",
    "de l'Industrie",
    "Pasteur",
    "des Entrepreneurs",
]

ZH_BRANDS = _pairs("""
    华东:huadong 恒通:hengtong 鑫源:xinyuan 宏达:hongda 瑞丰:ruifeng 金诚:jincheng
    永盛:yongsheng 天成:tiancheng 博远:boyuan 嘉禾:jiahe 众合:zhonghe 德润:derun
    昌隆:changlong 华晟:huasheng 联创:lianchuang 万象:wanxiang 盛世:shengshi
    锦程:jinchengda 泰和:taihe 新锐:xinrui 远航:yuanhang 信达:xinda 安泰:antai
    华瑞:huarui 凯旋:kaixuan 富源:fuyuan 明辉:minghui 宝丰:baofeng 龙腾:longteng
    卓越:zhuoyue 汇金:huijin 润达:runda 广源:guangyuan 启航:qihang 精工:jinggong
""")
# city:short pinyin:phone area code
ZH_CITIES = _pairs("""
    上海:sh:21 北京:bj:10 深圳:sz:755 广州:gz:20 杭州:hz:571 苏州:suz:512 南京:nj:25
    成都:cd:28 武汉:wh:27 天津:tj:22 宁波:nb:574 青岛:qd:532 厦门:xm:592 重庆:cq:23
    西安:xa:29 东莞:dg:769
""")
ZH_INDUSTRIES = _pairs("""
    精密机械:C 电子科技:C 包装材料:C 物流:H 食品:C 纺织:C 医疗器械:C 化工:C 建材:F
    汽车零部件:C 信息技术:J 贸易:G 环保科技:E 酒店管理:I 新能源:D
""")
ZH_ROADS = _words("""
    人民路 解放路 中山路 建设路 科技园路 工业大道 长江路 新华路 滨江大道
""")

EN_FIRST_NAMES = _words("""
    Anna James Olivia William Emily Thomas Sarah Michael Laura David Hannah Peter Chloe
    Robert Grace Mark Julia Steven Nina Paul Claire Jonas Lena Marco Elena Victor Isabel
    Henry Alice George
""")
EN_LAST_NAMES = _words("""
    Smith Johnson Brown Taylor Wilson Davies Evans Walker Wright Thompson Schmidt Müller
    Weber Dubois Moreau Bernard Jansen Clarke Hughes Green Baker Turner Parker Collins
    Reed Morgan Bell Murphy Cooper
""")
ZH_SURNAMES = _pairs("""
    王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 赵:zhao 吴:wu 周:zhou 徐:xu
    孙:sun 马:ma 朱:zhu 胡:hu 郭:guo 何:he 林:lin 高:gao 罗:luo
""")
ZH_GIVEN_NAMES = _pairs("""
    伟:wei 芳:fang 娜:na 敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang 勇:yong
    艳:yan 杰:jie 娟:juan 涛:tao 明:ming 超:chao 霞:xia 平:ping 刚:gang 晨:chen
    浩宇:haoyu 欣怡:xinyi 子涵:zihan 建华:jianhua 志强:zhiqiang 秀英:xiuying 俊杰:junjie
""")
EN_FUNCTIONS = [
    "Purchasing Manager",
    "Operations Director",
    "Managing Director",
    "Procurement Officer",
    "Head of Facilities",
    "Plant Manager",
    "IT Manager",
    "Finance Director",
    "Buyer",
    "Maintenance Manager",
]
ZH_FUNCTIONS = _words("""
    采购经理 总经理 运营总监 采购专员 行政主管 厂长 信息部经理 财务总监
    设备部经理 采购总监
""")

# What the demo company sells: (English, Chinese)
DEAL_SUBJECTS = [
    ("CNC spare parts", "数控机床备件采购"),
    ("Annual maintenance contract", "年度维保合同"),
    ("Packaging line upgrade", "包装线升级改造"),
    ("Conveyor system retrofit", "输送系统改造"),
    ("Industrial sensors", "工业传感器采购"),
    ("Operator training", "操作人员培训"),
    ("Safety audit", "安全审核服务"),
    ("Warehouse racking", "仓储货架"),
    ("Energy efficiency study", "能效评估"),
    ("Replacement pumps", "水泵更换"),
    ("Control cabinet refurbishment", "控制柜翻新"),
    ("Preventive maintenance plan", "预防性维护计划"),
    ("Robotic cell integration", "机器人工作站集成"),
    ("Calibration services", "校准服务"),
    ("Compressed air audit", "压缩空气系统审计"),
    ("Spare parts framework agreement", "备件框架协议"),
]
LEAD_SUBJECTS = [
    ("Request for product information", "产品资料索取"),
    ("Catalogue request", "产品目录索取"),
    ("Trade fair contact", "展会名片"),
    ("Website enquiry", "网站咨询"),
    ("Feedback card returned", "回执卡反馈"),
]

# Companies with a fixed identity: (name, country xmlid or index in ZH_CITIES,
# industry code, mail domain). Retailers are white key accounts (volume at a squeezed
# margin), institutions black ones (brand value, little profit).
RETAILERS = [
    ("Everfresh Supermarkets Ltd", "base.uk", "G", "everfresh-supermarkets"),
    ("MegaMart Stores Inc.", "base.us", "G", "megamart-stores"),
    ("华联优选超市连锁有限公司", 0, "G", "hualian-youxuan"),
    ("万家福百货股份有限公司", 3, "G", "wanjiafu-gz"),
]
INSTITUTIONS = [
    ("Royal Harbour Science Museum", "base.uk", "R", "royal-harbour-museum"),
    ("Eastbridge Polytechnic University", "base.us", "P", "eastbridge-polytechnic"),
    ("华东工业设计协会", 0, "S", "huadong-design-assoc"),
]
BRIEF_EXAMPLE = ("上海华东精密机械有限公司", 0, "C", "huadong-precision-sh")

# key (login pd.<key>@example.com), name, team, role, time zone
SALESPEOPLE = [
    ("margaret.lin", "Margaret Lin", "key_accounts", "manager", "Asia/Shanghai"),
    ("daniel.foster", "Daniel Foster", "key_accounts", None, "Europe/London"),
    ("jing.chen", "Jing Chen", "direct_mail", "all_leads", "Asia/Shanghai"),
    ("lei.wang", "Lei Wang", "direct_mail", None, "Asia/Shanghai"),
    ("sophie.martin", "Sophie Martin", "sales", None, "Europe/Paris"),
]
ROLE_GROUPS = {
    None: "sales_team.group_sale_salesman",
    "all_leads": "sales_team.group_sale_salesman_all_leads",
    "manager": "sales_team.group_sale_manager",
}

# Open pipeline profiles: (weight for customers, weight for non-customers, need,
# deadline offset range in days or None). A-E follow from need and deadline.
OPEN_PROFILES = [
    (24, 18, "clear", (-15, 30)),  # A (overdue included)
    (22, 17, "clear", (31, 90)),  # B
    (18, 15, "clear", (91, 180)),  # C
    (6, 5, "clear", (181, 400)),  # D: clear, but later
    (4, 3, "clear", None),  # D: clear, no date
    (16, 14, "potential", (30, 300)),  # D: potential
    (6, 8, False, None),  # D: need not assessed yet
    (4, 20, "none", None),  # E: no need
]
ABANDON_REASON = (
    "Eight mailings and five calls over seven months without an answer; the "
    "development cost is above the expected value."
)
PROBABILITY_BY_GRADE = {
    "a": (55, 85),
    "b": (35, 60),
    "c": (20, 40),
    "d": (5, 25),
    "e": (2, 5),
}


def _nice_amount(amount):
    """Round a random amount the way a salesperson would write it."""
    if amount < 1000:
        return float(max(10, round(amount, -1)))
    if amount < 10000:
        return float(round(amount / 50) * 50)
    if amount < 100000:
        return float(round(amount, -2))
    return float(round(amount, -3))


class ProspectDemoData(models.AbstractModel):
    _name = "prospect.demo.data"
    _description = "Prospect Development demo data"

    @api.model
    def _generate(self, customers=300, seed=42):
        """Create the demo customer pyramid (once; a second call does nothing)."""
        if self.env.ref(MARKER_XMLID, raise_if_not_found=False):
            return False
        generator = _DemoGenerator(
            self.sudo().with_context(
                tracking_disable=True,
                mail_create_nolog=True,
                mail_create_nosubscribe=True,
                mail_notrack=True,
                no_reset_password=True,
            ),
            random.Random(seed),
            customers,
        )
        generator.run()
        self.env["crm.lead"]._action_prospect_rescore()
        self.sudo()._generate_sequences(random.Random(seed))
        return True

    @api.model
    def _generate_sequences(self, rng, weeks=6):
        """Six weeks of the shipped sequences, run by the real engine: suspects in
        the direct-mail sequence, prospects in the feedback one, with the answers,
        replies and bounces such a campaign brings (so the effect report has
        numbers). Mails stay in the outgoing queue, as a real run leaves them."""
        Lead = self.env["crm.lead"]
        Enrollment = self.env["prospect.sequence.enrollment"]
        plan = (
            ("prospect_development.prospect_sequence_direct_mail", "suspect", 60),
            ("prospect_development.prospect_sequence_feedback", "prospect", 30),
        )
        for xmlid, tier, count in plan:
            leads = Lead.search(
                [
                    ("pyramid_tier", "=", tier),
                    ("email_normalized", "!=", False),
                    ("prospect_grade", "!=", "e"),
                    ("prospect_enrollment_ids", "=", False),
                ],
                limit=count,
                order="id",
            )
            Enrollment.create(
                [
                    {"lead_id": lead.id, "sequence_id": self.env.ref(xmlid).id}
                    for lead in leads
                ]
            )
        cards = self.env["prospect.feedback.card"]
        for week in range(weeks, 0, -1):
            Enrollment._action_send_due()
            sent = self.env["prospect.feedback.card"].search(
                [("id", "not in", cards.ids)]
            )
            for card in sent:
                self._demo_outcome(card, rng)
            self._age_cards(sent, days=week * 7)
            cards |= sent
            # the next steps fall due in the following weeks
            running = Enrollment.search([("state", "=", "running")])
            running.write({"next_date": fields.Datetime.now()})
        return cards

    def _age_cards(self, cards, days):
        """Date the mailings of a past week (and their messages) in the past."""
        moment = fields.Datetime.now() - timedelta(days=days)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE prospect_feedback_card
                   SET date_sent = %(moment)s,
                       date_expire = %(moment)s + interval '90 days',
                       date_answered = CASE WHEN date_answered IS NOT NULL
                                            THEN %(moment)s + interval '2 days' END,
                       date_replied = CASE WHEN date_replied IS NOT NULL
                                           THEN %(moment)s + interval '3 days' END
                 WHERE id IN %(ids)s
                """,
                moment=moment,
                ids=tuple(cards.ids) or (0,),
            )
        )
        self.env.cr.execute(
            SQL(
                "UPDATE mail_message SET date = %(moment)s WHERE id IN %(ids)s",
                moment=moment,
                ids=tuple(cards.mail_message_id.ids) or (0,),
            )
        )
        self.env.invalidate_all()

    def _demo_outcome(self, card, rng):
        """What one mailing brought back: mostly nothing, as in real life."""
        draw = rng.random()
        lead = card.lead_id
        if draw < 0.04:
            lead._message_receive_bounce(lead.email_normalized, lead.partner_id)
        elif draw < 0.12:
            lead.message_post(
                body=rng.choice(REPLIES),
                message_type="email",
                author_id=lead.partner_id.id,
                email_from=lead.partner_id.email_formatted or lead.email_from,
                subtype_xmlid="mail.mt_comment",
            )
        elif draw < 0.30:
            answers = rng.choice(CARD_ANSWERS)
            card._submit(card._parse_answers(dict(answers)))


class _DemoGenerator:
    """State of one generation run (not a model: nothing of it is stored)."""

    def __init__(self, model, rng, customers):
        self.env = model.env
        self.rng = rng
        self.customer_count = max(customers, len(RETAILERS) + len(INSTITUTIONS) + 10)
        self.today = fields.Date.context_today(model)
        self.now = fields.Datetime.now()
        self.company = self.env.company
        self.settings = self.env["prospect.settings"]._get()
        self.zh_lang = (
            "zh_CN" if "zh_CN" in dict(self.env["res.lang"].get_installed()) else False
        )
        self.xmlids = []
        self.used_names = set()
        self.used_domains = set()
        self.lead_vals = []  # (vals, closing): closing is None or won/lost info
        self.industries = {
            code: self.env.ref(
                f"base.res_partner_industry_{code}", raise_if_not_found=False
            )
            for code in "CDEFGHIJMPRS"
        }
        self.tags = self.env["crm.tag"].search([])
        stages = self.env["crm.stage"].search(
            [("is_won", "=", False), ("team_id", "=", False)], order="sequence, id"
        ) or self.env["crm.stage"].search(
            [("is_won", "=", False)], order="sequence, id"
        )
        self.stage_new = stages[:1]
        self.stage_qualified = stages[1:2] or self.stage_new
        self.stage_proposition = stages[2:3] or self.stage_qualified
        self.stages_by_grade = {
            "a": [self.stage_proposition],
            "b": [self.stage_qualified, self.stage_proposition],
            "c": [self.stage_qualified],
            "d": [self.stage_new, self.stage_qualified],
            "e": [self.stage_new],
        }
        self.stage_won = self.env["crm.stage"].search(
            [("is_won", "=", True)], order="sequence, id", limit=1
        )

    # -----------------------------------------------------------------------------
    # helpers
    # -----------------------------------------------------------------------------

    def _register(self, records, suffixes):
        for record, suffix in zip(records, suffixes, strict=True):
            self.xmlids.append(
                {"xml_id": XMLID_PREFIX + suffix, "record": record, "noupdate": True}
            )

    def _days_ago(self, days):
        return self.today - timedelta(days=days)

    def _moment(self, day):
        """A working-hours datetime on ``day``, never in the future."""
        moment = datetime.combine(
            day, time(self.rng.randint(8, 17), self.rng.randint(0, 59))
        )
        return min(moment, self.now)

    def _weighted(self, choices, weights):
        return self.rng.choices(choices, weights=weights, k=1)[0]

    def _unique_domain(self, base):
        domain, n = base, 2
        while domain in self.used_domains:
            domain, n = f"{base}{n}", n + 1
        self.used_domains.add(domain)
        return domain

    # -----------------------------------------------------------------------------
    # run
    # -----------------------------------------------------------------------------

    def run(self):
        self._create_teams_and_users()
        self._create_lost_reasons()
        customers = self._create_companies(self.customer_count, customers=True)
        non_customers = self._create_companies(
            max(20, round(self.customer_count * 0.28)), customers=False
        )
        self._create_contacts(customers + non_customers)
        self._plan_customer_deals(customers)
        self._plan_non_customer_leads(non_customers)
        self._plan_raw_leads(max(10, round(self.customer_count * 0.12)))
        self._create_leads()
        self.env["ir.model.data"]._update_xmlids(self.xmlids)

    # -----------------------------------------------------------------------------
    # teams and salespeople
    # -----------------------------------------------------------------------------

    def _create_teams_and_users(self):
        ref = self.env.ref
        users = self.env["res.users"].create(
            [
                {
                    "name": name,
                    "login": f"pd.{key}@example.com",
                    "email": f"pd.{key}@example.com",
                    "password": "demo",
                    "tz": tz,
                    "company_id": self.company.id,
                    "company_ids": [Command.set(self.company.ids)],
                    "groups_id": [
                        Command.set(
                            [
                                ref("base.group_user").id,
                                ref("sales_team.group_sale_salesman").id,
                                ref(ROLE_GROUPS[role]).id,
                            ]
                        )
                    ],
                }
                for key, name, _team, role, tz in SALESPEOPLE
            ]
        )
        keys = [key.replace(".", "_") for key, *_rest in SALESPEOPLE]
        # partners first: uninstalling removes the users, then their partners
        self._register(users.partner_id, [f"partner_{key}" for key in keys])
        self._register(users, [f"user_{key}" for key in keys])
        self.users = dict(zip(keys, users, strict=True))

        teams = self.env["crm.team"].create(
            [
                {
                    "name": "Key Accounts",
                    "user_id": self.users["margaret_lin"].id,
                    "use_leads": False,
                    "use_opportunities": True,
                    "sequence": 5,
                },
                {
                    "name": "Direct Mail",
                    "user_id": self.users["jing_chen"].id,
                    "use_leads": True,
                    "use_opportunities": True,
                    "sequence": 30,
                },
            ]
        )
        self._register(teams, ["team_key_accounts", "team_direct_mail"])
        sales = ref("sales_team.team_sales_department", raise_if_not_found=False)
        presales = ref("sales_team.crm_team_1", raise_if_not_found=False) or sales
        self.teams = {
            "key_accounts": teams[0],
            "direct_mail": teams[1],
            "sales": sales or teams[0],
            "presales": presales or teams[0],
        }
        members = self.env["crm.team.member"].create(
            [
                {"crm_team_id": self.teams[team].id, "user_id": self.users[key].id}
                for key, (_key, _name, team, _role, _tz) in zip(
                    keys, SALESPEOPLE, strict=True
                )
            ]
        )
        self._register(members, [f"team_member_{key}" for key in keys])

        # who owns which accounts: (user, team)
        admin = ref("base.user_admin", raise_if_not_found=False)
        demo = ref("base.user_demo", raise_if_not_found=False)
        self.owners_key = [
            (self.users["margaret_lin"], self.teams["key_accounts"]),
            (self.users["daniel_foster"], self.teams["key_accounts"]),
        ]
        self.owners_regular = [
            (self.users["sophie_martin"], self.teams["sales"]),
            (self.users["sophie_martin"], self.teams["sales"]),
            (self.users["lei_wang"], self.teams["direct_mail"]),
        ]
        if admin:
            self.owners_regular.append((admin, self.teams["sales"]))
        if demo:
            self.owners_regular += [(demo, self.teams["presales"])] * 2
        self.owners_direct_mail = [
            (self.users["jing_chen"], self.teams["direct_mail"]),
            (self.users["lei_wang"], self.teams["direct_mail"]),
            (self.users["lei_wang"], self.teams["direct_mail"]),
            (self.env["res.users"], self.teams["direct_mail"]),  # not assigned yet
        ]

    def _create_lost_reasons(self):
        reasons = self.env["crm.lost.reason"].create(
            [
                {"name": "Chose a competitor"},
                {"name": "Budget frozen"},
            ]
        )
        self._register(reasons, ["lost_reason_competitor", "lost_reason_budget"])
        abandoned = self.env.ref(
            "prospect_development.lost_reason_abandoned", raise_if_not_found=False
        )
        self.lost_reason_abandoned = abandoned
        self.lost_reasons = self.env["crm.lost.reason"].search([]) - (
            abandoned or self.env["crm.lost.reason"]
        )

    # -----------------------------------------------------------------------------
    # companies and contacts
    # -----------------------------------------------------------------------------

    def _industry_id(self, code):
        return (self.industries.get(code) or self.env["res.partner.industry"]).id

    def _make_company(self, fixed=None, chinese=None):
        """Values of a company: random, or ``fixed`` = (name, where, industry, slug).

        Returns (vals, "en" | "zh", mail domain).
        """
        if fixed:
            chinese = not isinstance(fixed[1], str)
        if chinese:
            return self._chinese_company(fixed)
        return self._english_company(fixed)

    def _english_company(self, fixed=None):
        rng = self.rng
        if fixed:
            name, country_xmlid, industry, slug = fixed
        else:
            country_xmlid = self._weighted(
                list(EN_COUNTRIES), [spec[0] for spec in EN_COUNTRIES.values()]
            )
        _weight, suffixes, cities, phone_prefix, street_tpl = EN_COUNTRIES[
            country_xmlid
        ]
        while not fixed:
            prefix = rng.choice(EN_PREFIXES)
            activity, industry = rng.choice(EN_INDUSTRIES)
            name = f"{prefix} {activity} {rng.choice(suffixes)}"
            slug = f"{prefix}-{activity}".lower().replace(" ", "-")
            if name not in self.used_names:
                break
        self.used_names.add(name)
        domain = self._unique_domain(slug) + ".example"
        street = street_tpl.format(
            n=rng.randint(1, 240),
            name=rng.choice(EN_STREETS),
            kind=rng.choice(EN_STREET_KINDS),
            de=rng.choice(DE_STREETS),
            fr=rng.choice(FR_STREETS),
        )
        mailbox = rng.choice(["info", "sales", "contact", "office"])
        phone = " ".join(
            [phone_prefix] + [str(rng.randint(low, high)) for low, high in PHONE_GROUPS]
        )
        vals = {
            "name": name,
            "street": street,
            "city": rng.choice(cities),
            "country_id": self.env.ref(country_xmlid).id,
            "email": f"{mailbox}@{domain}",
            "website": f"https://www.{domain}",
            "phone": phone,
            "industry_id": self._industry_id(industry),
        }
        return vals, "en", domain

    def _chinese_company(self, fixed=None):
        rng = self.rng
        if fixed:
            name, city_index, industry, slug = fixed
        else:
            city_index = rng.randrange(len(ZH_CITIES))
        city, city_py, area = ZH_CITIES[city_index]
        while not fixed:
            brand, brand_py = rng.choice(ZH_BRANDS)
            activity, industry = rng.choice(ZH_INDUSTRIES)
            suffix = "股份有限公司" if rng.random() < 0.2 else "有限公司"
            name = f"{city}{brand}{activity}{suffix}"
            slug = f"{brand_py}-{city_py}"
            if name not in self.used_names:
                break
        self.used_names.add(name)
        domain = self._unique_domain(slug) + ".example"
        vals = {
            "name": name,
            "street": f"{rng.choice(ZH_ROADS)}{rng.randint(1, 888)}号",
            "city": city,
            "country_id": self.env.ref("base.cn").id,
            "email": f"{rng.choice(['info', 'sales', 'service'])}@{domain}",
            "website": f"https://www.{domain}",
            "phone": f"+86 {area} {rng.randint(5000, 8999)} {rng.randint(1000, 9999)}",
            "industry_id": self._industry_id(industry),
        }
        if self.zh_lang:
            vals["lang"] = self.zh_lang
        return vals, "zh", domain

    def _create_companies(self, count, customers):
        """Companies; customers get their size (24-month revenue) and account owner."""
        rng = self.rng
        specs = []  # (vals, language, domain, extra info)
        if customers:
            fixed = [(spec, {"colour": "white"}) for spec in RETAILERS]
            fixed += [(spec, {"colour": "black"}) for spec in INSTITUTIONS]
            fixed.append((BRIEF_EXAMPLE, {}))
            for spec, extra in fixed:
                specs.append((*self._make_company(spec), extra))
        while len(specs) < count:
            specs.append((*self._make_company(chinese=rng.random() < 0.4), {}))

        if customers:
            # Pareto sizes (alpha 1.16: the 80/20 rule), the largest ones go to the
            # white key accounts (retailers), institutions stay small.
            sizes = sorted(
                (min(1500000.0, 2500.0 * rng.paretovariate(1.16)) for _i in specs),
                reverse=True,
            )
            retail_sizes = [sizes.pop(i) for i in (6, 4, 2, 1)]  # keep the top for reds
            small = sorted(sizes)[: len(INSTITUTIONS)]
            for value in small:
                sizes.remove(value)
            rng.shuffle(sizes)
            for *_spec, extra in specs:
                if extra.get("colour") == "white":
                    extra["size"] = retail_sizes.pop()
                elif extra.get("colour") == "black":
                    extra["size"] = small.pop()
                else:
                    extra["size"] = sizes.pop()

        for vals, _lang, _domain, extra in specs:
            vals["is_company"] = True
            if customers:
                key = extra["size"] > 60000 or extra.get("colour") == "white"
                user, team = rng.choice(self.owners_key if key else self.owners_regular)
            else:
                user, team = rng.choice(self.owners_direct_mail)
            vals["user_id"] = user.id
            extra.update(user=user, team=team)
        partners = self.env["res.partner"].create([spec[0] for spec in specs])
        kind = "customer" if customers else "company"
        self._register(
            partners, [f"{kind}_{i:04d}" for i in range(1, len(partners) + 1)]
        )
        return [
            {"partner": partner, "lang": lang, "domain": domain, **extra}
            for partner, (_vals, lang, domain, extra) in zip(
                partners, specs, strict=True
            )
        ]

    def _create_contacts(self, companies):
        rng = self.rng
        vals_list, owners = [], []
        for company in companies:
            count = self._weighted([0, 1, 2], [25, 55, 20])
            for _i in range(count):
                if company["lang"] == "zh":
                    surname, surname_py = rng.choice(ZH_SURNAMES)
                    given, given_py = rng.choice(ZH_GIVEN_NAMES)
                    name, local = f"{surname}{given}", f"{given_py}.{surname_py}"
                    function = rng.choice(ZH_FUNCTIONS)
                    phone = (
                        "mobile",
                        f"+86 1{rng.choice('3589')}{rng.randint(0, 9)} "
                        f"{rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                    )
                else:
                    first, last = rng.choice(EN_FIRST_NAMES), rng.choice(EN_LAST_NAMES)
                    name = f"{first} {last}"
                    local = (
                        f"{first}.{last}".lower().replace(" ", "").replace("ü", "ue")
                    )
                    function = rng.choice(EN_FUNCTIONS)
                    # a direct line next to the switchboard
                    switchboard = company["partner"].phone
                    phone = ("phone", f"{switchboard[:-4]}{rng.randint(1000, 9999)}")
                vals = {
                    "name": name,
                    "parent_id": company["partner"].id,
                    "type": "contact",
                    "function": function,
                    "email": f"{local}@{company['domain']}",
                    phone[0]: phone[1],
                }
                if company["lang"] == "zh" and self.zh_lang:
                    vals["lang"] = self.zh_lang
                vals_list.append(vals)
                owners.append(company)
        contacts = self.env["res.partner"].create(vals_list)
        self._register(
            contacts, [f"contact_{i:04d}" for i in range(1, len(contacts) + 1)]
        )
        for company in companies:
            company["contacts"] = self.env["res.partner"]
        for contact, company in zip(contacts, owners, strict=True):
            company["contacts"] |= contact

    # -----------------------------------------------------------------------------
    # pipeline planning
    # -----------------------------------------------------------------------------

    def _subject(self, company, subjects=None):
        en, zh = self.rng.choice(subjects or DEAL_SUBJECTS)
        return zh if company and company["lang"] == "zh" else en

    def _lead_partner(self, company, contact_share=0.35):
        contacts = company.get("contacts")
        if contacts and self.rng.random() < contact_share:
            return self.rng.choice(contacts)
        return company["partner"]

    def _base_vals(self, company, user, team, name, created):
        vals = {
            "name": name,
            "type": "opportunity",
            "company_id": self.company.id,
            "user_id": user.id,
            "team_id": team.id,
            "create_date": self._moment(created),
        }
        if company:
            vals["partner_id"] = self._lead_partner(company).id
        if self.tags and self.rng.random() < 0.4:
            vals["tag_ids"] = [Command.set(self.rng.sample(self.tags.ids, 1))]
        return vals

    def _add(self, vals, closing=None):
        """Queue a lead; ``closing`` is ("won"|"lost", date, lost reason, extra)."""
        self.lead_vals.append((vals, closing))

    def _open_vals(self, company, user, team, customer, key_colour=None):
        """One open opportunity with a need, closing date and contact history."""
        rng = self.rng
        if key_colour:
            weights = [40, 35, 25, 0, 0, 0, 0, 0]
        else:
            weights = [p[0] if customer else p[1] for p in OPEN_PROFILES]
        _wc, _wn, need, span = self._weighted(OPEN_PROFILES, weights)
        deadline = self.today + timedelta(days=rng.randint(*span)) if span else False
        grade = (
            self.env["crm.lead"]
            .new({"need_status": need, "date_deadline": deadline})
            .prospect_grade
        )
        # salespeople roughly keep the cadence of the grade, some leads are neglected
        cadence = self.settings.get(f"cadence_{grade}_days", 90)
        if customer or rng.random() < 0.7:
            days_since_contact = rng.randint(0, round(1.3 * cadence))
        else:
            days_since_contact = rng.randint(0, 200)
        if customer:
            contacted = True
        else:
            contacted = rng.random() < (0.75 if need == "clear" else 0.45)
        last_contact = (
            self._days_ago(min(days_since_contact, 200)) if contacted else False
        )
        created = (last_contact or self.today) - timedelta(days=rng.randint(0, 150))
        if customer and company.get("size"):
            base = company["size"] * rng.uniform(0.08, 0.4)
        else:
            base = rng.lognormvariate(math.log(9000), 0.9)
        if grade == "e":
            base *= rng.choice([0, 0.2])  # a dead lead: the first estimate, or nothing
        if key_colour:
            base *= 2
        low, high = PROBABILITY_BY_GRADE[grade]
        vals = self._base_vals(company, user, team, self._subject(company), created)
        vals.update(
            need_status=need,
            date_deadline=deadline,
            expected_revenue=_nice_amount(base) if base else 0.0,
            probability=float(rng.randint(low, high)),
            stage_id=rng.choice(self.stages_by_grade[grade]).id,
            last_contact_date=last_contact,
        )
        if key_colour:
            vals["key_account_colour"] = key_colour
        # development spent so far: most contacted prospects cost something, a few
        # cost more than they are worth (candidates for abandonment)
        if not customer and contacted and rng.random() < 0.45:
            expected_value = vals["expected_revenue"] * vals["probability"] / 100
            if rng.random() < 0.25:
                cost = expected_value * rng.uniform(1.5, 3.0)
            else:
                cost = expected_value * rng.uniform(0.05, 0.6)
            vals["development_cost_logged"] = _nice_amount(max(cost, 80))
        elif key_colour and rng.random() < 0.5:
            vals["development_cost_logged"] = _nice_amount(rng.uniform(500, 6000))
        return vals

    def _plan_customer_deals(self, customers):
        rng = self.rng
        sized = sorted(customers, key=lambda c: c["size"], reverse=True)
        # red key accounts: the largest direct buyers; one of them is brand new
        reds = [c for c in sized if not c.get("colour")][:5]
        for company in reds:
            company["colour"] = "red"
        newcomer = reds[1]
        # lapsed customers bought only before the revenue window: inactive
        candidates = [c for c in customers if not c.get("colour") and c is not newcomer]
        for company in rng.sample(candidates, round(len(customers) * 0.12)):
            company["lapsed"] = True
        for company in customers:
            size = company["size"]
            deals = 1 + int(math.log10(size / 2500.0 + 1) * 2.2) + rng.randint(0, 1)
            deals = max(1, min(6, deals))
            if company is newcomer:
                days = sorted(rng.randint(2, 40) for _i in range(min(deals, 2)))
            elif company.get("lapsed"):
                days = [rng.randint(380, 729) for _i in range(deals)]
            else:
                days = [rng.randint(1, 364)] + [
                    rng.randint(1, 729) for _i in range(deals - 1)
                ]
            weights = [rng.uniform(0.4, 1.6) for _day in days]
            total = sum(weights)
            user, team = company["user"], company["team"]
            for day, weight in zip(days, weights, strict=True):
                closed = self._days_ago(day)
                created = closed - timedelta(days=rng.randint(14, 120))
                vals = self._base_vals(
                    company, user, team, self._subject(company), created
                )
                vals.update(
                    need_status="clear",
                    date_deadline=closed + timedelta(days=rng.randint(-10, 10)),
                    expected_revenue=_nice_amount(size * weight / total),
                    probability=float(rng.choice([60, 70, 80, 90])),
                    stage_id=self.stage_proposition.id,
                    last_contact_date=closed,
                )
                self._add(vals, ("won", closed, None, {}))
            # open pipeline: upsell, renewal, reactivation; key accounts always
            colour = company.get("colour")
            if colour:
                owner = (
                    (user, team)
                    if team == self.teams["key_accounts"]
                    else rng.choice(self.owners_key)
                )
                for _i in range(rng.randint(1, 2)):
                    self._add(self._open_vals(company, *owner, True, key_colour=colour))
            elif rng.random() < (0.3 if company.get("lapsed") else 0.45):
                self._add(self._open_vals(company, user, team, True))
            # some lost deals
            if rng.random() < 0.12:
                vals = self._open_vals(company, user, team, True)
                closed = self._days_ago(rng.randint(5, 600))
                vals.update(
                    date_deadline=closed,
                    last_contact_date=closed,
                    create_date=self._moment(
                        closed - timedelta(days=rng.randint(20, 90))
                    ),
                )
                self._add(vals, ("lost", closed, rng.choice(self.lost_reasons), {}))

    def _plan_non_customer_leads(self, companies):
        rng = self.rng
        abandoned = 0
        for company in companies:
            user, team = company["user"], company["team"]
            for _i in range(1 if rng.random() < 0.8 else 2):
                self._add(self._open_vals(company, user, team, False))
            if rng.random() < 0.15:
                vals = self._open_vals(company, user, team, False)
                closed = self._days_ago(rng.randint(5, 400))
                vals.update(
                    last_contact_date=closed - timedelta(days=rng.randint(0, 30)),
                    create_date=self._moment(
                        closed - timedelta(days=rng.randint(60, 300))
                    ),
                )
                if abandoned < 3 and self.lost_reason_abandoned:
                    abandoned += 1
                    cost = _nice_amount(
                        vals["expected_revenue"] * rng.uniform(0.4, 0.8)
                    )
                    vals["development_cost_logged"] = cost
                    self._add(
                        vals,
                        (
                            "lost",
                            closed,
                            self.lost_reason_abandoned,
                            {
                                "abandon_reason": ABANDON_REASON,
                                "date_abandoned": closed,
                            },
                        ),
                    )
                else:
                    self._add(vals, ("lost", closed, rng.choice(self.lost_reasons), {}))

    def _plan_raw_leads(self, count):
        """Leads without a partner yet: cards from fairs, web forms, feedback cards."""
        rng = self.rng
        for _i in range(count):
            zh = rng.random() < 0.4
            vals, _lang, domain = self._make_company(chinese=zh)
            if zh:
                surname, surname_py = rng.choice(ZH_SURNAMES)
                given, given_py = rng.choice(ZH_GIVEN_NAMES)
                contact, local = f"{surname}{given}", f"{given_py}.{surname_py}"
            else:
                first, last = rng.choice(EN_FIRST_NAMES), rng.choice(EN_LAST_NAMES)
                contact = f"{first} {last}"
                local = f"{first}.{last}".lower().replace(" ", "").replace("ü", "ue")
            company = {"lang": "zh" if zh else "en"}
            user, team = rng.choice(self.owners_direct_mail)
            lead = self._open_vals(None, user, team, False)
            lead.update(
                name=self._subject(company, LEAD_SUBJECTS),
                type="lead" if not lead["last_contact_date"] else "opportunity",
                partner_name=vals["name"],
                contact_name=contact,
                email_from=f"{local}@{domain}",
                phone=vals["phone"],
                street=vals["street"],
                city=vals["city"],
                country_id=vals["country_id"],
            )
            if lead["type"] == "lead":
                lead.pop("stage_id")
            self._add(lead)

    # -----------------------------------------------------------------------------
    # creation
    # -----------------------------------------------------------------------------

    def _create_leads(self):
        Lead = self.env["crm.lead"]
        leads = Lead.create([vals for vals, _closing in self.lead_vals])
        self._register(leads, [f"lead_{i:04d}" for i in range(1, len(leads) + 1)])
        # grades are stored computes: settle them while the leads are still open, won
        # and lost leads keep the grade they closed with
        leads.flush_recordset()

        won = Lead.browse(
            [
                lead.id
                for lead, (_v, closing) in zip(leads, self.lead_vals, strict=True)
                if closing and closing[0] == "won"
            ]
        )
        won.write({"stage_id": self.stage_won.id})
        lost_by_reason = {}
        for lead, (_vals, closing) in zip(leads, self.lead_vals, strict=True):
            if closing and closing[0] == "lost":
                lost_by_reason.setdefault(closing[2], []).append(lead.id)
        for reason, lead_ids in lost_by_reason.items():
            Lead.browse(lead_ids).action_set_lost(lost_reason_id=reason.id)
        # crm dates the closing now: put it back where it belongs
        for lead, (_vals, closing) in zip(leads, self.lead_vals, strict=True):
            if closing:
                lead.write({"date_closed": self._moment(closing[1]), **closing[3]})
