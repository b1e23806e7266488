"""orgs.confirm: a POST to an irreversible action without the dialog's confirmation is refused with
400 and reaches no view code; with it (and a reason where one is asked for) it passes."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from orgs.confirm import confirmation_required

calls = []


@confirmation_required
def plain(request):
    calls.append(request.confirmation_reason)
    return HttpResponse("done")


@confirmation_required(reason=True)
def with_reason(request):
    calls.append(request.confirmation_reason)
    return HttpResponse("done")


@pytest.fixture(autouse=True)
def _reset():
    calls.clear()


def _post(view, data, referer="http://testserver/appraisal/schemes/2026/"):
    request = RequestFactory().post("/x/", data, HTTP_REFERER=referer)
    request.user = type("U", (), {"is_authenticated": False})()
    return view(request)


@pytest.mark.parametrize("data", [{}, {"confirm": "no"}, {"confirm": "YES "}, {"reason": "x"}])
def test_an_unconfirmed_post_is_refused_before_the_view(db, data):
    response = _post(plain, data)
    assert response.status_code == 400
    assert calls == []
    assert b"/appraisal/schemes/2026/" in response.content  # the way back


def test_a_confirmed_post_reaches_the_view(db):
    assert _post(plain, {"confirm": "yes"}).status_code == 200
    assert calls == [""]


def test_a_reason_is_required_where_asked_and_passed_on(db):
    assert _post(with_reason, {"confirm": "yes", "reason": "  "}).status_code == 400
    assert _post(with_reason, {"confirm": "yes", "reason": "x" * 1001}).status_code == 400
    assert calls == []
    assert (
        _post(with_reason, {"confirm": "yes", "reason": " 结果经领导小组审定 "}).status_code == 200
    )
    assert calls == ["结果经领导小组审定"]


def test_a_foreign_referer_is_not_offered_as_the_way_back(db):
    response = _post(plain, {}, referer="https://evil.example/")
    assert b"evil.example" not in response.content


def test_get_passes_through(db):
    request = RequestFactory().get("/x/")
    assert plain(request).status_code == 200
