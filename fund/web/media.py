"""/media/<id>: the pictures of campaigns and projects, served from the database.

An image row never changes (a new picture is a new row), so browsers and
proxies may keep it for a year; the ETag answers a revalidation with 304.
"""
from flask import Blueprint, Response, abort, request

from fund.campaigns import services as campaigns
from fund.core.extensions import db
from fund.campaigns.models import DestinationImage
from fund.web.auth import current_staff

bp = Blueprint("media", __name__)


@bp.get("/media/<int:image_id>")
def image(image_id):
    staff = current_staff() is not None
    found = campaigns.public_image(image_id, staff=staff)
    if found is None:
        abort(404)
    etag = found.sha256
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        data = db.session.execute(
            db.select(DestinationImage.data).where(DestinationImage.id == image_id)).scalar_one()
        response = Response(data, mimetype=found.content_type)
    response.set_etag(etag)
    # A draft's picture is for staff only: never kept by a shared cache.
    response.headers["Cache-Control"] = ("private, no-cache" if staff
                                         else "public, max-age=31536000, immutable")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
