"""Models for upsert.django's tests: the A/B package's hourly log, and models with a custom db_table,
db_column, a UniqueConstraint, unique=True, two unique keys, and a value of every supported type."""

from django.db import models


class ABTest(models.Model):
    name = models.CharField(max_length=50)


class HourlyLog(models.Model):
    """wagtail-ab-testing's AbTestHourlyLog: counted per test, version, date and hour."""

    ab_test = models.ForeignKey(ABTest, on_delete=models.CASCADE)
    version = models.CharField(max_length=9)
    date = models.DateField()
    hour = models.PositiveSmallIntegerField()
    participants = models.PositiveIntegerField(default=0)
    conversions = models.PositiveIntegerField(default=0)

    class Meta:
        unique_together = [("ab_test", "version", "date", "hour")]


class Score(models.Model):
    """db_column on key and value fields, a custom db_table, a UniqueConstraint, every value type."""

    player = models.CharField(max_length=20, db_column="player_name")
    season = models.IntegerField()
    best = models.IntegerField(null=True, db_column="best_score")
    total = models.BigIntegerField(default=0)
    label = models.CharField(max_length=20, null=True)
    ratio = models.FloatField(null=True)
    active = models.BooleanField(default=True)
    seen = models.DateTimeField(null=True)
    day = models.DateField(null=True)
    blob = models.BinaryField(null=True)

    class Meta:
        db_table = "upsert_django_scores"
        constraints = [models.UniqueConstraint(fields=["player", "season"], name="upsert_django_scores_key")]


class Tag(models.Model):
    slug = models.SlugField(unique=True)
    count = models.IntegerField(default=0)


class TwoKeys(models.Model):
    a = models.IntegerField(unique=True)
    b = models.IntegerField(unique=True)
    v = models.IntegerField(default=0)


class Partial(models.Model):
    """A unique key with a condition: never a conflict target."""

    k = models.IntegerField()
    v = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["k"], condition=models.Q(v__gt=0), name="partial_k")]
