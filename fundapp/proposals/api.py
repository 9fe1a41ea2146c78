from flask import Blueprint

bp = Blueprint("proposals_api", __name__, url_prefix="/api/v1")
