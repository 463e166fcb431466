"""Moderation in Chromium, in Polish, with JavaScript on and off, on a 390 px phone and a 1280 px desktop: an NGO's
member reports a comment saying why (an empty report refused first), and the municipality's official finds it in the
moderation queue on the desk and hides it with a public reason (an empty reason refused first)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import make_comment, make_consultation, make_official, make_organisation, make_user

CASES = pytest.mark.parametrize(
    "js,width",
    [(True, 390), (False, 390), (True, 1280), (False, 1280)],
    ids=["js-390", "no-js-390", "js-1280", "no-js-1280"],
)


@CASES
def test_a_member_reports_a_comment_and_the_official_hides_it_from_the_queue(visitor, db, assert_accessible, js, width):
    municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
    official, _ = make_official(db, municipality, email="urzednik@example.pl")
    consultation = make_consultation(db, official=official, municipality=municipality)
    author = make_user(db, display_name="Piotr Autor")
    loud = make_organisation(db, admin=author, name="Stowarzyszenie Głośne", verified=True)
    comment = make_comment(db, consultation, author=author, organisation=loud, body="Urzędnicy to złodzieje!")
    member = make_user(db, email="czlonkini@example.pl", display_name="Ewa Czytelniczka")
    make_organisation(db, admin=member, name="Fundacja Spokojna", verified=True)
    thread = f"/consultations/{consultation.slug}/discussion"

    # The member reports the comment: first without saying why, then with a reason.
    page = visitor.page(js=js, lang="pl")
    page.set_viewport_size({"width": width, "height": 900})
    visitor.log_in(page, member.email)
    page.goto(thread)
    article = page.locator(f"#comment-{comment.id}")
    article.get_by_role("link", name="Zgłoś moderatorom").click()
    form = page.locator(f"form#comment-{comment.id}")
    expect(form.get_by_role("group", name="Dlaczego zgłaszasz tę uwagę?")).to_be_visible()
    if not js:
        expect(page.get_by_role("heading", level=1)).to_have_text("Zgłoś uwagę moderatorom")
    if js:
        assert_accessible(page)
    form.get_by_role("button", name="Zgłoś moderatorom").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Podaj, dlaczego zgłaszasz tę uwagę")
    if js:
        expect(summary).to_be_focused()  # the reader lands on what went wrong
        assert_accessible(page)
    page.get_by_label("Obraźliwy lub wulgarny język").check()
    page.get_by_label("Opis własnymi słowami (nieobowiązkowo)").fill("Obraża urzędników.")
    page.locator(f"form#comment-{comment.id}").get_by_role("button", name="Zgłoś moderatorom").click()
    if js:
        expect(page.locator(f"article#comment-{comment.id} .notice")).to_have_text(
            "Dziękujemy. Moderatorzy sprawdzą tę uwagę."
        )
    else:
        expect(page.locator(".banner-success")).to_have_text("Dziękujemy. Moderatorzy sprawdzą tę uwagę.")

    # The official finds it in the queue, linked from the desk with the count of open flags.
    desk = visitor.page(js=js, lang="pl")
    desk.set_viewport_size({"width": width, "height": 900})
    visitor.log_in(desk, official.email)
    desk.goto("/desk")
    expect(desk.locator("#desk-moderation")).to_contain_text("(1 otwarte zgłoszenie)")
    desk.get_by_role("link", name="Kolejka moderacji").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Kolejka moderacji")
    item = desk.locator(f"#moderation-comment-{comment.id}")
    expect(item.locator(".prose")).to_have_text("Urzędnicy to złodzieje!")
    expect(item.locator(".flag-list")).to_contain_text("Obraźliwy lub wulgarny język: Obraża urzędników.")
    expect(item.get_by_role("link", name=re.compile("^Zobacz w miejscu zgłoszenia"))).to_have_attribute(
        "href", re.compile(f"/comments/{comment.id}$")
    )
    if js:
        assert_accessible(desk)
    item.get_by_role("button", name=re.compile("^Ukryj uwagę")).click()  # no reason: refused beside the field
    item = desk.locator(f"#moderation-comment-{comment.id}")
    expect(item.locator(".error-summary")).to_contain_text("To pole jest wymagane.")
    if js:
        expect(item.locator(".error-summary")).to_be_focused()
        assert_accessible(desk)
    item.get_by_label("Powód (będzie widoczny publicznie w miejscu uwagi)").fill("Obraźliwy język.")
    item.get_by_role("button", name=re.compile("^Ukryj uwagę")).click()
    expect(desk.locator("#moderation-count")).to_have_text("Nie czeka na Ciebie żadne zgłoszenie.")
    if js:
        expect(desk.locator(f"#moderation-comment-{comment.id} .notice")).to_contain_text("Uwaga została ukryta.")
    else:
        expect(desk.locator(".banner-success")).to_contain_text("Uwaga została ukryta.")
        expect(desk.locator(".empty-note")).to_be_visible()
    if js:
        assert_accessible(desk)

    # Everyone sees the reason in the comment's place.
    page.goto(thread)
    expect(page.locator(f"article#comment-{comment.id} .moderation-note")).to_have_text(
        "Ukryta przez moderatorów. Powód: Obraźliwy język."
    )
    # the refused forms answer 422 by design (the browser notes it); nothing else went wrong
    assert [e for e in visitor.console_errors if "status of 422" not in e] == []
