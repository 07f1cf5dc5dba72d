"""Pagination: cursors for the large lists (cases, households, persons, disputes: stable under
inserts and cheap at any depth), pages for the short ones (departments, categories, areas)."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination, PageNumberPagination


class PagePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class CreatedCursorPagination(CursorPagination):
    """Newest first by default; ``ordering`` (when the view allows it) may change the order."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-created_at", "-id")


class IdCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("id",)
