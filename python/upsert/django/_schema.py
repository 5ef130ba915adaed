"""A Django model as an upsert table: its concrete fields as typed columns (``field.column``, so
``db_column`` and foreign keys' ``<name>_id`` are honoured), ``_meta.db_table``, and its unique keys
(primary key, ``unique=True``, ``unique_together``, ``UniqueConstraint(fields=...)`` without a
condition), plus the inference of the conflict target from the fields a row gives.

Django APIs relied on (unchanged from 3.2 through 5.x): ``_meta.db_table``, ``_meta.concrete_fields``,
``_meta.get_field``, ``_meta.pk``, ``_meta.parents``, ``_meta.unique_together``, ``_meta.constraints``,
``field.column``, ``field.attname``, ``field.name``, ``field.null``, ``field.unique``,
``field.primary_key``, ``field.get_internal_type()``, ``field.target_field``, ``field.has_default()``,
``field.get_default()``, ``field.get_prep_value()``, ``field.pre_save()``, ``UniqueConstraint.fields``
and ``.condition``.
"""

import threading

import upsert
from django.core.exceptions import FieldDoesNotExist
from django.db import models

_INT = {
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField",
}
_TEXT = {
    "CharField", "TextField", "SlugField", "EmailField", "URLField", "FilePathField", "GenericIPAddressField",
    "IPAddressField", "FileField", "ImageField",
}
_AUTO = {"AutoField", "BigAutoField", "SmallAutoField"}


def column_type(field):
    """The upsert column type of a Django field, or a clear error."""
    kind = field.get_internal_type()
    if kind in ("ForeignKey", "OneToOneField"):
        return column_type(field.target_field)
    if kind in _INT:
        return upsert.Type.int64
    if kind in _TEXT:
        return upsert.Type.text
    if kind == "FloatField":
        return upsert.Type.float64
    if kind in ("BooleanField", "NullBooleanField"):
        return upsert.Type.boolean
    if kind == "DateField":
        return upsert.Type.date
    if kind == "DateTimeField":
        return upsert.Type.timestamp
    if kind == "BinaryField":
        return upsert.Type.bytes
    hint = " (decimals would be rounded through float: use an integer of cents, or FloatField)" if (
        kind == "DecimalField") else ""
    raise TypeError(
        "%s.%s is a %s, which upsert.django cannot bind without changing its value%s; leave it out of the "
        "rows or change its type" % (field.model.__name__, field.name, kind, hint)
    )


class ModelTable:
    """What upsert.django knows about one model: the table, and each field by name and attname."""

    def __init__(self, model):
        meta = model._meta
        if meta.parents:
            raise TypeError(
                "%s inherits from a concrete model (multi-table inheritance): its fields live in several tables, "
                "and an upsert writes one; upsert the parent and the child separately" % model.__name__
            )
        self.model = model
        self.fields = {}  # name and attname -> field
        self.table = upsert.Table(meta.db_table)
        self.auto_pk = meta.pk.get_internal_type() in _AUTO
        for field in meta.concrete_fields:
            self.fields[field.name] = field
            self.fields[field.attname] = field
            self.fields.setdefault(field.column, field)
            kwargs = {}
            if not field.null:
                kwargs["not_null"] = True
            if field.primary_key and self.auto_pk:
                kwargs = {"identity": True}
            self.table.column(field.column, column_type(field), **kwargs)
        self.keys = self._unique_keys(meta)
        self.table.primary_key([meta.pk.column])
        for key in self.keys:
            if key == (meta.pk.name,):
                continue
            self.table.unique_key([self.fields[name].column for name in key])

    @staticmethod
    def _unique_keys(meta):
        """Every unique key a row can conflict on, as a tuple of field names."""
        # An engine-numbered primary key is never inserted, so it never conflicts: not a target.
        keys = [] if meta.pk.get_internal_type() in _AUTO else [(meta.pk.name,)]
        for field in meta.concrete_fields:
            if field.unique and not field.primary_key:
                keys.append((field.name,))
        for together in meta.unique_together:
            keys.append(tuple(meta.get_field(name).name for name in together))
        for constraint in meta.constraints:
            if (isinstance(constraint, models.UniqueConstraint) and constraint.fields
                    and constraint.condition is None and not getattr(constraint, "expressions", ())):
                keys.append(tuple(meta.get_field(name).name for name in constraint.fields))
        unique = []
        for key in keys:
            if key not in unique:
                unique.append(key)
        return unique

    def field(self, name):
        """The field called `name` (its name or attname), or a clear error."""
        field = self.fields.get(name)
        if field is None:
            try:
                self.model._meta.get_field(name)
            except FieldDoesNotExist:
                pass
            else:
                raise TypeError("%s.%s is not a concrete column of %s" % (self.model.__name__, name,
                                                                        self.model._meta.db_table))
            raise FieldDoesNotExist("%s has no field named %r; its fields are %s" % (
                self.model.__name__, name, ", ".join(sorted({f.name for f in self.fields.values()}))))
        return field

    def column(self, name):
        """The column of the field called `name`."""
        return self.field(name).column

    def conflict_target(self, given, unique_fields):
        """The conflict target's field names: `unique_fields` checked, or the one unique key that the
        fields a row gives (`given`, field names) cover."""
        if unique_fields is not None:
            names = tuple(self.field(name).name for name in unique_fields)
            if set(names) not in [set(key) for key in self.keys]:
                raise ValueError(
                    "unique_fields %s of %s is not a unique key; its unique keys are %s (declare it with "
                    "unique=True, unique_together or UniqueConstraint(fields=...))"
                    % (list(unique_fields), self.model.__name__, self._describe(self.keys)))
            return names
        covered = [key for key in self.keys if set(key) <= given]
        if len(covered) == 1:
            return covered[0]
        if not covered:
            raise ValueError(
                "the rows give no complete unique key of %s, so no conflict can be detected: its unique keys are "
                "%s; give every field of one, or pass unique_fields=" % (self.model.__name__,
                                                                         self._describe(self.keys)))
        raise ValueError(
            "the rows cover several unique keys of %s (%s): pass unique_fields= to say which one the upsert "
            "targets" % (self.model.__name__, self._describe(covered)))

    @staticmethod
    def _describe(keys):
        return ", ".join("(" + ", ".join(key) + ")" for key in keys)


_tables = {}
_tables_lock = threading.Lock()


def model_table(model):
    """The cached ModelTable of a model."""
    found = _tables.get(model)
    if found is None:
        with _tables_lock:
            found = _tables.get(model)
            if found is None:
                found = _tables[model] = ModelTable(model)
    return found
