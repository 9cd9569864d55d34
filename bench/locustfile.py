"""The soak mix for bench/soak.py (locust, headless): residents browse, search, register and cancel;
community staff read and accept their order inbox; the district opens its dashboards.

Tokens come from the file named in SOAK_TOKENS (written by bench/soak.py): {"residents": [...],
"staff": [...], "district": [...]}. Every non-2xx/4xx answer counts as a failure; 5xx are server errors.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from locust import HttpUser, between, task

TOKENS = json.loads(Path(os.environ["SOAK_TOKENS"]).read_text()) if os.environ.get("SOAK_TOKENS") else {}
SEARCHES = ["taiji", "tjq", "太极", "书法", "wudao", "摄影", "yoga"]


def _headers(token: str) -> dict:
    return {"Authorization": f"Token {token}", "Accept-Language": "zh-hans"}


class Resident(HttpUser):
    weight = 8
    wait_time = between(1, 4)

    def on_start(self):
        self.headers = _headers(random.choice(TOKENS["residents"]))

    @task(3)
    def home(self):
        self.client.get("/", name="/ (home)")

    @task(4)
    def nearby(self):
        self.client.get("/api/v1/courses/nearby/", headers=self.headers, name="/api/v1/courses/nearby/")

    @task(3)
    def search(self):
        self.client.get(f"/api/v1/categories/search/?q={random.choice(SEARCHES)}", headers=self.headers,
                        name="/api/v1/categories/search/")

    @task(2)
    def register_and_cancel(self):
        nearby = self.client.get("/api/v1/courses/nearby/", headers=self.headers, name="/api/v1/courses/nearby/")
        if nearby.status_code != 200:
            return
        body = nearby.json()
        courses = body.get("results", body) if isinstance(body, dict) else body
        if not courses:
            return
        course = random.choice(courses)
        with self.client.post(f"/api/v1/courses/{course['id']}/register/", headers=self.headers,
                              name="/api/v1/courses/[id]/register/", catch_response=True) as registered:
            # A closed or full class is a rule, not an error.
            if registered.status_code == 409:
                registered.success()
                return
        if registered.status_code in (200, 201):
            self.client.post(f"/api/v1/registrations/{registered.json()['id']}/cancel/", headers=self.headers,
                             name="/api/v1/registrations/[id]/cancel/")

    @task(1)
    def my_registrations(self):
        self.client.get("/api/v1/registrations/", headers=self.headers, name="/api/v1/registrations/")


class Staff(HttpUser):
    weight = 1
    wait_time = between(2, 6)

    def on_start(self):
        self.headers = _headers(random.choice(TOKENS["staff"]))

    @task(3)
    def inbox(self):
        self.client.get("/api/v1/staff/orders/?status=submitted", headers=self.headers, name="/api/v1/staff/orders/")

    @task(1)
    def accept(self):
        inbox = self.client.get("/api/v1/staff/orders/?status=submitted", headers=self.headers,
                                name="/api/v1/staff/orders/")
        results = inbox.json().get("results", []) if inbox.status_code == 200 else []
        if results:
            with self.client.post(f"/api/v1/staff/orders/{results[0]['id']}/accept/", headers=self.headers,
                                  name="/api/v1/staff/orders/[id]/accept/", catch_response=True) as accepted:
                if accepted.status_code == 409:  # another staff member took it first
                    accepted.success()


class District(HttpUser):
    weight = 1
    wait_time = between(3, 8)

    def on_start(self):
        self.headers = _headers(random.choice(TOKENS["district"]))

    @task
    def dashboards(self):
        page = random.choice(["overview", "demand", "venues", "teachers", "stars"])
        self.client.get(f"/api/v1/district/dashboards/{page}/", headers=self.headers,
                        name="/api/v1/district/dashboards/[page]/")
