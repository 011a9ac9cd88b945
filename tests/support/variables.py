"""Every documented ``ARENA_`` variable: the kit's (every service), each service's own, the launcher's."""

from __future__ import annotations

from arena import launcher
from arena.ai_analysis import settings as ai_analysis_settings
from arena.analytics import settings as analytics_settings
from arena.broker import connection as broker_connection
from arena.contest import settings as contest_settings
from arena.execution import settings as execution_settings
from arena.kit import config
from arena.notification import settings as notification_settings
from arena.user import settings as user_settings

VARIABLES: dict[str, str] = {
    **config.VARIABLES,
    **user_settings.VARIABLES,
    **execution_settings.VARIABLES,
    **analytics_settings.VARIABLES,
    **notification_settings.VARIABLES,
    **launcher.VARIABLES,
    **ai_analysis_settings.VARIABLES,
    **broker_connection.VARIABLES,
    **contest_settings.VARIABLES,
}
