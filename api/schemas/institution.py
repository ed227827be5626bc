"""The institution facts' editor (api/routes/trainer_nlu.py, api/workbench/institution.py): the five facts bot
responses and KB answers name through ``{org_name}``-style placeholders."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class InstitutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_name: str = Field(min_length=1, max_length=40, description="机构名称，如 星河银行")
    hotline: str = Field(min_length=1, max_length=40, description="客服热线：95/96 短号、400/800 号码或带区号的固话")
    app_name: str = Field(min_length=1, max_length=40, description="App 名称，如 星河银行App")
    branch_hours: str = Field(min_length=1, max_length=60, description="网点营业时间")
    service_hours: str = Field(min_length=1, max_length=60, description="人工客服服务时间")


class InstitutionOut(InstitutionIn):
    model_config = ConfigDict(extra="forbid")
    problems: list[str] = Field(description="what would stop the bridge outside development (placeholders left)")
