"""The error pages a user can meet: in the site's layout and language, saying what happened
and what to do, never Django's bare English defaults."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from fengqiao.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_page_outside_the_scope_is_a_chinese_404_in_the_layout(world: World) -> None:
    client = signed_in(world.b.users["township_operator"])
    response = client.get("/cases/520524-20260608-00001/")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page and "找不到" in page
    assert "管辖范围" in page and "退出" in page  # the site's own header, with its log-out


def test_a_move_not_for_this_user_says_why_in_a_403(world: World) -> None:
    client = signed_in(world.a.users["dept_handler"])
    response = client.get("/cases/new/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权" in page and "由综治中心操作员录入" in page


def test_a_stale_form_token_is_explained_not_a_bare_403(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "township1", "password": PASSWORD})
    assert response.status_code == 403
    page = response.content.decode()
    assert "请重新提交" in page and "未做任何更改" in page


def test_a_server_error_page_needs_no_context() -> None:
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "出错" in response.content.decode()
