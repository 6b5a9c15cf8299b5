"""DataLoaders of the contracts domain: framework agreements, national goals, result contracts and below."""

from __future__ import annotations

from kkr.platform.models import (
    FrameworkAgreement,
    Goal,
    Indicator,
    NationalGoal,
    NationalTarget,
    Result,
    ResultContract,
    Target,
)

from ..common.loaders import LastByKey, ManyByKey, OneByKey
from .versions import is_latest_version

AGREEMENT_BY_SLUG = OneByKey(FrameworkAgreement.slug)
NATIONAL_GOAL_BY_ID = OneByKey(NationalGoal.id)
NATIONAL_GOALS_BY_AGREEMENT = ManyByKey(
    NationalGoal.framework_agreement_slug, order_by=(NationalGoal.position, NationalGoal.code)
)
NATIONAL_TARGET_BY_ID = OneByKey(NationalTarget.id)
NATIONAL_TARGETS_BY_GOAL = ManyByKey(
    NationalTarget.national_goal_id,
    order_by=(NationalTarget.period_start, NationalTarget.period_label, NationalTarget.segment, NationalTarget.id),
)

_CONTRACT_ORDER = (ResultContract.year.desc(), ResultContract.business_hub_slug, ResultContract.version.desc())
CONTRACT_BY_ID = OneByKey(ResultContract.id)
CONTRACTS_BY_TENANT = ManyByKey(ResultContract.tenant_id, order_by=_CONTRACT_ORDER)
CONTRACTS_BY_HUB = ManyByKey(ResultContract.business_hub_slug, order_by=_CONTRACT_ORDER)
#: the latest versions alone (kkr.schema.contracts.versions)
LATEST_CONTRACTS_BY_TENANT = ManyByKey(
    ResultContract.tenant_id, order_by=_CONTRACT_ORDER, where=(is_latest_version(),), variant="latest"
)
LATEST_CONTRACTS_BY_HUB = ManyByKey(
    ResultContract.business_hub_slug, order_by=_CONTRACT_ORDER, where=(is_latest_version(),), variant="latest"
)

GOAL_BY_ID = OneByKey(Goal.id)
GOALS_BY_CONTRACT = ManyByKey(Goal.contract_id, order_by=(Goal.position, Goal.code, Goal.id))
GOALS_BY_NATIONAL_GOAL = ManyByKey(
    Goal.national_goal_id, order_by=(Goal.contract_id, Goal.position, Goal.id), partner_rows=True
)

INDICATOR_BY_ID = OneByKey(Indicator.id)
INDICATORS_BY_GOAL = ManyByKey(Indicator.goal_id, order_by=(Indicator.position, Indicator.id))

TARGET_BY_ID = OneByKey(Target.id)
TARGETS_BY_INDICATOR = ManyByKey(
    Target.indicator_id, order_by=(Target.period_start, Target.period_label, Target.segment, Target.id)
)

RESULT_BY_ID = OneByKey(Result.id)
#: every revision, oldest first: the last one is the latest result (the latest-result rule, here only)
_RESULT_ORDER = (Result.revision, Result.recorded_at, Result.id)
RESULTS_BY_TARGET = ManyByKey(Result.target_id, order_by=_RESULT_ORDER)
#: the latest result alone (the last of RESULTS_BY_TARGET), for latestResult, fulfilment and summaries
LATEST_RESULT_BY_TARGET = LastByKey(Result.target_id, order_by=_RESULT_ORDER)
