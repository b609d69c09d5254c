"""Sheet writing of the tier report: xlsxwriter only, no ORM.

The wizard (``prospect_tier_report.py``) gathers the numbers with the exporting user's
record rules and hands them over here. The workbook is opened in xlsxwriter's
``constant_memory`` mode: every sheet is written strictly row by row (a row is flushed
to disk as soon as the next one starts), so the layouts below never go back up.
"""

import xlsxwriter

SHEET_SUMMARY = "Summary"
SHEET_MATRIX = "Tier x Grade"
SHEET_SALESPERSON = "By Salesperson"
SHEET_MOVEMENTS = "Movements"
SHEET_AT_RISK = "At Risk"
SHEET_LEADS = "Leads"

# tiers ranked by revenue: the top customers of the method (20 % by default, the
# shares of the settings: the label the wizard gives says how many)
TOP_TIERS = ("super", "large", "medium")
# A4
PAPER_A4 = 9


class TierReportWriter:
    """Writes the five sheets of the tier report into ``target`` (a path or a
    binary file object). ``texts`` maps keys to translated headers and ``labels``
    maps a selection name to ``{value: translated label}``."""

    def __init__(self, target, texts, labels):
        self.texts = texts
        self.labels = labels
        self.workbook = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,
                "default_date_format": "yyyy-mm-dd",
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        book = self.workbook
        self.fmt = {
            "title": book.add_format({"bold": True, "font_size": 14}),
            "subtitle": book.add_format({"bold": True, "font_size": 11}),
            "header": book.add_format(
                {
                    "bold": True,
                    "bg_color": "#714B67",
                    "font_color": "#FFFFFF",
                    "border": 1,
                    "text_wrap": True,
                    "valign": "vcenter",
                }
            ),
            "label": book.add_format({"bold": True, "border": 1}),
            "int": book.add_format({"num_format": "#,##0", "border": 1}),
            "money": book.add_format({"num_format": "#,##0.00", "border": 1}),
            "pct": book.add_format({"num_format": "0.0%", "border": 1}),
            "total_label": book.add_format(
                {"bold": True, "top": 2, "bg_color": "#EEEEEE"}
            ),
            "total_int": book.add_format(
                {"bold": True, "num_format": "#,##0", "top": 2, "bg_color": "#EEEEEE"}
            ),
            "total_money": book.add_format(
                {
                    "bold": True,
                    "num_format": "#,##0.00",
                    "top": 2,
                    "bg_color": "#EEEEEE",
                }
            ),
            "total_pct": book.add_format(
                {"bold": True, "num_format": "0.0%", "top": 2, "bg_color": "#EEEEEE"}
            ),
            "note": book.add_format({"italic": True, "font_color": "#555555"}),
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
            "cell_money": book.add_format({"num_format": "#,##0.00"}),
            "cell_int": book.add_format({"num_format": "#,##0"}),
            "cell_pct": book.add_format({"num_format": "0%"}),
        }

    def close(self):
        self.workbook.close()

    def label(self, selection, value):
        if not value:
            return self.texts["none"]
        return self.labels[selection].get(value, value)

    def _header(self, sheet, row, headers, col=0):
        sheet.write_row(row, col, headers, self.fmt["header"])

    def _add_sheet(self, name, header_rows=1):
        """A sheet that prints on A4 landscape, one page wide (as many pages high
        as needed), its first ``header_rows`` rows repeated on top of every page."""
        sheet = self.workbook.add_worksheet(name)
        sheet.set_landscape()
        sheet.set_paper(PAPER_A4)
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(0, header_rows - 1)
        sheet.set_footer("&L&A&R&P / &N")
        return sheet

    # ------------------------------------------------------------------ Summary
    def write_summary(self, companies, tiers, grades, filters, potential=()):
        """``tiers[company_id]``: {tier: (leads, partners, revenue)};
        ``grades[company_id]``: {grade: (leads, partners, expected, prorated)};
        ``potential``: the potential key customers, as ``_customer_row`` wants
        them."""
        t = self.texts
        sheet = self._add_sheet(SHEET_SUMMARY)
        sheet.set_column(0, 0, 26)
        sheet.set_column(1, 6, 16)
        sheet.write_string(0, 0, t["title"], self.fmt["title"])
        row = 1
        for line in filters:
            sheet.write_string(row, 0, line, self.fmt["note"])
            row += 1
        row += 1
        for company in companies:
            row = self._summary_company(sheet, row, company, tiers, grades)
        t = self.texts
        sheet.write_string(row, 0, t["potential_title"], self.fmt["subtitle"])
        row += 1
        if not potential:
            sheet.write_string(row, 0, t["no_potential"], self.fmt["note"])
            return sheet
        headers = [
            t["customer"],
            t["company"],
            t["tier"],
            t["projected_tier"],
            t["weighted_pipeline"],
            t["salesperson"],
            t["reason"],
        ]
        self._header(sheet, row, headers)
        row += 1
        for line in potential:
            self._customer_row(sheet, row, line, ("projected_tier", "weighted"))
            row += 1
        return sheet

    def _customer_row(self, sheet, row, line, extra):
        """One customer of the Summary's potential keys or of At Risk: customer,
        company, tier, then the ``extra`` values, salesperson and reason."""
        sheet.write_string(row, 0, line["customer"] or "")
        sheet.write_string(row, 1, line["company"])
        sheet.write_string(row, 2, self.label("pyramid_tier", line["tier"]))
        col = 3
        for key in extra:
            value = line[key]
            if key.endswith("tier"):
                sheet.write_string(row, col, self.label("pyramid_tier", value))
            elif isinstance(value, str):
                sheet.write_string(row, col, value)
            elif value is None or value is False:
                sheet.write_blank(row, col, None)
            elif hasattr(value, "isoformat"):
                sheet.write_datetime(row, col, value, self.fmt["date"])
            elif isinstance(value, int) and not key.startswith("revenue"):
                sheet.write_number(row, col, value, self.fmt["cell_int"])
            else:
                sheet.write_number(row, col, float(value), self.fmt["cell_money"])
            col += 1
        sheet.write_string(row, col, line["salesperson"] or self.texts["unassigned"])
        sheet.write_string(row, col + 1, line["reason"] or "")

    # ------------------------------------------------------------------ At Risk
    def write_at_risk(self, rows):
        """Slipping key accounts, most valuable first: one row per customer."""
        t = self.texts
        sheet = self._add_sheet(SHEET_AT_RISK)
        headers = [
            t["customer"],
            t["company"],
            t["tier"],
            t["colour"],
            t["revenue"],
            t["revenue_previous"],
            t["last_purchase"],
            t["usual_interval"],
            t["at_risk_since"],
            t["salesperson"],
            t["reason"],
        ]
        sheet.set_column(0, 1, 26)
        sheet.set_column(2, 9, 14)
        sheet.set_column(10, 10, 60)
        self._header(sheet, 0, headers)
        sheet.set_row(0, 32)
        sheet.freeze_panes(1, 1)
        row = 1
        for line in rows:
            line = dict(line, colour=self.label("key_account_colour", line["colour"]))
            self._customer_row(
                sheet,
                row,
                line,
                (
                    "colour",
                    "revenue",
                    "revenue_previous",
                    "last_purchase",
                    "usual_interval",
                    "since",
                ),
            )
            row += 1
        if not rows:
            sheet.write_string(1, 0, t["no_at_risk"], self.fmt["note"])
        else:
            sheet.autofilter(0, 0, row - 1, len(headers) - 1)
        return sheet

    def _summary_company(self, sheet, row, company, tiers, grades):
        t, fmt = self.texts, self.fmt
        company_id, company_name, currency = company
        sheet.write_string(
            row, 0, f"{company_name} ({currency})", fmt["subtitle"]
        )  # no translation: names
        row += 1
        self._header(
            sheet,
            row,
            [t["tier"], t["leads"], t["partners"], t["revenue"], t["share"]],
        )
        row += 1
        by_tier = tiers.get(company_id, {})
        total_leads = sum(v[0] for v in by_tier.values())
        total_partners = sum(v[1] for v in by_tier.values())
        total_revenue = sum(v[2] for v in by_tier.values())
        first = row
        codes = list(self.labels["pyramid_tier"])
        if None in by_tier:
            codes.append(None)
        for code in codes:
            leads, partners, revenue = by_tier.get(code, (0, 0, 0.0))
            sheet.write_string(row, 0, self.label("pyramid_tier", code), fmt["label"])
            sheet.write_number(row, 1, leads, fmt["int"])
            sheet.write_number(row, 2, partners, fmt["int"])
            sheet.write_number(row, 3, revenue, fmt["money"])
            sheet.write_number(
                row, 4, revenue / total_revenue if total_revenue else 0, fmt["pct"]
            )
            row += 1
        last = row - 1
        sheet.write_string(row, 0, t["total"], fmt["total_label"])
        sheet.write_number(row, 1, total_leads, fmt["total_int"])
        sheet.write_number(row, 2, total_partners, fmt["total_int"])
        sheet.write_number(row, 3, total_revenue, fmt["total_money"])
        sheet.write_number(row, 4, 1 if total_revenue else 0, fmt["total_pct"])
        row += 1
        # does the 80/20 rule hold? the top customers (20 % by default) are the
        # super, large and medium tiers
        top_revenue = sum(by_tier.get(code, (0, 0, 0.0))[2] for code in TOP_TIERS)
        top_share = top_revenue / total_revenue if total_revenue else 0.0
        sheet.write_string(row, 0, t["pareto"], fmt["note"])
        sheet.write_number(row, 4, top_share, fmt["pct"])
        row += 1
        self._pyramid_chart(sheet, first, last, company_name)
        row += 1
        # the same per grade
        self._header(
            sheet,
            row,
            [
                t["grade"],
                t["leads"],
                t["partners"],
                t["expected"],
                t["prorated"],
                t["lead_share"],
            ],
        )
        row += 1
        by_grade = grades.get(company_id, {})
        grade_leads = sum(v[0] for v in by_grade.values())
        codes = list(self.labels["prospect_grade"])
        if None in by_grade:
            codes.append(None)
        for code in codes:
            leads, partners, expected, prorated = by_grade.get(code, (0, 0, 0.0, 0.0))
            sheet.write_string(row, 0, self.label("prospect_grade", code), fmt["label"])
            sheet.write_number(row, 1, leads, fmt["int"])
            sheet.write_number(row, 2, partners, fmt["int"])
            sheet.write_number(row, 3, expected, fmt["money"])
            sheet.write_number(row, 4, prorated, fmt["money"])
            sheet.write_number(
                row, 5, leads / grade_leads if grade_leads else 0, fmt["pct"]
            )
            row += 1
        sheet.write_string(row, 0, t["total"], fmt["total_label"])
        sheet.write_number(row, 1, grade_leads, fmt["total_int"])
        sheet.write_blank(row, 2, None, fmt["total_int"])
        sheet.write_number(
            row, 3, sum(v[2] for v in by_grade.values()), fmt["total_money"]
        )
        sheet.write_number(
            row, 4, sum(v[3] for v in by_grade.values()), fmt["total_money"]
        )
        sheet.write_number(row, 5, 1 if grade_leads else 0, fmt["total_pct"])
        return max(row + 3, first + 22)

    def _pyramid_chart(self, sheet, first, last, company_name):
        """Customers per tier as horizontal bars, super on top: the pyramid."""
        t = self.texts
        chart = self.workbook.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": t["partners"],
                "categories": [SHEET_SUMMARY, first, 0, last, 0],
                "values": [SHEET_SUMMARY, first, 2, last, 2],
                "fill": {"color": "#714B67"},
                "gap": 20,
                "data_labels": {"value": True},
            }
        )
        chart.set_title({"name": f"{t['chart_title']} — {company_name}"})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis({"major_gridlines": {"visible": False}})
        chart.set_size({"width": 520, "height": 360})
        sheet.insert_chart(first - 1, 7, chart)

    # ------------------------------------------------------------- Tier x Grade
    def write_matrix(self, companies, matrix):
        """``matrix[company_id][(tier, grade)]``: (leads, expected, prorated)."""
        t, fmt = self.texts, self.fmt
        sheet = self._add_sheet(SHEET_MATRIX)
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, 7, 14)
        sheet.write_string(0, 0, t["matrix_title"], fmt["title"])
        row = 2
        tiers = list(self.labels["pyramid_tier"])
        grades = list(self.labels["prospect_grade"])
        blocks = [
            (t["leads"], 0, "int", "total_int"),
            (t["expected"], 1, "money", "total_money"),
            (t["prorated"], 2, "money", "total_money"),
        ]
        for company_id, company_name, currency in companies:
            cells = matrix.get(company_id, {})
            row_tiers = tiers + ([None] if any(k[0] is None for k in cells) else [])
            col_grades = grades + ([None] if any(k[1] is None for k in cells) else [])
            for title, index, num, total in blocks:
                suffix = f" ({currency})" if index else ""
                sheet.write_string(
                    row, 0, f"{company_name} — {title}{suffix}", fmt["subtitle"]
                )
                row += 1
                self._header(
                    sheet,
                    row,
                    [f"{t['tier']} \\ {t['grade']}"]
                    + [self.label("prospect_grade", g) for g in col_grades]
                    + [t["total"]],
                )
                row += 1
                first = row
                for tier in row_tiers:
                    sheet.write_string(
                        row, 0, self.label("pyramid_tier", tier), fmt["label"]
                    )
                    values = [
                        cells.get((tier, g), (0, 0.0, 0.0))[index] for g in col_grades
                    ]
                    for col, value in enumerate(values, start=1):
                        sheet.write_number(row, col, value, fmt[num])
                    sheet.write_number(row, len(values) + 1, sum(values), fmt[total])
                    row += 1
                sheet.conditional_format(
                    first,
                    1,
                    row - 1,
                    len(col_grades),
                    {
                        "type": "3_color_scale",
                        "min_color": "#FFFFFF",
                        "mid_color": "#F4C7C3",
                        "max_color": "#C0392B",
                    },
                )
                sheet.write_string(row, 0, t["total"], fmt["total_label"])
                for col, grade in enumerate(col_grades, start=1):
                    value = sum(
                        cells.get((tier, grade), (0, 0.0, 0.0))[index]
                        for tier in row_tiers
                    )
                    sheet.write_number(row, col, value, fmt[total])
                sheet.write_number(
                    row,
                    len(col_grades) + 1,
                    sum(v[index] for v in cells.values()),
                    fmt[total],
                )
                row += 2
        return sheet

    # ---------------------------------------------------------- By Salesperson
    def write_salespeople(self, rows, multi_company):
        """``rows``: dicts with company, salesperson, leads, tiers (dict), grades
        (dict), due, abandon."""
        t, fmt = self.texts, self.fmt
        sheet = self._add_sheet(SHEET_SALESPERSON)
        tiers = list(self.labels["pyramid_tier"])
        grades = list(self.labels["prospect_grade"])
        headers = [t["company"]] if multi_company else []
        headers += [t["salesperson"], t["leads"]]
        headers += [self.label("pyramid_tier", c) for c in tiers]
        headers += [f"{t['grade']} {self.label('prospect_grade', g)}" for g in grades]
        headers += [t["due"], t["abandon"]]
        offset = 1 if multi_company else 0
        sheet.set_column(0, offset, 24)
        sheet.set_column(offset + 1, len(headers), 11)
        self._header(sheet, 0, headers)
        sheet.set_row(0, 32)
        sheet.freeze_panes(1, offset + 1)
        row = 1
        for line in rows:
            col = 0
            if multi_company:
                sheet.write_string(row, col, line["company"])
                col += 1
            sheet.write_string(row, col, line["salesperson"])
            values = (
                [line["leads"]]
                + [line["tiers"].get(c, 0) for c in tiers]
                + [line["grades"].get(g, 0) for g in grades]
                + [line["due"], line["abandon"]]
            )
            for index, value in enumerate(values, start=col + 1):
                sheet.write_number(row, index, value, fmt["cell_int"])
            row += 1
        if rows:
            sheet.autofilter(0, 0, row - 1, len(headers) - 1)
            sheet.conditional_format(
                1,
                len(headers) - 2,
                row - 1,
                len(headers) - 2,
                {"type": "data_bar", "bar_color": "#E67E22"},
            )
            sheet.conditional_format(
                1,
                len(headers) - 1,
                row - 1,
                len(headers) - 1,
                {"type": "data_bar", "bar_color": "#C0392B"},
            )
        return sheet

    # ---------------------------------------------------------------- Movements
    def write_movements(self, moves, matrix, period, multi_company):
        """``moves``: iterable of (date, company, customer, lead, old, new, reason,
        salesperson); ``matrix``: {(old, new): count}. The from x to matrix sits to
        the right of the list, written row by row along with it."""
        t, fmt = self.texts, self.fmt
        sheet = self._add_sheet(SHEET_MOVEMENTS)
        headers = [t["date"]]
        headers += [t["company"]] if multi_company else []
        headers += [
            t["customer"],
            t["lead"],
            t["from"],
            t["to"],
            t["reason"],
            t["salesperson"],
        ]
        widths = [11] + ([20] if multi_company else []) + [28, 32, 12, 12, 36, 20]
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        gap = len(headers) + 1
        sheet.set_column(gap, gap, 18)
        # the matrix: title, header, one row per "from" tier, total
        tiers = [c for c in self.labels["pyramid_tier"]]
        used = {k for pair in matrix for k in pair}
        tiers += [k for k in used if k not in tiers]
        matrix_rows = [
            ("title", f"{t['moves_matrix']} ({period})"),
            (
                "header",
                [f"{t['from']} \\ {t['to']}"]
                + [self.label("pyramid_tier", c) for c in tiers]
                + [t["total"]],
            ),
        ]
        for old in tiers:
            counts = [matrix.get((old, new), 0) for new in tiers]
            matrix_rows.append(("row", (self.label("pyramid_tier", old), counts)))
        totals = [sum(matrix.get((old, new), 0) for old in tiers) for new in tiers]
        matrix_rows.append(("total", (t["total"], totals)))

        def write_matrix_row(row):
            if row >= len(matrix_rows):
                return
            kind, value = matrix_rows[row]
            if kind == "title":
                sheet.write_string(row, gap, value, fmt["subtitle"])
            elif kind == "header":
                self._header(sheet, row, value, col=gap)
            else:
                label, counts = value
                style = "total_int" if kind == "total" else "int"
                sheet.write_string(
                    row, gap, label, fmt["total_label" if kind == "total" else "label"]
                )
                for col, count in enumerate(counts, start=gap + 1):
                    sheet.write_number(row, col, count, fmt[style])
                sheet.write_number(row, gap + 1 + len(counts), sum(counts), fmt[style])

        self._header(sheet, 0, headers)
        write_matrix_row(0)
        sheet.freeze_panes(1, 0)
        row = 1
        for move in moves:
            move_date, company, customer, lead, old, new, reason, user = move
            sheet.write_datetime(row, 0, move_date, fmt["date"])
            col = 1
            if multi_company:
                sheet.write_string(row, col, company or "")
                col += 1
            sheet.write_string(row, col, customer or "")
            sheet.write_string(row, col + 1, lead or "")
            sheet.write_string(row, col + 2, self.label("pyramid_tier", old))
            sheet.write_string(row, col + 3, self.label("pyramid_tier", new))
            sheet.write_string(row, col + 4, reason or "")
            sheet.write_string(row, col + 5, user or t["unassigned"])
            write_matrix_row(row)
            row += 1
        if row == 1:
            sheet.write_string(row, 0, t["no_moves"], fmt["note"])
        for rest in range(row, len(matrix_rows)):
            write_matrix_row(rest)
        if len(matrix_rows) > 2:
            sheet.conditional_format(
                2,
                gap + 1,
                len(matrix_rows) - 2,
                gap + len(tiers),
                {
                    "type": "2_color_scale",
                    "min_color": "#FFFFFF",
                    "max_color": "#5DADE2",
                },
            )
        sheet.write_string(
            max(row, len(matrix_rows)) + 1, gap, t["dynamic"], fmt["note"]
        )
        if row > 1:
            sheet.autofilter(0, 0, row - 1, len(headers) - 1)
        return row - 1

    # -------------------------------------------------------------------- Leads
    def leads_columns(self, multi_company):
        """(header, kind, width) of the Leads sheet, in SQL column order."""
        t = self.texts
        columns = [
            (t["id"], "int", 8),
            (t["lead"], "str", 32),
            (t["customer"], "str", 28),
            (t["company"], "str", 18),
            (t["team"], "str", 16),
            (t["salesperson"], "str", 18),
            (t["stage"], "str", 14),
            (t["tier"], "pyramid_tier", 11),
            (t["grade"], "prospect_grade", 7),
            (t["colour"], "key_account_colour", 9),
            (t["revenue"], "money", 14),
            (t["expected"], "money", 14),
            (t["probability"], "pct100", 9),
            (t["last_contact"], "date", 11),
            (t["next_contact"], "date", 11),
            (t["urgency"], "contact_urgency", 9),
            (t["score"], "int", 8),
            (t["abandon_flag"], "bool", 10),
        ]
        if not multi_company:
            del columns[3]
        return columns

    def write_leads(self, chunks, multi_company):
        """``chunks`` yields lists of row tuples in :meth:`leads_columns` order."""
        sheet = self._add_sheet(SHEET_LEADS)
        columns = self.leads_columns(multi_company)
        for col, (_header, _kind, width) in enumerate(columns):
            sheet.set_column(col, col, width)
        self._header(sheet, 0, [c[0] for c in columns])
        sheet.set_row(0, 30)
        sheet.freeze_panes(1, 2)
        yes, no = self.texts["yes"], self.texts["no"]
        writers = []
        for col, (_header, kind, _width) in enumerate(columns):
            writers.append((col, self._cell_writer(sheet, kind, yes, no)))
        row = 0
        for rows in chunks:
            for values in rows:
                row += 1
                for (col, writer), value in zip(writers, values):  # noqa: B905
                    if value is not None:
                        writer(row, col, value)
        sheet.autofilter(0, 0, max(row, 1), len(columns) - 1)
        return row

    def _cell_writer(self, sheet, kind, yes, no):
        fmt = self.fmt
        if kind == "str":
            return sheet.write_string
        if kind == "int":
            return lambda r, c, v: sheet.write_number(r, c, v, fmt["cell_int"])
        if kind == "money":
            return lambda r, c, v: sheet.write_number(r, c, v, fmt["cell_money"])
        if kind == "pct100":
            return lambda r, c, v: sheet.write_number(r, c, v / 100, fmt["cell_pct"])
        if kind == "date":
            return lambda r, c, v: sheet.write_datetime(r, c, v, fmt["date"])
        if kind == "bool":
            return lambda r, c, v: sheet.write_string(r, c, yes if v else no)
        labels = self.labels[kind]
        return lambda r, c, v: sheet.write_string(r, c, labels.get(v, v))
