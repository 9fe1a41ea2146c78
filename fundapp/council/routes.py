from flask import Blueprint

bp = Blueprint("council", __name__)
