"""Every route of the application as every role, against the outcome table below.

The routes are read from the router, so a new route fails this test until the table says who may use it. A POST is
sent with the CSRF token and nothing else: the answer shows who gets past the door (the form's own errors, 422, mean
the person was let in). `login` is the 303 to the log-in page, `303` any other redirect.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest
from starlette.convertors import PathConvertor, StringConvertor

from consult.guards import IdConvertor
from tests.conftest import Client
from tests.world import ROLES, build_world, every_route, path_of

# One column per role: visitor, resident, member, admin elsewhere, NGO admin, official, platform admin.
EXPECTED = {
    "pages:home GET":                           "200 200 200 200 200 200 200",
    "forum:index GET":                          "200 200 200 200 200 200 200",
    "pages:accessibility GET":                  "200 200 200 200 200 200 200",
    "pages:language GET":                       "303 303 303 303 303 303 303",
    "pages:favicon GET":                        "303 303 303 303 303 303 303",
    "accounts:register GET":                    "200 200 200 200 200 200 200",
    "accounts:confirm GET":                     "400 400 400 400 400 400 400",
    "accounts:login GET":                       "200 200 200 200 200 200 200",
    "accounts:forgot GET":                      "200 200 200 200 200 200 200",
    "accounts:reset GET":                       "400 400 400 400 400 400 400",
    "organisations:directory GET":              "200 200 200 200 200 200 200",
    "organisations:create GET":                 "login 200 200 200 200 200 200",
    "organisations:mine GET":                   "login 200 200 200 200 200 200",
    "me:index GET":                             "login 200 200 200 200 200 200",
    "notifications:settings GET":               "login 200 200 200 200 200 200",
    "notifications:unsubscribe GET":            "400 400 400 400 400 400 400",
    "organisations:invitation GET":             "login 200 403 403 403 403 403",
    "organisations:profile GET":                "200 200 200 200 200 200 200",
    "organisations:edit GET":                   "login 403 403 403 200 403 200",
    "organisations:members GET":                "login 403 403 403 200 403 200",
    "consultations:list GET":                   "200 200 200 200 200 200 200",
    "consultations:create GET":                 "login 403 403 403 403 200 403",
    "consultations:detail GET":                 "200 200 200 200 200 200 200",
    "consultations:edit GET":                   "login 403 403 403 403 409 409",
    "consultations:publish GET":                "login 403 403 403 403 409 409",
    "consultations:correct GET":                "login 403 403 403 403 200 200",
    "consultations:dates GET":                  "login 403 403 403 403 200 200",
    "consultations:cancel GET":                 "login 403 403 403 403 200 200",
    "desk:index GET":                           "login 403 403 403 403 200 200",
    "desk:moderation GET":                      "login 403 403 403 403 200 200",
    "consultations:discussion GET":             "200 200 200 200 200 200 200",
    "consultations:paragraph GET":              "200 200 200 200 200 200 200",
    "api:consultations GET":                    "200 200 200 200 200 200 200",
    "api:consultation GET":                     "200 200 200 200 200 200 200",
    "versions:list GET":                        "200 200 200 200 200 200 200",
    "versions:publish GET":                     "login 403 403 403 403 200 200",
    "versions:diff GET":                        "200 200 200 200 200 200 200",
    "opinions:detail GET":                      "200 200 200 200 200 200 200",
    "opinions:council GET":                     "login 403 403 403 403 200 200",
    "comments:reply GET":                       "200 200 200 200 200 200 200",
    "comments:edit GET":                        "403 403 403 200 403 403 403",
    "comments:hide GET":                        "403 403 403 403 403 200 200",
    "comments:flag GET":                        "login 200 200 200 200 200 200",
    "comments:history GET":                     "200 200 200 200 200 200 200",
    "comments:replies GET":                     "200 200 200 200 200 200 200",
    "answers:review GET":                       "login 403 403 403 403 200 200",
    "answers:answer GET":                       "login 403 403 403 403 200 200",
    "answers:xlsx GET":                         "login 403 403 403 403 200 200",
    "proposals:list GET":                       "200 200 200 200 200 200 200",
    "proposals:create GET":                     "login 200 200 200 200 200 200",
    "proposals:enter GET":                      "login 403 403 403 403 200 200",
    "proposals:detail GET":                     "200 200 200 200 200 200 200",
    "proposals:hide GET":                       "login 403 403 403 403 200 200",
    "entries:create GET":                       "login 403 403 403 403 200 200",
    "comments:show GET":                        "303 303 303 303 303 303 303",
    "search:search GET":                        "200 200 200 200 200 200 200",
    "receipts:receipt GET":                     "404 404 200 404 200 404 200",
    "receipts:json GET":                        "404 404 200 404 200 404 200",
    "receipts:latest GET":                      "303 303 303 303 303 303 303",
    "receipts:cosign GET":                      "303 303 303 303 303 303 303",
    "records:record GET":                       "404 404 404 404 404 404 404",
    "records:json GET":                         "404 404 404 404 404 404 404",
    "records:csv GET":                          "404 404 404 404 404 404 404",
    "records:pdf GET":                          "404 404 404 404 404 404 404",
    "records:xlsx GET":                         "404 404 404 404 404 404 404",
    "records:publish GET":                      "login 403 403 403 403 200 200",
    "feeds:consultations GET":                  "200 200 200 200 200 200 200",
    "municipalities:detail GET":                "200 200 200 200 200 200 200",
    # the yearly report: this year's draft of the municipality, nothing entered yet
    "reports:index GET":                        "200 200 200 200 200 200 200",
    "reports:detail GET":                       "404 404 404 404 404 200 200",
    "reports:json GET":                         "404 404 404 404 404 404 404",
    "reports:csv GET":                          "404 404 404 404 404 404 404",
    "reports:pdf GET":                          "404 404 404 404 404 404 404",
    "reports:edit GET":                         "login 403 403 403 403 200 200",
    "reports:publish GET":                      "login 403 403 403 403 200 200",
    "reports:index POST":                       "login 403 403 403 403 422 422",
    "reports:edit POST":                        "login 403 403 403 403 303 303",
    "reports:review POST":                      "login 403 403 403 403 303 303",
    "reports:publish POST":                     "login 403 403 403 403 409 409",
    "accounts:register POST":                   "422 422 422 422 422 422 422",
    "notifications:settings POST":              "login 303 303 303 303 303 303",
    "notifications:unsubscribe POST":           "400 400 400 400 400 400 400",
    "accounts:login POST":                      "422 422 422 422 422 422 422",
    "accounts:forgot POST":                     "422 422 422 422 422 422 422",
    "accounts:reset POST":                      "400 400 400 400 400 400 400",
    "organisations:create POST":                "login 422 422 422 422 422 422",
    "organisations:invitation POST":            "login 303 409 409 409 409 409",
    "organisations:edit POST":                  "login 403 403 403 422 403 422",
    "organisations:invite POST":                "login 403 403 403 422 403 422",
    "organisations:manage_member POST":         "login 403 403 403 422 403 422",
    "organisations:voting POST":                "login 403 403 403 303 403 303",
    "organisations:withdraw_invitation POST":   "login 403 403 403 409 403 409",
    "organisations:join POST":                  "login 409 409 303 409 303 303",
    "organisations:decide_request POST":        "login 403 403 403 303 403 409",
    "organisations:verification POST":          "login 403 403 403 403 403 303",
    "consultations:create POST":                "login 403 403 403 403 422 403",
    "consultations:publish POST":               "login 403 403 403 403 409 409",
    "consultations:correct POST":               "login 403 403 403 403 422 422",
    "consultations:dates POST":                 "login 403 403 403 403 422 422",
    "consultations:cancel POST":                "login 403 403 403 403 422 422",
    "consultations:edit POST":                  "login 403 403 403 403 409 409",
    "consultations:comment POST":               "422 422 422 422 422 422 422",
    "versions:publish POST":                    "login 403 403 403 403 422 422",
    "opinions:submit POST":                     "login 422 422 422 422 422 422",
    "opinions:request POST":                    "403 403 403 403 403 409 409",
    "opinions:council POST":                    "login 403 403 403 403 303 303",
    "comments:reply POST":                      "422 422 422 422 422 422 422",
    "comments:edit POST":                       "403 403 403 422 403 403 403",
    "comments:withdraw POST":                   "403 403 403 303 403 403 403",
    "comments:flag POST":                       "403 409 409 409 409 409 409",
    "comments:hide POST":                       "403 403 403 403 403 422 422",
    "comments:restore POST":                    "403 403 403 403 403 409 409",
    "answers:together POST":                    "login 403 403 403 403 422 422",
    "answers:answer POST":                      "login 403 403 403 403 409 409",
    "answers:detach POST":                      "login 403 403 403 403 409 409",
    "proposals:create POST":                    "login 422 422 422 422 422 422",
    "proposals:enter POST":                     "login 403 403 403 403 422 422",
    "proposals:vote POST":                      "login 422 422 422 422 422 422",
    "proposals:withdraw POST":                  "login 403 403 403 303 403 403",
    "proposals:hide POST":                      "login 403 403 403 403 422 422",
    "proposals:restore POST":                   "login 403 403 403 403 409 409",
    "proposals:comment POST":                   "422 422 422 422 422 422 422",
    "cosign:sign POST":                         "403 422 422 422 422 422 422",
    "cosign:withdraw POST":                     "403 422 422 422 422 422 422",
    "entries:create POST":                      "login 403 403 403 403 422 422",
    "records:publish POST":                     "login 403 403 403 403 409 409",
    "desk:moderation_hide POST":                "login 403 403 403 403 422 422",
    "desk:moderation_keep POST":                "login 403 403 403 403 409 409",
    "meetings:ics GET":                         "200 200 200 200 200 200 200",
    "meetings:organisation_calendar GET":       "200 200 200 200 200 200 200",
    "meetings:network_calendar GET":            "200 200 200 200 200 200 200",
    "meetings:group_calendar GET":              "200 200 200 200 200 200 200",
    "meetings:municipality_calendar GET":       "200 200 200 200 200 200 200",
    "meetings:list GET":                        "200 200 200 200 200 200 200",
    "meetings:create GET":                      "login 403 200 200 200 200 200",
    "meetings:detail GET":                      "200 200 200 200 200 200 200",
    "meetings:edit GET":                        "login 403 403 403 200 403 200",
    "meetings:cancel GET":                      "login 403 403 403 200 403 200",
    "meetings:csv GET":                         "login 403 403 403 200 403 200",
    "meetings:registrations GET":               "login 403 403 403 200 403 200",
    "meetings:change_registration GET":         "login 403 403 200 403 403 403",
    "meetings:minutes GET":                     "login 403 403 403 200 403 200",
    "meetings:enter_point GET":                 "login 403 403 403 403 409 409",
    "meetings:create POST":                     "login 422 422 422 422 422 422",
    "meetings:edit POST":                       "login 403 403 403 422 403 422",
    "meetings:publish POST":                    "login 403 403 403 409 403 409",
    "meetings:cancel POST":                     "login 403 403 403 422 403 422",
    "meetings:register POST":                   "login 422 422 422 422 422 422",
    "meetings:change_registration POST":        "login 403 403 422 403 403 403",
    "meetings:cancel_registration POST":        "login 403 403 303 403 403 403",
    "meetings:attendance POST":                 "login 403 403 403 409 403 409",
    "meetings:minutes POST":                    "login 403 403 403 422 403 422",
    "meetings:enter_point POST":                "login 403 403 403 403 409 409",
    "accounts:logout POST":                     "303 303 303 303 303 303 303",
    "groups:list GET":                          "200 200 200 200 200 200 200",
    "groups:create GET":                        "login 403 403 200 200 200 403",
    "groups:detail GET":                        "200 200 200 200 200 200 200",
    "groups:edit GET":                          "login 403 403 403 403 200 200",
    "groups:declare GET":                       "200 200 200 200 200 200 200",
    "groups:declarations GET":                  "login 403 403 403 403 200 403",
    "groups:discussion GET":                    "200 200 200 200 200 200 200",
    "groups:document_create GET":               "login 403 403 403 403 200 403",
    "groups:document GET":                      "200 200 200 200 200 200 200",
    "groups:paragraph GET":                     "200 200 200 200 200 200 200",
    "groups:document_revise GET":               "login 403 403 403 403 200 403",
    "groups:create POST":                       "login 403 403 422 422 422 403",
    "groups:edit POST":                         "login 403 403 403 403 422 422",
    "groups:declare POST":                      "403 422 422 422 422 422 422",
    "groups:withdraw POST":                     "login 403 403 303 403 403 403",
    "groups:decide POST":                       "login 403 403 403 403 422 403",
    "groups:comment POST":                      "403 422 422 403 422 422 403",  # the resident joined the NGO
    "groups:document_comment POST":             "403 404 404 403 404 404 403",
    "groups:document_create POST":              "login 403 403 403 403 422 403",
    "groups:document_revise POST":              "login 403 403 403 403 422 403",
    # rooms and equipment: the NGO lends a room, the organisation elsewhere has asked for it (undecided)
    # knowledge base: the NGO's proposed good practice (with a photo) awaits review; the official coordinates a network
    "knowledge:list GET":                       "200 200 200 200 200 200 200",
    "knowledge:create GET":                     "login 403 403 403 403 200 200",
    "knowledge:propose GET":                    "login 403 200 200 200 200 403",
    "knowledge:proposals GET":                  "login 200 200 200 200 200 200",
    "knowledge:file GET":                       "404 404 200 404 200 200 200",
    "knowledge:detail GET":                     "404 404 200 404 200 200 200",
    "knowledge:create POST":                    "login 403 403 403 403 422 422",
    "knowledge:propose POST":                   "login 422 422 422 422 422 403",  # the resident joined the NGO
    "knowledge:review POST":                    "404 403 403 404 403 422 422",
    "resources:list GET":                       "200 200 200 200 200 200 200",
    "resources:detail GET":                     "200 200 200 200 200 200 200",
    "resources:of_organisation GET":            "200 200 200 200 200 200 200",
    "resources:create GET":                     "login 403 403 403 200 403 200",
    "resources:edit GET":                       "login 403 403 403 200 403 200",
    "resources:bookings GET":                   "login 403 200 403 200 403 200",
    "resources:booking GET":                    "login 403 200 200 200 403 200",
    "resources:request POST":                   "login 403 403 422 403 422 403",
    "resources:decide POST":                    "login 403 403 403 422 403 403",
    "resources:cancel POST":                    "login 403 403 422 422 403 403",
    "resources:create POST":                    "login 403 403 403 422 403 422",
    "resources:edit POST":                      "login 403 403 403 422 403 422",
    "resources:set_active POST":                "login 403 403 403 422 403 422",
    "resources:delete POST":                    "login 403 403 403 409 403 409",
    # networks: the official coordinates, the NGO is a member, the organisation elsewhere has applied (undecided)
    "networks:list GET":                        "200 200 200 200 200 200 200",
    "networks:create GET":                      "login 403 403 200 200 200 200",
    "networks:detail GET":                      "200 200 200 200 200 200 200",
    "networks:edit GET":                        "login 403 403 403 403 200 200",
    "networks:discussion GET":                  "login 403 200 403 200 200 403",
    "networks:members GET":                     "login 403 200 403 200 200 403",
    "networks:applications GET":                "login 403 403 403 403 200 403",
    "networks:coordinators GET":                "login 403 403 403 403 200 200",
    "networks:attendance GET":                  "login 403 403 403 403 200 403",
    "networks:create POST":                     "login 403 403 422 422 422 422",
    "networks:edit POST":                       "login 403 403 403 403 422 422",
    "networks:apply POST":                      "login 422 422 422 422 422 422",
    "networks:leave POST":                      "login 422 422 422 422 422 422",
    # the resident has joined the NGO by then (organisations:invitation POST): a member's empty comment, 422
    "networks:comment POST":                    "login 422 422 403 422 422 403",
    "networks:decide POST":                     "login 403 403 403 403 422 403",
    "networks:add_coordinator POST":            "login 403 403 403 403 422 422",
    "networks:remove_coordinator POST":         "login 403 403 403 403 409 409",
    # the outbox: the platform admin's page, with mail given up and its retry
    "outbox:index GET":                         "login 403 403 403 403 403 200",
    "outbox:retry POST":                        "login 403 403 403 403 403 303",
    "outbox:retry_all POST":                    "login 403 403 403 403 403 303",
    # the bulletin: a municipality's month, public
    "bulletin:month GET":                       "200 200 200 200 200 200 200",
    "bulletin:pdf GET":                         "200 200 200 200 200 200 200",
    # commitments: last year's consultation of the municipality, one accepted comment, its record published
    "commitments:municipality GET":             "200 200 200 200 200 200 200",
    "commitments:detail GET":                   "200 200 200 200 200 200 200",
    "commitments:change POST":                  "login 403 403 403 403 422 422",
    # advice: a new request of the NGO (asked by its member) to a support centre whose advisor is none of the roles;
    # only the NGO's people are its other side (everyone else 404); by the POSTs the resident has joined the NGO,
    # so it asks (422), closes the request (303), and the NGO's member and admin are then told it is closed (409)
    "advice:index GET":                         "login 200 200 200 200 200 200",
    "advice:ask GET":                           "login 403 200 200 200 403 403",
    "advice:queue GET":                         "login 403 403 403 403 403 403",
    "advice:detail GET":                        "login 404 200 404 200 404 404",
    "advice:ask POST":                          "login 422 422 422 422 403 403",
    "advice:message POST":                      "login 422 422 404 422 404 404",
    "advice:take POST":                         "login 403 403 404 403 404 404",
    "advice:close POST":                        "login 303 409 404 409 404 404",
    "advice:rate POST":                         "login 422 422 404 422 404 404",
    "advice:support_centre POST":               "login 403 403 403 403 403 303",
    # surveys: the official's evaluation of cooperation, open for organisations (the NGO has not answered)
    "surveys:list GET":                         "200 200 200 200 200 200 200",
    "surveys:create GET":                       "login 403 403 403 403 200 200",
    "surveys:edit GET":                         "login 403 403 403 403 200 200",
    "surveys:question GET":                     "login 403 403 403 403 200 200",
    "surveys:detail GET":                       "200 200 200 200 200 200 200",
    "surveys:results GET":                      "login 403 403 403 403 200 200",
    "surveys:csv GET":                          "login 403 403 403 403 200 200",
    "surveys:create POST":                      "login 403 403 403 403 422 422",
    "surveys:edit POST":                        "login 403 403 403 403 422 422",
    "surveys:add_question POST":                "login 403 403 403 403 422 422",
    "surveys:question POST":                    "login 403 403 403 403 422 422",
    "surveys:move POST":                        "login 403 403 403 403 409 409",
    "surveys:remove POST":                      "login 403 403 403 403 409 409",
    "surveys:open POST":                        "login 403 403 403 403 409 409",
    "surveys:answer POST":                      "login 422 422 422 422 422 422",
    "surveys:publish_results POST":             "login 403 403 403 403 303 303",
    "surveys:moderate POST":                    "login 403 403 403 403 404 404",
    # announcements: the official posted a funding opportunity to the municipality's organisations
    "announcements:list GET":                   "200 200 200 200 200 200 200",
    "announcements:funding GET":                "200 200 200 200 200 200 200",
    "announcements:archive GET":                "200 200 200 200 200 200 200",
    "announcements:create GET":                 "login 403 403 403 403 200 403",
    "announcements:detail GET":                 "200 200 200 200 200 200 200",
    "announcements:edit GET":                   "login 403 403 403 403 200 403",
    "announcements:feed GET":                   "200 200 200 200 200 200 200",
    "announcements:create POST":                "login 403 403 403 403 422 403",
    "announcements:edit POST":                  "login 403 403 403 403 422 403",
    "announcements:withdraw POST":              "login 403 403 403 403 422 422",
}  # fmt: skip


def outcome(response) -> str:
    if response.status_code == 303 and urlsplit(response.headers["location"]).path == "/login":
        return "login"
    return str(response.status_code)


def walk(app, world) -> tuple[dict[tuple[str, str], list[str]], list[str]]:
    """Each (route, method) as each role, in a fixed order: every GET first, then the POSTs, logging out last."""
    routes = [r for r in every_route(app.routes) if r.name != "static"]
    requests = [(r, m) for m in ("GET", "POST") for r in routes if m in (r.methods or ())]
    requests.sort(key=lambda rm: rm[0].name == "accounts:logout")
    observed: dict[tuple[str, str], list[str]] = {}
    cacheable_personal: list[str] = []
    with ExitStack() as stack:
        clients = {}
        for role in ROLES:
            client = stack.enter_context(Client(app, base_url="http://testserver"))
            client.cookies.set("consult_lang", "en")
            if role != "visitor":
                client.login(world.users[role].email)
            clients[role] = client
        for route, method in requests:
            url = path_of(world, route)
            row = observed.setdefault((route.name, method), [])
            for role in ROLES:
                client = clients[role]
                if method == "GET":
                    response = client.get(url, follow_redirects=False)
                else:
                    response = client.submit(url, {}, follow_redirects=False)
                row.append(outcome(response))
                html = response.headers.get("content-type", "").startswith("text/html")
                if role != "visitor" and html and response.headers.get("cache-control") != "no-store":
                    cacheable_personal.append(f"{method} {route.name} as {role}")
    return observed, cacheable_personal


@pytest.mark.timeout(1200)  # walks every route: grows with the application, slow on a loaded machine
def test_every_route_answers_every_role_as_the_table_says(app, db, settings, mailbox):
    world = build_world(db, settings)
    observed, cacheable_personal = walk(app, world)
    table = {f"{name} {method}": " ".join(row) for (name, method), row in observed.items()}
    if os.environ.get("CONSULT_PRINT_MATRIX"):
        for key, row in table.items():
            print(f'    "{key}":'.ljust(48) + f'"{row}",')
    assert set(table) == set(EXPECTED), "a route was added or removed: say in EXPECTED who may use it"
    wrong = {key: f"{table[key]}  (expected {EXPECTED[key]})" for key in table if table[key] != EXPECTED[key]}
    assert wrong == {}
    assert cacheable_personal == [], "a page made for a signed-in person must carry Cache-Control: no-store"
    assert len(observed) * len(ROLES) >= 500  # the size of the matrix: (route, method) pairs × roles


def test_no_route_takes_a_number_without_the_bounded_id_convertor(app):
    numeric = {
        f"{route.name}:{name}"
        for route in every_route(app.routes)
        for name, convertor in route.param_convertors.items()
        if not isinstance(convertor, (IdConvertor, StringConvertor, PathConvertor))
    }
    assert numeric == set(), "use {name:id}: a plain {name:int} takes numbers no column can hold"
