"""DataLoaders of the geography domain: regions, municipalities and their populations."""

from __future__ import annotations

from kkr.platform.models import Municipality, MunicipalityPopulation, Region

from ..common.loaders import ManyByKey, OneByKey
from ..common.text import danish_sort_key

REGION_BY_SLUG = OneByKey(Region.slug)
MUNICIPALITY_BY_CODE = OneByKey(Municipality.code)
MUNICIPALITIES_BY_REGION = ManyByKey(
    Municipality.region_slug, order_by=(danish_sort_key(Municipality.name), Municipality.name)
)
MUNICIPALITIES_BY_HUB = ManyByKey(
    Municipality.business_hub_slug, order_by=(danish_sort_key(Municipality.name), Municipality.name)
)
POPULATION_BY_MUNICIPALITY = ManyByKey(
    MunicipalityPopulation.municipality_code, order_by=(MunicipalityPopulation.year,)
)
