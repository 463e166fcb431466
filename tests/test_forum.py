"""The forum's front page: what is coming up, which groups still take declarations, the networks, the rooms."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from consult.demo import load_demo
from consult.models import WorkingGroup, utcnow


def test_the_forum_page_leads_to_meetings_groups_networks_and_rooms(db, client):
    load_demo(db)
    page = client.get("/forum")
    assert page.status_code == 200
    text = page.text
    assert "Spotkanie kwartalne sieci" in text and "Forum Organizacji Pozarządowych" in text
    assert "Rozwój III sektora" in text  # still collecting declarations
    assert "Sieć Organizacji Pozarządowych LGD" in text and "5 organizacji członkowskich" not in text
    assert "4 organizacje członkowskie" in text  # the seniors' application still waits
    assert "Sale w ofercie: 1, sprzęt: 1, od 1 organizacji." in text
    for path in ("/meetings", "/groups", "/networks", "/resources"):
        assert f'{path}">' in text


def test_a_group_past_its_deadline_leaves_the_forum_page(db, client):
    load_demo(db)
    row = db.exec(select(WorkingGroup)).one()
    row.declarations_close_at = utcnow() - timedelta(minutes=1)
    db.add(row)
    db.commit()
    text = client.get("/forum").text
    assert "Rozwój III sektora" not in text
    assert "Obecnie żaden zespół roboczy nie przyjmuje deklaracji." in text


def test_the_main_menu_names_the_forum(client):
    assert '/forum">Forum</a>' in client.get("/").text
