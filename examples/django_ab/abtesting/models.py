from django.db import models


class ABTest(models.Model):
    name = models.CharField(max_length=255)

    def __str__(self):
        return self.name


class HourlyLog(models.Model):
    """Participants and conversions per test, version, date and hour, as wagtail-ab-testing's
    AbTestHourlyLog keeps them."""

    ab_test = models.ForeignKey(ABTest, on_delete=models.CASCADE, related_name="hourly_logs")
    version = models.CharField(max_length=9, choices=[("control", "Control"), ("variant", "Variant")])
    date = models.DateField()
    hour = models.PositiveSmallIntegerField()
    participants = models.PositiveIntegerField(default=0)
    conversions = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["ab_test", "version", "date", "hour"]
        unique_together = [("ab_test", "version", "date", "hour")]
