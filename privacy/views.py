"""Residents' data rights: the privacy page, my data (page and JSON download), closing my account."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .forms import CloseAccountForm


def privacy(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    return render(request, "privacy/privacy.html", {"retention_days": settings.PRIVACY_RETENTION_DAYS})


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    data = selectors.resident_data(user=request.user)
    if request.GET.get("format") == "json":
        response = HttpResponse(
            json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="my-data.json"'
        return response
    return render(request, "privacy/my_data.html", {"data": data})


@login_required
@require_http_methods(["GET", "POST"])
def close_account(request: HttpRequest) -> HttpResponse:
    form = CloseAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_close(user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            logout(request)
            messages.success(request, _("Your account is closed and your personal data erased."))
            return redirect("home")
    return render(request, "privacy/close_account.html", {"form": form})
