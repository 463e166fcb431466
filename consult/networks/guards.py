"""What every network handler needs first: the network of the address, the signed-in person, the rule checked."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from consult.errors import DomainError
from consult.i18n import gettext
from consult.models import Network
from consult.networks import queries
from consult.networks.rules import NetworkAccess
from consult.permissions import Principal, can


def load_network(request: Request) -> Network:
    network = queries.get_network(request.state.db, request.path_params["slug"])
    if network is None:
        raise HTTPException(404)
    return network


def require_user(request: Request) -> Principal:
    """The signed-in principal; otherwise 401, which the error handler turns into the log-in page."""
    if request.state.user is None:
        raise HTTPException(401)
    return request.state.user


def require(request: Request, network: Network, action: str, refusal: str) -> tuple[Principal, NetworkAccess]:
    """The person may do the action in this network; a visitor is sent to log in, anyone else refused saying why."""
    user = require_user(request)
    access = queries.access_of(request.state.db, network)
    if not can(user, action, access):
        raise HTTPException(403, gettext(refusal))
    return user, access


def refuse(error: DomainError) -> HTTPException:
    return HTTPException(error.status_code, error.translated())


def link_to(request: Request, name: str, **params) -> str:
    """An absolute address for an e-mail, on the site's own base address."""
    return request.app.state.settings.base_url.rstrip("/") + request.url_for(name, **params).path
