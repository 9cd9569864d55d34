"""Entrance pages of ours, mounted under /accounts/ in front of allauth's (the first match wins)."""

from django.urls import path

from . import views

urlpatterns = [
    # Same path and name as allauth's: ours answers it (see accounts.views.VerifyPhoneSignupView).
    path("phone/verify/", views.verify_phone, name="account_verify_phone"),
    path("password/new/", views.password_new_after_code, name="account_password_new"),
]
