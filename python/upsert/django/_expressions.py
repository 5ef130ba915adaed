"""Django expressions as upsert expressions.

``F("x")`` is the existing row's column, ``Proposed("x")`` the proposed row's; ``Value``, ``+ - * /``,
``Greatest``, ``Least``, ``Coalesce``, ``Case``/``When``, ``ExpressionWrapper`` and plain Python values
translate to the library's expression tree, so every engine computes what PostgreSQL computes (NULLs
ignored by GREATEST/LEAST, integer division truncating, every expression reading the old row).
Conditions (``where=``, ``When``) are ``Q`` objects whose lookups name fields of the existing row, with
``exact``, ``gt``, ``gte``, ``lt``, ``lte``, ``isnull`` and ``in``; their values may be expressions,
``Proposed(...)`` included. Anything else is refused with an error naming it.

Django APIs relied on (unchanged from 3.2 through 5.x): ``F.name``, ``Value.value``,
``CombinedExpression.lhs/.connector/.rhs``, ``Func.get_source_expressions()``, ``Case.cases/.default``,
``When.condition/.result``, ``ExpressionWrapper.expression``, ``Q.children/.connector/.negated``,
``Lookup.lhs/.rhs/.lookup_name``, ``Model._meta``.
"""

import datetime
import functools

import upsert
from django.db.models import F, Model, Q, Value
from django.db.models.expressions import Case, CombinedExpression, ExpressionWrapper, When
from django.db.models.functions import Coalesce, Greatest, Least
from django.db.models.lookups import Lookup


class Proposed(F):
    """The value the upsert proposed for a field (PostgreSQL's ``EXCLUDED.field``), for ``update=`` and
    ``where=`` of :func:`upsert.django.upsert`: ``F("participants") + Proposed("participants")``."""

    def resolve_expression(self, *args, **kwargs):
        raise TypeError(
            "Proposed(%r) names the row an upsert proposes; it means something only inside "
            "upsert.django.upsert(update=..., where=...), not in a queryset" % self.name)

    def __repr__(self):
        return "Proposed(%r)" % self.name


_ARITHMETIC = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}

_COMPARISONS = {
    "exact": lambda a, b: a == b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}

_FUNCTIONS = ((Greatest, upsert.greatest), (Least, upsert.least), (Coalesce, upsert.coalesce))


def _native_type(field):
    """The Python type a value of `field` needs no preparation in (int for an integer column)."""
    from upsert.django._schema import column_type

    native = {upsert.Type.int64: int, upsert.Type.text: str, upsert.Type.float64: float,
              upsert.Type.boolean: bool, upsert.Type.date: datetime.date}
    try:
        return native.get(column_type(field))
    except TypeError:
        return None


_natives = {}


def prepare_value(field, value):
    """A Python value as the column of `field` stores it (a related instance as its key)."""
    if value is None:
        return None
    try:
        native = _natives[field]
    except KeyError:
        native = _natives[field] = _native_type(field)
    if type(value) is native:  # already what get_prep_value would return: skip it (the hot path)
        return value
    if isinstance(value, Model):
        target = getattr(field, "target_field", None)
        if target is None:
            raise TypeError("%s.%s is not a relation, but got the model instance %r"
                            % (field.model.__name__, field.name, value))
        return getattr(value, target.attname)
    value = field.get_prep_value(value)
    if isinstance(value, (memoryview, bytearray)):  # a BinaryField read back from the database
        return bytes(value)
    return value


def _refuse(expression, where):
    raise TypeError(
        "%s: %r (%s) cannot be translated; upsert.django takes F, Proposed, Value, + - * /, Greatest, Least, "
        "Coalesce, Case/When, ExpressionWrapper and plain values, and Q conditions with exact, gt, gte, lt, "
        "lte, isnull and in" % (where, expression, type(expression).__name__))


class Translator:
    """Translates expressions for one model; `where` names the place in messages."""

    def __init__(self, model_table, where):
        self.model_table = model_table
        self.where = where

    def expression(self, e, field=None):
        """An upsert expression for Django expression `e`; `field` prepares plain values."""
        if isinstance(e, Proposed):
            return upsert.proposed(self.model_table.column(e.name))
        if isinstance(e, F):
            if type(e) is not F:
                _refuse(e, self.where)
            return upsert.col(self.model_table.column(e.name))
        if isinstance(e, Value):
            return self.value(e.value, field)
        if isinstance(e, ExpressionWrapper):
            return self.expression(e.expression, field)
        if isinstance(e, CombinedExpression):
            op = _ARITHMETIC.get(e.connector)
            if op is None:
                raise TypeError("%s: the operator %r in %r is not supported; use + - * /"
                                % (self.where, e.connector, e))
            return op(self.expression(e.lhs, field), self.expression(e.rhs, field))
        for django_function, ours in _FUNCTIONS:
            if type(e) is django_function:
                return ours(*[self.expression(a, field) for a in e.get_source_expressions()])
        if type(e) is Case:
            whens = [(self.condition(w.condition), self.expression(w.result, field)) for w in e.cases]
            return upsert.case(whens, else_=self.expression(e.default, field))
        if isinstance(e, (Q, Lookup)):
            return self.condition(e)
        if hasattr(e, "resolve_expression"):
            _refuse(e, self.where)
        return self.value(e, field)

    def value(self, v, field):
        return upsert.value(prepare_value(field, v) if field is not None else v)

    def condition(self, c):
        """An upsert condition for a Q object or a lookup."""
        if isinstance(c, Q):
            parts = []
            for child in c.children:
                if isinstance(child, tuple):
                    parts.append(self.lookup(*child))
                else:
                    parts.append(self.condition(child))
            if not parts:
                raise ValueError("%s: an empty Q() is no condition" % self.where)
            combine = upsert.and_ if c.connector == Q.AND else upsert.or_
            result = functools.reduce(combine, parts)
            return upsert.not_(result) if c.negated else result
        if isinstance(c, Lookup):
            return self.compare(c.lookup_name, self.expression(c.lhs), c.rhs, None, c)
        if isinstance(c, When):
            return self.condition(c.condition)
        _refuse(c, self.where)

    def lookup(self, path, value):
        name, _, lookup = path.partition("__")
        if "__" in lookup:
            raise TypeError("%s: %r follows a relation; an upsert condition reads the row's own fields"
                            % (self.where, path))
        field = self.model_table.field(name)
        return self.compare(lookup or "exact", upsert.col(field.column), value, field, path)

    def compare(self, lookup, lhs, rhs, field, shown):
        if lookup == "isnull":
            return upsert.is_null(lhs) if rhs else upsert.not_(upsert.is_null(lhs))
        if lookup == "in":
            options = [self.expression(v, field) for v in rhs]
            if not options:
                raise ValueError("%s: %r with an empty list is never true" % (self.where, shown))
            tests = [lhs == option for option in options]
            return functools.reduce(upsert.or_, tests)
        op = _COMPARISONS.get(lookup)
        if op is None:
            raise TypeError("%s: the lookup %r in %r is not supported; use exact, gt, gte, lt, lte, isnull or in"
                            % (self.where, lookup, shown))
        if rhs is None:
            if lookup != "exact":
                raise ValueError("%s: %r compares with None, which is never true" % (self.where, shown))
            return upsert.is_null(lhs)
        return op(lhs, self.expression(rhs, field))
