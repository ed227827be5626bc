"""Which owner team an opinion goes to (pure): the most specific route matching its category, skill group and
branch — a route names some of the three, matches when every one it names is the item's, and a route naming
more of them beats one naming fewer (ties: the one listed first); no route matches: the default team."""

from __future__ import annotations

from api.feedback.config import FeedbackConfig, Route


def _matches(route: Route, category: str, skill_group: str | None, branch: str | None) -> bool:
    return ((route.category is None or route.category == category)
            and (route.skill_group is None or route.skill_group == skill_group)
            and (route.branch is None or route.branch == branch))


def _specificity(route: Route) -> int:
    return sum(value is not None for value in (route.category, route.skill_group, route.branch))


def route_team(config: FeedbackConfig, category: str, skill_group: str | None = None,
               branch: str | None = None) -> str:
    best: Route | None = None
    for route in config.routes:
        if _matches(route, category, skill_group, branch) and (
                best is None or _specificity(route) > _specificity(best)):
            best = route
    return best.team if best is not None else config.default_team
