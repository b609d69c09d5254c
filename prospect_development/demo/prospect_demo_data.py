"""Demo data of the customer-development method: a customer pyramid with a history.

``prospect.demo.data._generate()`` is called once from ``demo/prospect_demo.xml``. It
builds, deterministically from a seed and relative to today:

* two sales teams (Key Accounts, Direct Mail) and five salespeople, the three of the
  Shanghai office working in Chinese (the language is activated if needed);
* customer companies (English and Chinese names) with contact persons, and their deals
  over three years, revenue heavy-tailed so that the pyramid has a few very large
  customers and a long tail of small ones: most customers buy all along, growing or
  shrinking, some stop buying (they become inactive), some start during the last two
  years, a few come back, one brand-new key customer appears in the last weeks;
* open opportunities and leads of customers and of non-customers with every need and
  expected closing date, so that every grade A-E and every tier (prospect, suspect,
  other...) is populated; a dozen red / black / white key accounts; lost deals, three
  of them abandoned after a costly development.

Nothing of the history is written by hand: the last ``months`` months are *lived*,
a month at a time (a week at a time during the last six weeks), by the real engines
run "as of" each simulated day (context key ``prospect_now``). On each step the leads
of the period are created, the salespeople change a need or postpone a closing date,
do most of the contacts the cadence planned for them (marked done with a note in
their language), prospects write in, deals are won or lost; then the rescoring runs
(recording the tier and grade moves of that day) and the cadence plans the next
contacts. The last six weeks run a direct-mail and feedback campaign through the
sequence engine. Only the dates the ORM stamps with the real clock (a message's date,
an activity's creation) are set back to the simulated day afterwards.

Every record gets a ``prospect_development.pd_demo_*`` external id (noupdate), so that
the demo data leaves with the module.
"""

import logging
import math
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.fields import Command
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

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

# key (login pd.<key>@example.com), name, team, role, time zone, language (the
# Shanghai office works in Chinese)
SALESPEOPLE = [
    (
        "margaret.lin",
        "Margaret Lin",
        "key_accounts",
        "manager",
        "Asia/Shanghai",
        "zh_CN",
    ),
    ("daniel.foster", "Daniel Foster", "key_accounts", None, "Europe/London", "en_US"),
    ("jing.chen", "Jing Chen", "direct_mail", "all_leads", "Asia/Shanghai", "zh_CN"),
    ("lei.wang", "Lei Wang", "direct_mail", None, "Asia/Shanghai", "zh_CN"),
    ("sophie.martin", "Sophie Martin", "sales", None, "Europe/Paris", "en_US"),
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


# What the salespeople note when they mark a contact done, by kind of activity and
# language (the Shanghai office writes in Chinese).
ACTIVITY_NOTES = {
    "call": {
        "en": (
            "Reached the purchasing manager: interested, asked for a quotation.",
            "No answer, left a voicemail; will try again next week.",
            "Discussed their maintenance plan; the next budget round is in autumn.",
            "They compare two suppliers; decision expected within the month.",
            "Spoke with the plant manager, who would like a site visit.",
            "Checked how the last delivery went: all fine, more orders coming.",
            "Asked for the order: waiting for the board's approval.",
        ),
        "zh": (
            "已联系采购经理,对方有兴趣,要求报价。",
            "电话未接通,已留言,下周再联系。",
            "沟通了设备维护计划,下一轮预算在秋季。",
            "客户正在比较两家供应商,预计本月内决定。",
            "与厂长通话,对方希望安排现场参观。",
            "回访上次交货情况:客户满意,还会继续下单。",
            "已询问订单进展:等待董事会批准。",
        ),
    },
    "email": {
        "en": (
            "Sent the product catalogue and the price list.",
            "Sent references from their industry.",
            "Mailed a summary of our last meeting with the next steps.",
            "Sent the updated quotation.",
            "Sent the case study on energy savings they asked about.",
        ),
        "zh": (
            "已发送产品目录和价格表。",
            "已发送同行业客户案例。",
            "已邮件发送上次会谈纪要及后续安排。",
            "已发送更新后的报价单。",
            "已发送客户询问的节能改造案例。",
        ),
    },
    "other": {
        "en": (
            "Done: the customer confirmed by phone.",
            "Visited the site with our engineer; report sent.",
            "Done, see the notes above.",
        ),
        "zh": (
            "已完成:客户电话确认。",
            "已与工程师一起拜访现场,报告已发送。",
            "已完成,详见上方记录。",
        ),
    },
}

# What prospects and customers write in: (subject, body) by language.
PROSPECT_MAILS = {
    "en": (
        (
            "Question about your offer",
            "Thank you for the documentation. What would a pilot cost for one plant?",
        ),
        ("References", "Interesting. Could you send references in our industry?"),
        (
            "Delivery times",
            "Before we go further: what are your delivery times for spare parts?",
        ),
        (
            "Re: quotation",
            "We have reviewed your quotation. Could you split the installation costs?",
        ),
        (
            "Maintenance visit",
            "Our line stopped twice this week. Can your technician come on Thursday?",
        ),
        (
            "Budget",
            "Our budget for next year is being prepared; please send your prices.",
        ),
    ),
    "zh": (
        ("关于贵公司的方案", "谢谢您的资料。请问贵公司在华南地区有服务团队吗?"),
        ("下季度计划", "收到,我们下个季度会考虑这个问题,届时再联系。"),
        ("报价咨询", "请问一个工厂试点的费用大概是多少?"),
        ("交货期", "请问备件的交货期一般是多久?"),
        ("回复:报价单", "报价单已收到,能否把安装费用单独列出?"),
        ("设备故障", "我们的生产线本周停机两次,贵公司技术人员周四能来吗?"),
    ),
}

# Customers' lives over the three years (shares of the customers without a colour):
# lapsed customers stop buying (inactive a year later), new ones start during the
# last two years, a few come back after more than a year without buying.
LIFE_SHARES = (("lapsed", 0.12), ("new", 0.18), ("returning", 0.03))
# Chance that a salesperson does a due contact of a lead they work, each step.
DILIGENCE = 0.85
# Pages of the company's site the mailings link to (the first ones are the hot ones).
DEMO_LINKS = (
    "https://www.example.com/pricing",
    "https://www.example.com/references",
    "https://www.example.com/products/catalogue",
    "https://www.example.com/blog/procurement-checklist",
)
# Weeks of direct-mail and feedback campaign at the end of the history.
CAMPAIGN_WEEKS = 6

# During the campaign the salespeople log what each call gave: (outcome, index of
# the call note of ACTIVITY_NOTES that says it), by the need the lead has, so that
# the outcomes keep the needs the demo plans.
CALL_OUTCOMES = {
    "clear": (
        ("interested", 0),
        ("interested", 3),
        ("visit_requested", 4),
        ("call_again", 6),
        ("unreachable", 1),
    ),
    "other": (
        ("future_need", 2),
        ("call_again", 6),
        ("unreachable", 1),
    ),
}


class ProspectDemoData(models.AbstractModel):
    _name = "prospect.demo.data"
    _description = "Prospect Development demo data"

    @api.model
    def _generate(self, customers=300, seed=42, months=24):
        """Create the demo customer pyramid and live its last ``months`` months
        (once; a second call does nothing)."""
        if self.env.ref(MARKER_XMLID, raise_if_not_found=False):
            return False
        zh_lang = self._activate_chinese()
        generator = _DemoGenerator(
            self.sudo().with_context(
                tracking_disable=True,
                mail_create_nolog=True,
                mail_create_nosubscribe=True,
                mail_notrack=True,
                # notifications by mail wait in the queue (no mail server here)
                mail_notify_force_send=False,
                no_reset_password=True,
            ),
            random.Random(seed),
            customers,
            months,
            zh_lang,
        )
        generator.run()
        return True

    @api.model
    def _activate_chinese(self):
        """Make sure Chinese is active, with the terms of the installed add-ons, the
        way Odoo installs a language, and of this add-on's records already loaded;
        returns "zh_CN", or False when the language is unknown."""
        Lang = self.env["res.lang"]
        if not Lang._get_code("zh_CN"):
            if not Lang._activate_lang("zh_CN"):
                return False
            installed = self.env["ir.module.module"].search(
                [("state", "=", "installed")]
            )
            installed._update_translations(["zh_CN"])
        # this add-on's own records (call outcomes...) in Chinese already: the demo
        # writes their names into activities before the install loads them
        self.env["ir.module.module"].search(
            [("name", "=", "prospect_development")]
        )._update_translations(["zh_CN"])
        return "zh_CN"


class _DemoGenerator:
    """State of one generation run (not a model: nothing of it is stored)."""

    def __init__(self, model, rng, customers, months, zh_lang):
        self.env = model.env
        self.rng = rng
        self.customer_count = max(customers, len(RETAILERS) + len(INSTITUTIONS) + 10)
        self.today = fields.Date.context_today(model)
        self.now = fields.Datetime.now()
        self.start = self.today - relativedelta(months=months)
        self.company = self.env.company
        self.settings = self.env["prospect.settings"]._get()
        self.zh_lang = zh_lang
        self.xmlids = []
        self.used_names = set()
        self.used_domains = set()
        self.plans = []  # the leads to live, in creation order (see _add)
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
        ref = self.env.ref
        self.note_kinds = {
            ref("mail.mail_activity_data_call").id: "call",
            ref("mail.mail_activity_data_email").id: "email",
        }
        self.campaign_start = self.today - timedelta(weeks=CAMPAIGN_WEEKS)
        self.campaign_cards = self.env["prospect.feedback.card"]

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
        """A working-hours moment (UTC) of ``day``, never in the future."""
        moment = datetime.combine(
            day, time(self.rng.randint(6, 11), self.rng.randint(0, 59))
        )
        return min(moment, self.now)

    def _noon(self, day):
        """When the nightly jobs of a simulated day run: midday UTC is that day in
        every time zone of the demo."""
        return min(datetime.combine(day, time(12, 0)), self.now)

    def _between(self, after, day):
        """A random day in ]after, day]."""
        return after + timedelta(days=self.rng.randint(1, max(1, (day - after).days)))

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
        self.customer_partners = [company["partner"] for company in customers]
        self.top_size = max(company.get("size") or 0 for company in customers)
        self._plan_non_customer_leads(non_customers)
        self._plan_raw_leads(max(10, round(self.customer_count * 0.12)))
        self._live()
        self.env["ir.model.data"]._update_xmlids(self.xmlids)
        self._fill_territory_addresses()
        self._close_calibration_deals()
        # last: the capacities are set against the cadence's forecast of it all
        self._set_weekly_capacities()

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
                    # contacts handled in Odoo: no notification mail per message
                    "notification_type": "inbox",
                    "tz": tz,
                    "lang": lang if lang in (self.zh_lang, "en_US") else "en_US",
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
                for key, name, _team, role, tz, lang in SALESPEOPLE
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
                for key, (_key, _name, team, _role, _tz, _lang) in zip(
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
        reasons = self.env.ref("prospect_development.lost_reason_competitor")
        reasons |= self.env["crm.lost.reason"].create({"name": "Budget frozen"})
        self._register(reasons[1:], ["lost_reason_budget"])
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
        # who decides the purchases: known at most companies, by their first contact
        roles = {}
        for vals, company in zip(vals_list, owners, strict=True):
            if company["partner"].id not in roles:
                roles[company["partner"].id] = vals["prospect_contact_role"] = (
                    "decision_maker" if rng.random() < 0.6 else "influencer"
                )
            elif rng.random() < 0.7:
                vals["prospect_contact_role"] = rng.choice(
                    ["influencer", "user", "gatekeeper"]
                )
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

    def _add(self, vals, created, closing=None, worked=True, chatty=0.0, changes=()):
        """Plan a lead: created on ``created`` with ``vals``; ``closing`` is
        ("won"|"lost", day, lost reason, extra values); ``worked``: its salesperson
        does the contacts the cadence plans; ``chatty``: the chance that the prospect
        writes in, each step; ``changes``: [(day, values)] the salesperson writes."""
        for day, values in changes:
            if day <= self.start:  # before the history: how the lead begins
                vals.update(values)
        self.plans.append(
            {
                "index": len(self.plans) + 1,
                "vals": vals,
                "created": created,
                "closing": closing,
                "worked": worked,
                "chatty": chatty,
                "changes": [change for change in changes if change[0] > self.start],
                "lead": None,
            }
        )

    def _plan_changes(self, vals, created, until):
        """What the salesperson will change on an open lead before ``until``: a need
        found out (D to A-C, or to E), a closing date postponed (A to B or C). The
        lead starts with the values before the change."""
        rng = self.rng
        need, deadline = vals["need_status"], vals["date_deadline"]
        span = (until - created).days
        if span < 30:
            return []
        day = created + timedelta(days=rng.randint(10, span - 5))
        draw = rng.random()
        if need == "clear" and draw < 0.3:
            vals["need_status"] = "potential"
            return [(day, {"need_status": "clear"})]
        if need == "none" and draw < 0.6:
            vals["need_status"] = "potential"
            return [(day, {"need_status": "none"})]
        if need == "clear" and deadline and draw < 0.55:
            earlier = deadline - timedelta(days=rng.randint(45, 150))
            day = earlier - timedelta(days=rng.randint(0, 10))
            if created + timedelta(days=5) < day < until:
                vals["date_deadline"] = earlier
                return [(day, {"date_deadline": deadline})]
        return []

    def _open_plan(self, company, user, team, customer, key_colour=None, created=None):
        """One open opportunity with a need and closing date; returns the keyword
        arguments of ``_add``."""
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
        # salespeople work most leads; some are left untouched (suspects)
        if customer:
            worked = rng.random() < 0.9
        else:
            worked = rng.random() < (0.75 if need == "clear" else 0.45)
        created = created or self._days_ago(rng.randint(15, 420))
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
        )
        if key_colour:
            vals["key_account_colour"] = key_colour
        # development spent so far: most worked prospects cost something, a few
        # cost more than they are worth (candidates for abandonment)
        if not customer and worked and rng.random() < 0.45:
            expected_value = vals["expected_revenue"] * vals["probability"] / 100
            if rng.random() < 0.25:
                cost = expected_value * rng.uniform(1.5, 3.0)
            else:
                cost = expected_value * rng.uniform(0.05, 0.6)
            vals["development_cost_logged"] = _nice_amount(max(cost, 80))
        elif key_colour and rng.random() < 0.5:
            vals["development_cost_logged"] = _nice_amount(rng.uniform(500, 6000))
        chatty = 0.0
        if worked and need != "none":
            chatty = 0.15 if customer or need == "clear" else 0.06
        return {
            "vals": vals,
            "created": created,
            "worked": worked,
            "chatty": chatty,
        }

    def _deal_days(self, company, rate, first, last):
        """Days ago of the deals of ``company`` between ``first`` and ``last`` days
        ago, about ``rate`` a year. Most customers order again within ten months
        (they stay in the window); some buy irregularly and drop out for a while."""
        rng = self.rng
        count = round(rate * (first - last) / 365 * rng.uniform(0.7, 1.3))
        days = sorted(rng.randint(last, first) for _i in range(max(1, min(12, count))))
        if rng.random() < 0.85:
            for newer, older in pairwise([last, *days, first]):
                gaps = (older - newer) // 300
                days += [
                    newer + (older - newer) * k // (gaps + 1)
                    for k in range(1, gaps + 1)
                ]
        return days

    def _plan_customer_deals(self, customers):
        rng = self.rng
        sized = sorted(customers, key=lambda c: c["size"], reverse=True)
        # red key accounts: the largest direct buyers; one of them is brand new
        reds = [c for c in sized if not c.get("colour")][:5]
        for company in reds:
            company["colour"] = "red"
        newcomer = reds[1]
        candidates = [
            c
            for c in customers
            if not c.get("colour") and c["partner"].name != BRIEF_EXAMPLE[0]
        ]
        rng.shuffle(candidates)
        start = 0
        for life, share in LIFE_SHARES:
            count = round(len(customers) * share)
            for company in candidates[start : start + count]:
                company["life"] = life
            start += count
        # three years of deals: a year before the history begins, then the history
        horizon = (self.today - self.start).days + 365
        for company in customers:
            size = company["size"]  # revenue of a year, today
            rate = 0.7 + math.log10(size / 2500.0 + 1) * 1.2 + rng.uniform(0, 0.4)
            growth = max(-0.9, min(0.9, rng.gauss(0, 0.45)))  # a year
            if company.get("colour"):
                growth /= 3
            life = company.get("life")
            if company is newcomer:
                days = sorted(rng.randint(2, 40) for _i in range(2))
                rate, growth = 2, 0.0
            elif life == "lapsed":
                days = self._deal_days(company, rate, horizon, rng.randint(380, 1000))
            elif life == "new":
                first = rng.randint(20, 700)
                days = [first] + self._deal_days(company, rate, first, 1)
            elif life == "returning":
                days = self._deal_days(company, rate, horizon, 900)
                days += self._deal_days(company, rate, 200, 1)
            else:
                days = [rng.randint(1, 364)] + self._deal_days(
                    company, rate, horizon, 1
                )
            user, team = company["user"], company["team"]
            for day in sorted(days, reverse=True):
                closed = self._days_ago(day)
                created = closed - timedelta(days=rng.randint(14, 120))
                amount = size / rate * math.exp(-growth * day / 365)
                vals = self._base_vals(
                    company, user, team, self._subject(company), created
                )
                vals.update(
                    need_status="clear",
                    date_deadline=closed + timedelta(days=rng.randint(-10, 10)),
                    expected_revenue=_nice_amount(amount * rng.uniform(0.5, 1.5)),
                    probability=float(rng.choice([60, 70, 80, 90])),
                    stage_id=self.stage_proposition.id,
                )
                self._add(
                    vals,
                    created,
                    ("won", closed, None, {}),
                    worked=rng.random() < 0.6,
                    chatty=0.1,
                )
            # open pipeline: upsell, renewal, reactivation; key accounts always
            colour = company.get("colour")
            if colour:
                owner = (
                    (user, team)
                    if team == self.teams["key_accounts"]
                    else rng.choice(self.owners_key)
                )
                for _i in range(rng.randint(1, 2)):
                    plan = self._open_plan(company, *owner, True, key_colour=colour)
                    if company is newcomer:
                        plan["created"] = self._days_ago(rng.randint(5, 30))
                        plan["vals"]["create_date"] = self._moment(plan["created"])
                    self._add_open(plan)
            elif rng.random() < (0.3 if life == "lapsed" else 0.45):
                self._add_open(self._open_plan(company, user, team, True))
            # some lost deals
            if rng.random() < 0.12:
                closed = self._days_ago(rng.randint(5, 1000))
                plan = self._open_plan(
                    company,
                    user,
                    team,
                    True,
                    created=closed - timedelta(days=rng.randint(20, 90)),
                )
                plan["vals"]["date_deadline"] = closed
                self._add_open(
                    plan, ("lost", closed, rng.choice(self.lost_reasons), {})
                )

    def _add_open(self, plan, closing=None):
        until = closing[1] if closing else self.today
        changes = self._plan_changes(plan["vals"], plan["created"], until)
        self._add(
            plan["vals"],
            plan["created"],
            closing,
            worked=plan["worked"],
            chatty=plan["chatty"],
            changes=changes,
        )

    def _plan_non_customer_leads(self, companies):
        rng = self.rng
        abandoned = 0
        for index, company in enumerate(companies):
            user, team = company["user"], company["team"]
            for _i in range(1 if rng.random() < 0.8 else 2):
                plan = self._open_plan(company, user, team, False)
                # customers recommend some of the newcomers
                if rng.random() < 0.12:
                    plan["vals"]["prospect_referrer_id"] = rng.choice(
                        self.customer_partners
                    ).id
                self._add_open(plan)
            if index < 2:
                # a big customer in the making: a large deal well under way
                plan = self._open_plan(
                    company, user, team, False, created=self._days_ago(75)
                )
                plan["vals"].update(
                    name=self._subject(company),
                    need_status="clear",
                    date_deadline=self._days_ago(-45),
                    expected_revenue=_nice_amount(self.top_size * (1.5 + index)),
                    probability=70.0,
                    stage_id=self.stage_proposition.id,
                )
                plan.update(worked=True, chatty=0.2)
                self._add_open(plan)
            if rng.random() < 0.15:
                closed = self._days_ago(rng.randint(5, 600))
                plan = self._open_plan(
                    company,
                    user,
                    team,
                    False,
                    created=closed - timedelta(days=rng.randint(60, 300)),
                )
                vals = plan["vals"]
                if abandoned < 3 and self.lost_reason_abandoned:
                    abandoned += 1
                    plan["worked"] = True
                    plan["chatty"] = 0.0
                    vals["development_cost_logged"] = _nice_amount(
                        vals["expected_revenue"] * rng.uniform(0.4, 0.8)
                    )
                    closing = (
                        "lost",
                        closed,
                        self.lost_reason_abandoned,
                        {"abandon_reason": ABANDON_REASON, "date_abandoned": closed},
                    )
                else:
                    closing = ("lost", closed, rng.choice(self.lost_reasons), {})
                self._add_open(plan, closing)

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
            plan = self._open_plan(None, user, team, False)
            lead = plan["vals"]
            lead.update(
                name=self._subject(company, LEAD_SUBJECTS),
                type="opportunity" if plan["worked"] else "lead",
                partner_name=vals["name"],
                contact_name=contact,
                email_from=f"{local}@{domain}",
                phone=vals["phone"],
                street=vals["street"],
                city=vals["city"],
                country_id=vals["country_id"],
            )
            if zh and self.zh_lang:
                lead["lang_id"] = self.env["res.lang"]._lang_get(self.zh_lang).id
            if lead["type"] == "lead":
                lead.pop("stage_id")
            self._add_open(plan)

    # -----------------------------------------------------------------------------
    # living the history
    # -----------------------------------------------------------------------------

    def _steps(self):
        """The simulated days: a month apart, a week apart during the campaign."""
        days, month = [], 0
        while (day := self.start + relativedelta(months=month)) < self.campaign_start:
            days.append(day)
            month += 1
        days += [
            self.campaign_start + timedelta(weeks=week)
            for week in range(CAMPAIGN_WEEKS + 1)
        ]
        return days

    def _live(self):
        previous = date.min
        for day in self._steps():
            noon = self._noon(day)
            self._create_leads(
                [plan for plan in self.plans if previous < plan["created"] <= day],
                noon,
            )
            self._change_leads(previous, day)
            if previous != date.min:
                self._do_contacts(previous, day)
                self._receive_mails(previous, day)
            self._close_leads(previous, day)
            if day >= self.campaign_start:
                self._campaign(previous, day)
            self._run_engines(noon)
            _logger.info("Demo data: %s lived", day)
            previous = day

    def _last_id(self, table):
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT COALESCE(MAX(id), 0) FROM %s", SQL.identifier(table))
        )
        return self.env.cr.fetchone()[0]

    def _date_messages(self, after_id, day):
        """Date the messages posted since ``after_id`` in the working hours of the
        simulated ``day`` (the ORM dates them now)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE mail_message
                   SET date = LEAST(
                           %(day)s::timestamp + make_interval(
                               hours => 6 + MOD(id, 6), mins => MOD(id * 7, 60)),
                           %(now)s)
                 WHERE id > %(after_id)s;
                -- and the signals they gave
                UPDATE prospect_engagement_event event SET date = message.date
                  FROM mail_message message
                 WHERE event.res_model = 'mail.message' AND event.res_id = message.id
                   AND message.id > %(after_id)s
                """,
                day=day,
                now=self.now,
                after_id=after_id,
            )
        )
        self.env["mail.message"].invalidate_model(["date"])
        self.env["prospect.engagement.event"].invalidate_model(["date"])

    def _create_leads(self, plans, noon):
        if not plans:
            return
        leads = (
            self.env["crm.lead"]
            .with_context(prospect_now=noon)
            .create([plan["vals"] for plan in plans])
        )
        for plan, lead in zip(plans, leads, strict=True):
            plan["lead"] = lead
        self._register(leads, [f"lead_{plan['index']:04d}" for plan in plans])

    def _is_open_on(self, plan, day):
        closing = plan["closing"]
        return plan["lead"] and not (closing and closing[1] < day)

    def _change_leads(self, previous, day):
        """The needs found out and the closing dates postponed in the period, by the
        salesperson (or the team leader) on the day."""
        for plan in self.plans:
            for change_day, values in plan["changes"]:
                if previous < change_day <= day and self._is_open_on(plan, change_day):
                    lead = plan["lead"]
                    user = lead.user_id or lead.team_id.user_id
                    if user:
                        lead = lead.with_user(user)
                    lead.with_context(prospect_now=self._moment(change_day)).write(
                        values
                    )

    def _do_contacts(self, previous, day):
        """The salespeople work through their due contacts: most are marked done
        with a note in the salesperson's language, on a working day of the period
        (each salesperson has a few); leads not worked keep their overdue one."""
        rng = self.rng
        worked = {
            plan["lead"].id: plan
            for plan in self.plans
            if plan["worked"] and self._is_open_on(plan, day)
        }
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.lead"),
                ("res_id", "in", list(worked)),
                ("date_deadline", "<=", day),
            ],
            order="id",
        )
        work_days = {}
        batches = defaultdict(list)
        for activity in activities:
            user = activity.user_id
            if not user or user.share or rng.random() > DILIGENCE:
                continue
            if user not in work_days:
                work_days[user] = sorted(
                    {self._between(previous, day) for _i in range(3)}
                )
            work_day = rng.choice(work_days[user])
            closing = worked[activity.res_id]["closing"]
            if closing and closing[1] < work_day:
                continue
            kind = self.note_kinds.get(activity.activity_type_id.id, "other")
            batches[(user, work_day, kind)].append(activity.id)
        for (user, work_day, kind), ids in batches.items():
            if kind == "call" and work_day >= self.campaign_start:
                # the cadence calls with their outcome, the other calls as before
                cadence = (
                    self.env["mail.activity"].browse(ids).filtered("prospect_cadence")
                )
                self._log_call_outcomes(user, work_day, cadence)
                ids = [id_ for id_ in ids if id_ not in cadence.ids]
            notes = ACTIVITY_NOTES[kind]["zh" if user.lang == "zh_CN" else "en"]
            rng.shuffle(ids)
            # a note for a few contacts at a time: marked done together
            for start in range(0, len(ids), 6):
                after_id = self._last_id("mail_message")
                self.env["mail.activity"].browse(ids[start : start + 6]).with_user(
                    user
                ).with_context(
                    lang=user.lang, prospect_now=self._noon(work_day)
                ).action_feedback(feedback=rng.choice(notes))
                self._date_messages(after_id, work_day)

    def _log_call_outcomes(self, user, work_day, activities):
        """Cadence calls done through the outcome form, as "Mark Done" opens it:
        the outcome and a note in the chatter, the event and its points, the need,
        the next contact and, when a visit is asked for, the visit."""
        wizards = (
            self.env["prospect.outcome.wizard"]
            .with_user(user)
            .with_context(lang=user.lang, prospect_now=self._noon(work_day))
        )
        notes = ACTIVITY_NOTES["call"]["zh" if user.lang == "zh_CN" else "en"]
        for activity in activities:
            lead = self.env["crm.lead"].browse(activity.res_id)
            outcome, note = self.rng.choice(
                CALL_OUTCOMES["clear" if lead.need_status == "clear" else "other"]
            )
            after_id = self._last_id("mail_message")
            wizards.create(
                {
                    "lead_id": lead.id,
                    "activity_id": activity.id,
                    "outcome_id": self.env.ref(
                        f"prospect_development.call_outcome_{outcome}"
                    ).id,
                    "note": notes[note],
                }
            ).action_confirm()
            self._date_messages(after_id, work_day)

    def _receive_mails(self, previous, day):
        """Prospects and customers write in: a question, a quotation to discuss."""
        rng = self.rng
        for plan in self.plans:
            if not plan["chatty"] or rng.random() >= plan["chatty"]:
                continue
            mail_day = self._between(previous, day)
            if not self._is_open_on(plan, mail_day):
                continue
            lead = plan["lead"]
            moment = self._moment(mail_day)
            chinese = lead.lang_id.code == "zh_CN"
            subject, body = rng.choice(PROSPECT_MAILS["zh" if chinese else "en"])
            partner = lead.partner_id
            lead.with_context(prospect_now=moment).message_post(
                subject=subject,
                body=body,
                message_type="email",
                author_id=partner.id or None,
                email_from=partner.email_formatted or lead.email_from,
                subtype_xmlid="mail.mt_comment",
                date=moment,
            )

    def _close_leads(self, previous, day):
        """The deals won and lost in the period, on their day."""
        Lead = self.env["crm.lead"]
        won, lost_by_reason, by_day = [], defaultdict(list), defaultdict(list)
        for plan in self.plans:
            closing = plan["closing"]
            if not closing or not previous < closing[1] <= day:
                continue
            kind, closed, reason, extra = closing
            lead = plan["lead"]
            if kind == "won":
                won.append(lead.id)
            else:
                lost_by_reason[reason].append(lead.id)
            by_day[closed].append(lead.id)
            if extra:
                lead.write(extra)
        noon = self._noon(day)
        if won:
            # the contacts still planned on a won deal are cancelled
            self.env["mail.activity"].search(
                [("res_model", "=", "crm.lead"), ("res_id", "in", won)]
            ).unlink()
            Lead.browse(won).with_context(prospect_now=noon).write(
                {"stage_id": self.stage_won.id}
            )
        for reason, lead_ids in lost_by_reason.items():
            Lead.browse(lead_ids).with_context(prospect_now=noon).action_set_lost(
                lost_reason_id=reason.id
            )
        # crm dates the closing now: put it back on its day
        for closed, lead_ids in by_day.items():
            Lead.browse(lead_ids).write({"date_closed": self._noon(closed)})

    def _run_engines(self, noon):
        """The nightly jobs of the simulated day: rescoring (tier and grade moves
        recorded on that day), then the contact cadence."""
        after_id = self._last_id("mail_activity")
        after_message = self._last_id("mail_message")
        self.env["prospect.rescore.engine"].with_context(prospect_now=noon)._run(
            auto_commit=False
        )
        self.env["prospect.cadence.engine"].with_context(prospect_now=noon)._run(
            auto_commit=False
        )
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE mail_activity SET create_date = %(noon)s, write_date = %(noon)s
                 WHERE id > %(after_id)s
                """,
                noon=noon,
                after_id=after_id,
            )
        )
        self.env["mail.activity"].invalidate_model(["create_date", "write_date"])
        # "assigned to you" notifications of the to-dos the rescoring gave
        self._date_messages(after_message, noon.date())

    # -----------------------------------------------------------------------------
    # the sequence campaign of the last weeks
    # -----------------------------------------------------------------------------

    def _campaign(self, previous, day):
        """Suspects in the direct-mail sequence and prospects in the feedback one,
        from the first week of the campaign; each week, what the mailings of the
        week before brought back (answers, replies, bounces), then the sequence
        engine sends the steps due. Mails stay in the outgoing queue, as a real run
        leaves them."""
        noon = self._noon(day)
        if day == self.campaign_start:
            self._enrol(noon)
        for card in self.campaign_cards:
            self._card_signals(card, previous, day)
            self._card_outcome(card, self._between(previous, day))
        if day == self.today:
            self._interest_burst(noon)
        after_message = self._last_id("mail_message")
        after_card = self._last_id("prospect_feedback_card")
        self.env["prospect.sequence.engine"].with_context(
            prospect_send_only=True, prospect_now=noon
        )._run(auto_commit=False)
        self._date_messages(after_message, day)
        self.campaign_cards = self.env["prospect.feedback.card"].search(
            [("id", ">", after_card)]
        )

    def _enrol(self, noon):
        Lead = self.env["crm.lead"]
        Enrollment = self.env["prospect.sequence.enrollment"].with_context(
            prospect_now=noon
        )
        plan = (
            ("prospect_development.prospect_sequence_direct_mail", "suspect", 60),
            ("prospect_development.prospect_sequence_feedback", "prospect", 30),
        )
        nurture = self.env.ref("prospect_development.prospect_sequence_demo_nurture")
        for xmlid, tier, count in plan:
            leads = Lead.search(
                [
                    ("pyramid_tier", "=", tier),
                    ("email_normalized", "!=", False),
                    ("prospect_grade", "!=", "e"),
                    ("prospect_enrollment_ids", "=", False),
                    ("stage_id.is_won", "=", False),  # open
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
        # the nurturing sequence takes the cold prospects its rule names
        nurture.auto_enroll = True
        Enrollment._action_enroll_by_rules()

    def _card_signals(self, card, previous, day):
        """Opens and clicks of a mailing in the days after it was sent: a third of
        the prospects open it, some more than once, one in ten clicks a link."""
        rng = self.rng
        values = []
        opened = rng.random() < 0.35
        for kind, share, url in (
            ("mail_open", 1.0 if opened else 0.0, False),
            ("mail_open", 0.3 if opened else 0.0, False),
            ("link_click", 0.3 if opened else 0.0, rng.choice(DEMO_LINKS)),
        ):
            if rng.random() >= share:
                continue
            moment = self._moment(self._between(previous, day))
            values.append(
                {
                    "lead_id": card.lead_id.id,
                    "event_type": kind,
                    "date": moment,
                    "res_model": "prospect.feedback.card",
                    "res_id": card.id,
                    "sequence_id": card.sequence_id.id,
                    "description": url or card.step_id.name,
                    "dedup_key": f"demo:{card.id}:{kind}:{moment}",
                }
            )
        if values:
            self.env["prospect.engagement.event"].with_context(
                prospect_now=self._noon(day)
            )._record(values)

    def _interest_burst(self, noon):
        """Today, a prospect of the campaign comes back: opens the mailing again,
        clicks through to the prices, reads the references; the salesperson is
        alerted."""
        card = self.campaign_cards.filtered(
            lambda card: card.lead_id.active and card.lead_id.user_id
        )[:1]
        if not card:
            return
        lead = card.lead_id
        signals = [
            ("mail_open", card.step_id.name, 3),
            ("link_click", DEMO_LINKS[0], 2),
            ("link_click", DEMO_LINKS[1], 1),
        ]
        self.env["prospect.engagement.event"].with_context(prospect_now=noon)._record(
            [
                {
                    "lead_id": lead.id,
                    "event_type": kind,
                    "date": noon - timedelta(hours=hours),
                    "res_model": "prospect.feedback.card",
                    "res_id": card.id,
                    "sequence_id": card.sequence_id.id,
                    "description": what,
                    "dedup_key": f"demo:{card.id}:burst:{kind}:{hours}",
                }
                for kind, what, hours in signals
            ]
        )
        self._register(lead, ["lead_interest_burst"])

    def _card_outcome(self, card, day):
        """What one mailing brought back, on ``day``: mostly nothing, as in real
        life."""
        draw = self.rng.random()
        lead = card.lead_id.with_context(prospect_now=self._noon(day))
        moment = self._moment(day)
        if draw < 0.04:
            lead._message_receive_bounce(lead.email_normalized, lead.partner_id)
            self._date_stops(lead, moment)
        elif draw < 0.12:
            lead.message_post(
                body=self.rng.choice(REPLIES),
                message_type="email",
                author_id=lead.partner_id.id or None,
                email_from=lead.partner_id.email_formatted or lead.email_from,
                subtype_xmlid="mail.mt_comment",
                date=moment,
            )
            self._date_stops(lead, moment)
        elif draw < 0.30:
            answers = self.rng.choice(CARD_ANSWERS)
            after_message = self._last_id("mail_message")
            card.with_context(prospect_now=self._noon(day))._submit(
                card._parse_answers(dict(answers))
            )
            self._date_messages(after_message, day)
            self._date_stops(lead, moment)
            # the answer is dated now by the card and the lead: on its day
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE prospect_feedback_card SET date_answered = %(moment)s
                     WHERE id = %(card)s;
                    UPDATE prospect_engagement_event SET date = %(moment)s
                     WHERE res_model = 'prospect.feedback.card' AND res_id = %(card)s;
                    UPDATE crm_lead SET last_contact_date = %(day)s
                     WHERE id = %(lead)s AND last_contact_date > %(day)s
                    """,
                    moment=moment,
                    day=day,
                    card=card.id,
                    lead=lead.id,
                )
            )
            self.env.invalidate_all()

    def _date_stops(self, lead, moment):
        """Sequences stopped by a reply or a bounce are stopped on its day."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE prospect_sequence_enrollment SET date_stopped = %(moment)s
                 WHERE lead_id = %(lead)s AND date_stopped > %(moment)s
                """,
                moment=moment,
                lead=lead.id,
            )
        )
        self.env["prospect.sequence.enrollment"].invalidate_model(["date_stopped"])

    def _fill_territory_addresses(self):
        """Postcodes and states for the customers' cities (branch territory), so that
        the territory report places them in their state and the visit rounds group
        them by city and postcode; the leads get their customer's address. Lei Wang
        (Shanghai office) has visits due in two Chinese cities at least."""
        # city: (state XML id or None, postcodes of its business districts)
        places = {
            "上海": ("base.state_cn_SH", ["200120", "200040"]),
            "北京": ("base.state_cn_BJ", ["100020", "100080"]),
            "深圳": ("base.state_cn_GD", ["518000", "518057"]),
            "广州": ("base.state_cn_GD", ["510620"]),
            "杭州": ("base.state_cn_ZJ", ["310000"]),
            "苏州": ("base.state_cn_JS", ["215000"]),
            "南京": ("base.state_cn_JS", ["210000"]),
            "成都": ("base.state_cn_SC", ["610000"]),
            "武汉": ("base.state_cn_HB", ["430000"]),
            "天津": ("base.state_cn_TJ", ["300000"]),
            "宁波": ("base.state_cn_ZJ", ["315000"]),
            "青岛": ("base.state_cn_SD", ["266000"]),
            "厦门": ("base.state_cn_FJ", ["361000"]),
            "重庆": ("base.state_cn_CQ", ["400000"]),
            "西安": ("base.state_cn_SN", ["710000"]),
            "东莞": ("base.state_cn_GD", ["523000"]),
            "Chicago": ("base.state_us_14", ["60601", "60606"]),
            "Boston": ("base.state_us_34", ["02108"]),
            "Houston": ("base.state_us_44", ["77002"]),
            "Seattle": ("base.state_us_48", ["98101"]),
            "Atlanta": ("base.state_us_11", ["30303"]),
            "Denver": ("base.state_us_6", ["80202"]),
            "San Diego": ("base.state_us_5", ["92101"]),
            "Manchester": (None, ["M1 1AE"]),
            "Leeds": (None, ["LS1 4AP"]),
            "Bristol": (None, ["BS1 4DJ"]),
            "Birmingham": (None, ["B2 4QA"]),
            "Glasgow": (None, ["G1 1XQ"]),
            "London": (None, ["EC1A 1BB", "E14 5AB"]),
            "Hamburg": (None, ["20095"]),
            "Stuttgart": (None, ["70173"]),
            "Düsseldorf": (None, ["40213"]),
            "Leipzig": (None, ["04109"]),
            "Bremen": (None, ["28195"]),
            "Nürnberg": (None, ["90402"]),
            "Lyon": (None, ["69002"]),
            "Toulouse": (None, ["31000"]),
            "Lille": (None, ["59000"]),
            "Nantes": (None, ["44000"]),
            "Bordeaux": (None, ["33000"]),
            "Rotterdam": ("base.state_nl_zh", ["3011 AA"]),
            "Eindhoven": ("base.state_nl_nb", ["5611 AB"]),
            "Utrecht": ("base.state_nl_ut", ["3511 AB"]),
            "Melbourne": ("base.state_au_7", ["3000"]),
            "Brisbane": ("base.state_au_4", ["4000"]),
            "Perth": ("base.state_au_8", ["6000"]),
            "Adelaide": ("base.state_au_5", ["5000"]),
            "Toronto": ("base.state_ca_on", ["M5H 2N2"]),
            "Calgary": ("base.state_ca_ab", ["T2P 1J9"]),
            "Vancouver": ("base.state_ca_bc", ["V6B 1A1"]),
            "Ottawa": ("base.state_ca_on", ["K1P 1J1"]),
            "Singapore": (None, ["018956", "048616"]),
        }

        def address(city, state):
            xmlid, postcodes = places[city]
            vals = {"zip": self.rng.choice(postcodes)}
            if xmlid and not state:
                vals["state_id"] = self.env.ref(xmlid).id
            return vals

        def write_grouped(records, vals_of):
            groups = defaultdict(list)
            for record in records:
                groups[tuple(sorted(vals_of(record).items()))].append(record.id)
            for vals, ids in groups.items():
                records.browse(ids).write(dict(vals))

        # customers and companies (their contacts follow their address)
        partners = self.env["res.partner"].search(
            [
                ("is_company", "=", True),
                ("zip", "in", (False, "")),
                ("city", "in", list(places)),
            ]
        )
        write_grouped(partners, lambda partner: address(partner.city, partner.state_id))
        # the leads keep the address they were made with: their customer's now
        Lead = self.env["crm.lead"].with_context(active_test=False)
        leads = Lead.search([("zip", "in", (False, "")), ("city", "in", list(places))])

        def lead_address(lead):
            customer = lead.partner_id.commercial_partner_id
            if customer.zip and customer.city == lead.city:
                return {"zip": customer.zip, "state_id": customer.state_id.id}
            return address(lead.city, lead.state_id)

        write_grouped(leads, lead_address)

        # a round for the coming days: due visits in two cities at least
        user = self.users["lei_wang"]
        until = self.today + timedelta(days=4)
        open_leads = Lead.search(
            [
                ("active", "=", True),
                ("user_id", "=", user.id),
                ("stage_id.is_won", "=", False),
                ("country_id", "=", self.env.ref("base.cn").id),
                ("city", "!=", False),
                ("prospect_grade", "!=", "e"),
            ]
        )
        by_city = defaultdict(lambda: self.env["crm.lead"])
        for lead in open_leads:
            by_city[lead.city] |= lead
        for _city, leads in sorted(by_city.items(), key=lambda item: -len(item[1]))[:2]:
            due = leads.filtered(
                lambda lead: lead.next_contact_date and lead.next_contact_date <= until
            )
            for lead in (leads - due)[: max(0, 3 - len(due))]:
                lead.next_contact_planned = self.today + timedelta(
                    days=self.rng.randint(1, 4)
                )

    # -----------------------------------------------------------------------------
    # calibration (branch calibration)
    # -----------------------------------------------------------------------------

    def _close_calibration_deals(self, count=160):
        """Deals of the last twelve months won and lost at every grade, so that the
        calibration shows what a sales team sees: the better the grade at closing,
        the likelier the win (A 3 in 5, B 2 in 5, C 1 in 4, D 1 in 10), and the
        engaged prospects win more. The history's repeat orders are nearly all
        won at grade A; these are new business with the customers. Each is created,
        graded and closed on its own days, as if lived."""
        rng = self.rng
        Lead = self.env["crm.lead"]
        sources = [
            plan["vals"]
            for plan in self.plans
            if plan["closing"] and plan["closing"][0] == "won"
        ]
        # a deal lost to a competitor would put the customer at risk: not these
        reasons = self.lost_reasons.filtered(
            lambda reason: not reason.prospect_competitor
        )
        if not sources or not reasons:
            return
        chances = {"a": 0.6, "b": 0.4, "c": 0.25, "d": 0.1}
        days_left = {"a": (-10, 30), "b": (31, 90), "c": (91, 180), "d": (181, 400)}
        for _index in range(count):
            source = rng.choice(sources)
            grade = self._weighted(list(chances), [30, 30, 25, 15])
            closed = self._days_ago(rng.randint(3, 360))
            created = closed - timedelta(days=rng.randint(20, 150))
            noon = self._noon(closed)
            won = rng.random() < chances[grade]
            partner = self.env["res.partner"].browse(source["partner_id"])
            lead = Lead.with_context(prospect_now=noon).create(
                {
                    "name": self._subject(
                        {"lang": "zh" if partner.lang == "zh_CN" else "en"}
                    ),
                    "type": "opportunity",
                    "partner_id": source["partner_id"],
                    "user_id": source.get("user_id"),
                    "team_id": source.get("team_id"),
                    "company_id": source.get("company_id"),
                    "need_status": "clear",
                    "date_deadline": closed
                    + timedelta(days=rng.randint(*days_left[grade])),
                    "expected_revenue": _nice_amount(
                        rng.lognormvariate(math.log(9000), 0.8)
                    ),
                    "probability": float(rng.randint(*PROBABILITY_BY_GRADE[grade])),
                    "stage_id": rng.choice(self.stages_by_grade[grade]).id,
                    "create_date": self._moment(created),
                }
            )
            # the prospects who answered and met the salesperson win more often
            signals = [
                (kind, rng.randint(2, 40))
                for kind, share in (
                    ("reply", 0.7 if won else 0.3),
                    ("meeting", 0.5 if won else 0.15),
                )
                if rng.random() < share
            ]
            if signals:
                self.env["prospect.engagement.event"].with_context(
                    prospect_now=noon
                )._record(
                    [
                        {
                            "lead_id": lead.id,
                            "event_type": kind,
                            "date": noon - timedelta(days=days, hours=2),
                            "dedup_key": f"demo:calibration:{lead.id}:{kind}",
                        }
                        for kind, days in signals
                    ]
                )
            closing = lead.with_context(prospect_now=noon)
            if won:
                closing.write({"stage_id": self.stage_won.id})
            else:
                closing.action_set_lost(lost_reason_id=rng.choice(reasons).id)
            # crm dates the closing now: put it back on its day
            lead.write({"date_closed": noon})

    def _set_weekly_capacities(self):
        """Weekly contact capacities (issue 14): the busiest salesperson of Direct
        Mail can make about four fifths of what the cadence asks of them, so that
        the workload forecast shows them over-loaded; their colleagues keep room to
        take leads over (Rebalance) in every week, the current one too (which
        carries the overdue contacts)."""
        weeks = 12  # the forecast's horizon
        members = self.teams["direct_mail"].member_ids
        loads = defaultdict(list)
        for user, _week, contacts in self.env["prospect.workload.report"]._read_group(
            [("user_id", "in", members.ids)],
            ["user_id", "week_start:day"],
            ["planned_contacts:sum"],
        ):
            loads[user].append(contacts)
        busiest = max(members, key=lambda user: (sum(loads[user]), user.id))
        busiest.prospect_weekly_capacity = max(
            5, 5 * round(sum(loads[busiest]) / weeks * 0.8 / 5)
        )
        for user in members - busiest:
            user.prospect_weekly_capacity = max(
                35, 5 * math.ceil(max(loads[user], default=0) * 1.2 / 5)
            )
        self.users["sophie_martin"].prospect_weekly_capacity = 30
