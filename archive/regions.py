"""Province, city and county of an agency, for faceting the site by region.

cpca (a maintained place-name package with the national administrative division codes) reads the
agency's name; the site registry's `region`, for the site's own agency, fills in what the name does not
say (a 卫生健康委员会 of an unnamed city) and places a name like 鼓楼区 that exists in several cities.
A municipality's city is the municipality itself (cpca calls it 市辖区).
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import NamedTuple

import yaml

PLACES = Path(__file__).with_name("places.yaml")


class Region(NamedTuple):
    province: str | None = None
    city: str | None = None
    county: str | None = None


@functools.lru_cache(maxsize=1)
def _special() -> dict[str, Region]:
    return {name: Region(*parts) for name, parts in yaml.safe_load(PLACES.read_text(encoding="utf-8")).items()}


@functools.lru_cache(maxsize=4096)
def parse(name: str | None) -> Region:
    if not name:
        return Region()
    for special, region in _special().items():
        if special in name:
            return region
    import cpca  # imports pandas: only when a region is first needed

    row = cpca.transform([name]).iloc[0]
    province, city, county = (None if value != value or not value else value for value in (row["省"], row["市"], row["区"]))
    if city in ("市辖区", "县"):  # a municipality's districts
        city = province
    elif city and city.endswith("直辖县级行政区划"):
        city = None
    return Region(province, city, county)


def region_of(agency: str | None, site_region: str | None = None) -> Region:
    """Read with the site's region in front (`福建省福州市` + `鼓楼区人民政府`), so a name that exists in
    several places is read in the right one; the agency's name alone when that says nothing."""
    if site_region:
        found = parse(site_region + (agency or ""))
        if found.province:
            return found
    return parse(agency)
