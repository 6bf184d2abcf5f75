"""Every table, imported here so SQLModel.metadata (and Alembic) sees them all."""

from linkapp.models.api_key import ApiKey
from linkapp.models.audit import AuditEvent
from linkapp.models.event import LinkEvent
from linkapp.models.import_job import ImportJob
from linkapp.models.link import Link, LinkTag
from linkapp.models.rollup import DayRollup, DayVisitor, DimensionRollup, QuarterHourRollup, VisitorSalt
from linkapp.models.token import RefreshToken
from linkapp.models.user import User
from linkapp.models.webhook import Webhook, WebhookAttempt, WebhookClickBatch, WebhookDelivery

__all__ = [
    "ApiKey", "AuditEvent", "DayRollup", "DayVisitor", "DimensionRollup", "ImportJob", "Link", "LinkEvent", "LinkTag",
    "QuarterHourRollup", "RefreshToken", "User", "VisitorSalt", "Webhook", "WebhookAttempt", "WebhookClickBatch", "WebhookDelivery",
]
