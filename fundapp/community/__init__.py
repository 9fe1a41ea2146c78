"""The standing relationship with compatriots: diaspora organisations (a verified registry, with
members and admins), specialists and the needs they are matched to, support requests from
organisations, and a library of educational materials.

Invariants: only verified organisations are public; an organisation always has at least one
admin; private data (registration documents, CVs, addresses) never reaches a public page, the API
or open data. Other domains ask who may act for an organisation through ``services``
(``is_organisation_admin``, ``admin_organisations``, ``member_organisation_ids``).
"""


def init_app(app):
    return None
