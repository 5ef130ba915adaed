"""Oracle (no server here): the statement upsert.django builds for a model, rendered and compared with
golden SQL. Django's Oracle backend stores unquoted-style names upper-case, as the renderer does."""

import datetime

import upsert
import upsert._upsert
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


def render(model, rows, update, where=None, dialect="oracle"):
    """What upsert.django hands Django's cursor: the SQL with %s placeholders, and the parameters."""
    statement, columns, values, _, _ = ud._statement(model, rows, None, update, where, None, False, dialect)
    return upsert._upsert._dbapi_render(statement, columns, values, dialect)


def test_hourly_log_increment_on_oracle():
    row = {"ab_test_id": 7, "version": "B", "date": datetime.date(2026, 11, 26), "hour": 13, "participants": 1}
    sql, params = render(HourlyLog, [row], {"participants": F("participants") + Proposed("participants"),
                                            "conversions": F("conversions") + Proposed("conversions")},
                         Q(participants__lt=1000))
    # Django's Oracle backend turns each %s into :argN itself, in order.
    numbered = ORACLE_INCREMENT
    for n in range(7, 0, -1):
        numbered = numbered.replace(":%d" % n, "%s")
    assert sql == numbered
    assert params == [7, "B", datetime.date(2026, 11, 26), 13, 1, 0, 1000]


def test_db_column_and_db_table_on_oracle():
    sql, params = render(Score, [{"player": "ann", "season": 1, "best": 3}], ["best"])
    assert sql.startswith('MERGE INTO "UPSERT_DJANGO_SCORES" t USING (SELECT %s AS "PLAYER_NAME", %s AS "SEASON", '
                          '%s AS "BEST_SCORE"')
    assert 'WHEN MATCHED THEN UPDATE SET t."BEST_SCORE" = s."BEST_SCORE"' in sql


def test_placeholders_handed_to_django_on_every_live_engine():
    row = {"ab_test_id": 7, "version": "B", "date": datetime.date(2026, 11, 26), "hour": 13, "participants": 1}
    update = {"participants": F("participants") + Proposed("participants")}
    pg, params = render(HourlyLog, [row], update, dialect="postgresql")
    assert pg == ('INSERT INTO "testapp_hourlylog" ("ab_test_id", "version", "date", "hour", "participants", '
                  '"conversions") VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT ("ab_test_id", "version", "date", '
                  '"hour") DO UPDATE SET "participants" = "testapp_hourlylog"."participants" + EXCLUDED."participants"')
    assert params == [7, "B", datetime.date(2026, 11, 26), 13, 1, 0]
    maria, _ = render(HourlyLog, [row], update, dialect="mariadb")
    assert maria.endswith("ON DUPLICATE KEY UPDATE `participants` = `participants` + VALUE(`participants`)")
    assert maria.count("%s") == 6
    lite, _ = render(HourlyLog, [row], update, dialect="sqlite")
    assert lite.count("%s") == 6 and "?" not in lite
