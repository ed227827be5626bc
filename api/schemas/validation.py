"""Request-validation problems in Chinese (pure): the bridge's users read every refusal in Chinese, including
the ones pydantic finds before a route runs (a missing field, a text too long, an unknown choice). Each problem
names its field (``capacity：不能大于 20``); our own validators already raise Chinese messages, passed through."""

from __future__ import annotations

from typing import Any, Mapping

FIELD_NAMES = {
    "text": "内容", "payload": "按钮", "username": "用户名", "password": "密码", "capacity": "接待上限",
    "status": "状态", "skills": "技能组", "skill_group": "技能组", "agent": "坐席", "callback_number": "回电号码",
    "preferred_time": "方便接听时间", "disposition": "服务小结", "note": "备注", "public_name": "昵称",
    "channel": "渠道", "customer_id": "客户号", "outcome": "回拨结果", "limit": "条数", "q": "检索词",
    "body": "请求内容",
}


def _field(loc: Any) -> str:
    parts = [str(p) for p in (loc or [])[1:] if not isinstance(p, int)]
    return "、".join(FIELD_NAMES.get(p, p) for p in parts[-1:]) or "请求内容"


def _message(error: Mapping[str, Any]) -> str:
    kind, ctx = str(error.get("type") or ""), error.get("ctx") or {}
    if kind == "missing":
        return "必填"
    if kind == "string_too_short":
        return "不能为空" if ctx.get("min_length") == 1 else f"至少 {ctx.get('min_length')} 个字符"
    if kind == "string_too_long":
        return f"不能超过 {ctx.get('max_length')} 个字符"
    if kind in ("too_short", "too_long"):
        return f"数量应在 {ctx.get('min_length', 0)}–{ctx.get('max_length', '不限')} 之间"
    if kind == "literal_error":
        return f"取值无效，可选：{ctx.get('expected', '')}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "应为整数"
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于 {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于 {ctx.get('le', ctx.get('lt'))}"
    if kind == "string_pattern_mismatch":
        return "格式不正确"
    if kind == "extra_forbidden":
        return "不支持该字段"
    if kind in ("json_invalid", "model_attributes_type", "dict_type", "model_type"):
        return "请求内容不是有效的 JSON 对象"
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type"):
        return "日期格式应为 YYYY-MM-DD"
    if kind in ("bool_parsing", "bool_type"):
        return "应为 true 或 false"
    if kind in ("string_type", "list_type"):
        return "类型不正确"
    if kind == "value_error":
        return str(error.get("msg") or "").removeprefix("Value error, ") or "取值无效"
    return "取值无效"


def problems_in_chinese(errors: list[Mapping[str, Any]]) -> list[str]:
    """One ``字段：原因`` line per problem (a whole-body check names no field)."""
    out = []
    for error in errors:
        message = _message(error)
        loc = error.get("loc") or []
        out.append(message if error.get("type") == "value_error" and len(loc) <= 1 else f"{_field(loc)}：{message}")
    return out
