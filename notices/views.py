"""The resident's inbox: the list, marking read, and the unread badge partial that htmx refreshes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .retell import retell

PAGE_SIZE = 20


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.inbox(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    notices = list(page.object_list)
    retell(notices, language=get_language())
    return render(request, "notices/inbox.html", {"page": page, "notices": notices})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    services.notice_mark_read(notice_id=pk, user=request.user)
    if _is_htmx(request):
        notice = selectors.inbox(user=request.user).filter(pk=pk).first()
        if notice is None:
            return HttpResponse(status=404)
        retell([notice], language=get_language())
        return render(request, "notices/_notice.html", {"notice": notice})
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notices:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.notices_mark_all_read(user=request.user)
    return redirect("notices:inbox")


@never_cache
@require_GET
def unread_badge(request: HttpRequest) -> HttpResponse:
    # Answers anonymous visitors too (an empty badge) so a page left open after signing out stays quiet.
    return render(
        request, "notices/_badge.html", {"unread_notice_count": selectors.unread_count(user=request.user)}
    )
