"""The regions of Tajikistan and their districts and cities, and the project categories.

Keys are stable ASCII slugs stored in the database; names are English source strings translated
to Tajik and Russian in this domain's catalogs.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

REGIONS: dict[str, object] = {
    "dushanbe": _l("Dushanbe"),
    "sughd": _l("Sughd region"),
    "khatlon": _l("Khatlon region"),
    "gbao": _l("Gorno-Badakhshan Autonomous Region (GBAO)"),
    "drs": _l("Districts of Republican Subordination"),
}

# region → {district or city key: name}. Cities of regional subordination and districts together.
DISTRICTS: dict[str, dict[str, object]] = {
    "dushanbe": {
        "firdavsi": _l("Firdavsi district (Dushanbe)"),
        "ismoili_somoni": _l("Ismoili Somoni district (Dushanbe)"),
        "sino": _l("Sino district (Dushanbe)"),
        "shohmansur": _l("Shohmansur district (Dushanbe)"),
    },
    "sughd": {
        "khujand": _l("Khujand (city)"),
        "buston": _l("Buston (city)"),
        "guliston": _l("Guliston (city)"),
        "isfara": _l("Isfara (city)"),
        "istaravshan": _l("Istaravshan (city)"),
        "istiqlol": _l("Istiqlol (city)"),
        "konibodom": _l("Konibodom (city)"),
        "panjakent": _l("Panjakent (city)"),
        "ayni": _l("Ayni district"),
        "asht": _l("Asht district"),
        "bobojon_ghafurov": _l("Bobojon Ghafurov district"),
        "devashtich": _l("Devashtich district"),
        "jabbor_rasulov": _l("Jabbor Rasulov district"),
        "zafarobod": _l("Zafarobod district"),
        "kuhistoni_mastchoh": _l("Kuhistoni Mastchoh district"),
        "mastchoh": _l("Mastchoh district"),
        "spitamen": _l("Spitamen district"),
        "shahriston": _l("Shahriston district"),
    },
    "khatlon": {
        "bokhtar": _l("Bokhtar (city)"),
        "kulob": _l("Kulob (city)"),
        "levakant": _l("Levakant (city)"),
        "norak": _l("Norak (city)"),
        "baljuvon": _l("Baljuvon district"),
        "vakhsh": _l("Vakhsh district"),
        "vose": _l("Vose district"),
        "danghara": _l("Danghara district"),
        "dusti": _l("Dusti district"),
        "jaloliddini_balkhi": _l("Jaloliddini Balkhi district"),
        "jayhun": _l("Jayhun district"),
        "jomi": _l("Abdurahmoni Jomi district"),
        "kushoniyon": _l("Kushoniyon district"),
        "muminobod": _l("Muminobod district"),
        "nosiri_khusrav": _l("Nosiri Khusrav district"),
        "panj": _l("Panj district"),
        "qabodiyon": _l("Qabodiyon district"),
        "temurmalik": _l("Temurmalik district"),
        "farkhor": _l("Farkhor district"),
        "hamadoni": _l("Hamadoni district"),
        "khovaling": _l("Khovaling district"),
        "khuroson": _l("Khuroson district"),
        "shahritus": _l("Shahritus district"),
        "shamsiddin_shohin": _l("Shamsiddin Shohin district"),
        "yovon": _l("Yovon district"),
    },
    "gbao": {
        "khorog": _l("Khorog (city)"),
        "darvoz": _l("Darvoz district"),
        "vanj": _l("Vanj district"),
        "ishkoshim": _l("Ishkoshim district"),
        "murghob": _l("Murghob district"),
        "roshtqala": _l("Roshtqal'a district"),
        "rushon": _l("Rushon district"),
        "shughnon": _l("Shughnon district"),
    },
    "drs": {
        "vahdat": _l("Vahdat (city)"),
        "hisor": _l("Hisor (city)"),
        "roghun": _l("Roghun (city)"),
        "tursunzoda": _l("Tursunzoda (city)"),
        "varzob": _l("Varzob district"),
        "lakhsh": _l("Lakhsh district"),
        "nurobod": _l("Nurobod district"),
        "rasht": _l("Rasht district"),
        "rudaki": _l("Rudaki district"),
        "sangvor": _l("Sangvor district"),
        "tojikobod": _l("Tojikobod district"),
        "fayzobod": _l("Fayzobod district"),
        "shahrinav": _l("Shahrinav district"),
    },
}

CATEGORIES: dict[str, object] = {
    "education": _l("Education"),
    "culture": _l("Culture"),
    "health": _l("Health"),
    "water": _l("Water and infrastructure"),
    "agriculture": _l("Agriculture"),
    "small_business": _l("Small business"),
    "roads": _l("Roads and transport"),
    "energy": _l("Energy"),
    "environment": _l("Environment"),
    "social": _l("Social support"),
    "sport": _l("Sport and youth"),
}


def region_name(key: str | None):
    return REGIONS.get(key or "", key or "")


def district_name(region: str | None, district: str | None):
    return DISTRICTS.get(region or "", {}).get(district or "", district or "")


def category_name(key: str | None):
    return CATEGORIES.get(key or "", key or "")


def is_valid_place(region: str | None, district: str | None) -> bool:
    return region in DISTRICTS and district in DISTRICTS[region]


def district_choices():
    """Grouped choices for a <select> with <optgroup>s: [(region name, [(key, name), …]), …]."""
    return [(REGIONS[r], list(d.items())) for r, d in DISTRICTS.items()]
