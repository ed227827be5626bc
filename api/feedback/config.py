"""The feedback configuration (``categories.yml``): categories with keywords and SLA, owner teams and routing
rules. Read and checked as a whole (a bad file is refused with the reason) and re-read when it changes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


class FeedbackConfigError(ValueError):
    """The categories file is missing, unreadable or inconsistent."""


@dataclass(frozen=True)
class Category:
    name: str
    sla_hours: float
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    team: str
    category: str | None = None
    skill_group: str | None = None
    branch: str | None = None


@dataclass(frozen=True)
class FeedbackConfig:
    categories: tuple[Category, ...]
    fallback: str
    default_team: str
    teams: tuple[str, ...]
    routes: tuple[Route, ...]

    def category(self, name: str) -> Category:
        for category in self.categories:
            if category.name == name:
                return category
        raise KeyError(name)

    @property
    def category_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.categories)


def parse_config(data: object) -> FeedbackConfig:
    """The configuration from the YAML's data; :class:`FeedbackConfigError` naming what is wrong."""
    if not isinstance(data, dict):
        raise FeedbackConfigError("the feedback file must be a mapping")
    categories = []
    for raw in data.get("categories") or []:
        if not isinstance(raw, dict) or not raw.get("name"):
            raise FeedbackConfigError(f"a category needs a name: {raw!r}")
        try:
            sla = float(raw.get("sla_hours", 72))
        except (TypeError, ValueError) as exc:
            raise FeedbackConfigError(f"category {raw['name']}: sla_hours must be a number") from exc
        if sla <= 0:
            raise FeedbackConfigError(f"category {raw['name']}: sla_hours must be positive")
        keywords = tuple(str(k).strip() for k in raw.get("keywords") or [] if str(k).strip())
        categories.append(Category(str(raw["name"]), sla, keywords))
    if not categories:
        raise FeedbackConfigError("no categories")
    names = [c.name for c in categories]
    if len(set(names)) != len(names):
        raise FeedbackConfigError("category names must be unique")
    fallback = str(data.get("fallback") or names[-1])
    if fallback not in names:
        raise FeedbackConfigError(f"fallback {fallback} is not a category")
    default_team = str(data.get("default_team") or "")
    teams = tuple(str(t) for t in data.get("teams") or [])
    if not default_team:
        raise FeedbackConfigError("default_team is required")
    teams = teams if default_team in teams else (default_team, *teams)
    routes = []
    for raw in data.get("routes") or []:
        if not isinstance(raw, dict) or not raw.get("team"):
            raise FeedbackConfigError(f"a route needs a team: {raw!r}")
        route = Route(str(raw["team"]), raw.get("category"), raw.get("skill_group"), raw.get("branch"))
        if route.team not in teams:
            raise FeedbackConfigError(f"route to unknown team {route.team}; list it under teams")
        if route.category is not None and route.category not in names:
            raise FeedbackConfigError(f"route for unknown category {route.category}")
        routes.append(route)
    return FeedbackConfig(tuple(categories), fallback, default_team, teams, tuple(routes))


_cache: dict[tuple[str, float], FeedbackConfig] = {}


def load_config(path: Path) -> FeedbackConfig:
    """The file's configuration, re-read when its modification time changes."""
    try:
        key = (str(path), path.stat().st_mtime)
    except OSError as exc:
        raise FeedbackConfigError(f"{path.name}: {exc.strerror}") from exc
    if key not in _cache:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise FeedbackConfigError(f"{path.name}: {exc}") from exc
        _cache.clear()
        _cache[key] = parse_config(data)
    return _cache[key]
