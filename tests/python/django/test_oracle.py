"""Oracle (no server here): the statement upsert.django builds for a model, rendered and compared with
golden SQL. Django's Oracle backend stores unquoted-style names upper-case, as the renderer does."""

import datetime

import upsert
from django.db.models import F, Q
from testapp.models import HourlyLog, Score

import upsert.django as ud
from upsert.django import Proposed

ORACLE_INCREMENT = (
    'MERGE INTO "TESTAPP_HOURLYLOG" t USING (SELECT :1 AS "AB_TEST_ID", :2 AS "VERSION", :3 AS "DATE", :4 AS "HOUR", '
    ':5 AS "PARTICIPANTS", :6 AS "CONVERSIONS" FROM dual) s ON (t."AB_TEST_ID" = s."AB_TEST_ID" AND '
    't."VERSION" = s."VERSION" AND t."DATE" = s."DATE" AND t."HOUR" = s."HOUR") WHEN MATCHED THEN UPDATE SET '
    't."PARTICIPANTS" = t."PARTICIPANTS" + s."PARTICIPANTS", t."CONVERSIONS" = t."CONVERSIONS" + s."CONVERSIONS" '
    'WHERE t."PARTICIPANTS" < :7 WHEN NOT MATCHED THEN INSERT ("AB_TEST_ID", "VERSION", "DATE", "HOUR", '
    '"PARTICIPANTS", "CONVERSIONS") VALUES (s."AB_TEST_ID", s."VERSION", s."DATE", s."HOUR", s."PARTICIPANTS", '
    's."CONVERSIONS")'
)


def statement(model, rows, update, where=None):
    return ud._statement(model, rows, None, update, where, None, False, "oracle")[0]


def test_hourly_log_increment_on_oracle():
    row = {"ab_test_id": 7, "version": "B", "date": datetime.date(2026, 11, 26), "hour": 13, "participants": 1}
    s = statement(HourlyLog, [row], {"participants": F("participants") + Proposed("participants"),
                                     "conversions": F("conversions") + Proposed("conversions")},
                  Q(participants__lt=1000))
    sql, params = upsert.render(s, "oracle")
    assert sql == ORACLE_INCREMENT


def test_db_column_and_db_table_on_oracle():
    s = statement(Score, [{"player": "ann", "season": 1, "best": 3}], ["best"])
    sql, params = upsert.render(s, "oracle")
    assert sql.startswith('MERGE INTO "UPSERT_DJANGO_SCORES" t USING (SELECT :1 AS "PLAYER_NAME", :2 AS "SEASON", '
                          ':3 AS "BEST_SCORE"')
    assert 'WHEN MATCHED THEN UPDATE SET t."BEST_SCORE" = s."BEST_SCORE"' in sql
