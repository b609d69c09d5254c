"""Rule expressions written once, usable both as SQL and in Python.

An ``Expression`` is an ``odoo.tools.SQL`` (so it goes into any statement as it is)
that also knows how to evaluate itself over the values of one record in Python,
with SQL's semantics: ``None`` is NULL, comparisons and arithmetic with NULL give
NULL, ``AND``/``OR`` follow three-valued logic and ``CASE`` takes a NULL condition
for false. The rules a save evaluates (``rules.grade``, ``rules.next_contact_date``
...) are built from these, so the nightly statements and the live computes run the
same definition, the live ones without a round trip to the database.

Only what the rules need is here. ``column(alias, name)`` reads ``values[name]`` in
Python; an SQL fragment given where an expression is expected (the engines pass
columns of their own tables) works in SQL only.
"""

from datetime import date, timedelta

from odoo.tools import SQL


class Expression(SQL):
    __slots__ = ("_evaluate",)

    def __init__(self, sql, evaluate):
        super().__init__(sql)
        self._evaluate = evaluate

    def evaluate(self, values):
        """The value of the expression for one record: ``values`` maps the names of
        the columns it reads to their values (``None`` for NULL)."""
        return self._evaluate(values)


class LazyValues(dict):
    """The values of one record for ``Expression.evaluate``, each read the first
    time an expression needs it: ``readers[name](record, values)``, else the
    record's field ``name`` (``None`` when empty). An expression that does not
    reach a value does not read it."""

    __slots__ = ("record", "readers")

    def __init__(self, record, readers):
        super().__init__()
        self.record = record
        self.readers = readers

    def __missing__(self, name):
        reader = self.readers.get(name)
        if reader is None:
            value = self.record[name]
            if value is False and self.record._fields[name].type != "boolean":
                value = None
        else:
            value = reader(self.record, self)
        self[name] = value
        return value


def _sql_only(sql):
    def evaluate(values):
        raise TypeError(f"{sql.code!r} can only be evaluated by the database")

    return evaluate


def expression(value):
    """``value`` as an expression: an expression as is, SQL as SQL only, any
    other value as a constant (a bound parameter)."""
    if isinstance(value, Expression):
        return value
    if isinstance(value, SQL):
        return Expression(value, _sql_only(value))
    return Expression(SQL("%s", value), lambda values: value)


def column(alias, name):
    return Expression(
        SQL("%s.%s", SQL.identifier(alias), SQL.identifier(name)),
        lambda values: values[name],
    )


def _operator(template, function, *operands, null_in_null_out=True):
    """``function`` of the operands' values; NULL if one is NULL, unless told."""
    operands = [expression(operand) for operand in operands]
    # a save evaluates these for every lead: no loop over one or two operands
    if len(operands) == 1:
        first = operands[0]._evaluate
        if null_in_null_out:

            def evaluate(values):
                x = first(values)
                return None if x is None else function(x)

        else:

            def evaluate(values):
                return function(first(values))

    else:
        first, second = (operand._evaluate for operand in operands)
        if null_in_null_out:

            def evaluate(values):
                x, y = first(values), second(values)
                return None if x is None or y is None else function(x, y)

        else:

            def evaluate(values):
                return function(first(values), second(values))

    return Expression(SQL(template, *operands), evaluate)


def is_null(operand):
    return _operator(
        "(%s IS NULL)", lambda x: x is None, operand, null_in_null_out=False
    )


def is_not_null(operand):
    return _operator(
        "(%s IS NOT NULL)", lambda x: x is not None, operand, null_in_null_out=False
    )


def equal(left, right):
    return _operator("(%s = %s)", lambda x, y: x == y, left, right)


def distinct(left, right):
    return _operator(
        "(%s IS DISTINCT FROM %s)",
        lambda x, y: x != y,
        left,
        right,
        null_in_null_out=False,
    )


def less_equal(left, right):
    return _operator("(%s <= %s)", lambda x, y: x <= y, left, right)


def greater(left, right):
    return _operator("(%s > %s)", lambda x, y: x > y, left, right)


def _plus(x, y):
    # a date plus a number of days is a date, as in SQL
    return x + timedelta(days=y) if isinstance(x, date) else x + y


def _minus(x, y):
    # a date minus a date is a number of days, as in SQL
    return (x - y).days if isinstance(x, date) else x - y


def plus(left, right):
    return _operator("(%s + %s)", _plus, left, right)


def minus(left, right):
    return _operator("(%s - %s)", _minus, left, right)


def times(left, right):
    return _operator("(%s * %s)", lambda x, y: x * y, left, right)


def coalesce(*operands):
    operands = [expression(operand) for operand in operands]
    evaluators = [operand._evaluate for operand in operands]

    def evaluate(values):
        for operand in evaluators:
            value = operand(values)
            if value is not None:
                return value
        return None

    return Expression(SQL("COALESCE(%s)", SQL(", ").join(operands)), evaluate)


def _logical(joiner, decisive, operands):
    """``AND`` (``decisive`` false) or ``OR`` (true) with three-valued logic: the
    decisive value if an operand has it, else NULL if one is NULL."""
    operands = [expression(operand) for operand in operands]
    evaluators = [operand._evaluate for operand in operands]

    def evaluate(values):
        result = not decisive
        for operand in evaluators:
            value = operand(values)
            if value is decisive:
                return decisive
            if value is None:
                result = None
        return result

    return Expression(SQL("(%s)", SQL(joiner).join(operands)), evaluate)


def all_of(*operands):
    return _logical(" AND ", False, operands)


def any_of(*operands):
    return _logical(" OR ", True, operands)


def negation(operand):
    return _operator("(NOT %s)", lambda x: not x, operand)


def case(*whens, default=None):
    """``CASE WHEN condition THEN result ... ELSE default END``: the result of the
    first condition that holds (a NULL condition does not)."""
    whens = [(expression(when), expression(then)) for when, then in whens]
    default = expression(default)
    branches = [(when._evaluate, then._evaluate) for when, then in whens]
    otherwise = default._evaluate

    def evaluate(values):
        for when, then in branches:
            if when(values) is True:
                return then(values)
        return otherwise(values)

    return Expression(
        SQL(
            "CASE %s ELSE %s END",
            SQL(" ").join(SQL("WHEN %s THEN %s", when, then) for when, then in whens),
            default,
        ),
        evaluate,
    )
