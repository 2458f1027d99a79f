"""Mixed load on the whole service (run by bench/mixed_load.py, which prepares the data and the
plan file named by BENCH_MIXED_PLAN; raw samples go to BENCH_MIXED_OUT).

Per task, by weight: 70% public (tracking lookups by code, catalogue search and procedure pages),
20% online submissions through the API with a Bearer token (draft, e-form, two PDF uploads,
submit: 5 requests), 10% staff actions on a logged-in session (reception inbox, work inbox,
accepting a dossier the load itself submitted). Public clients reconnect from another loopback
address every few lookups, as distinct citizens would (tracking is rate limited per address).
"""

from __future__ import annotations

import json
import os
import random
import re

from locust import HttpUser, constant, events, task
from locust.clients import HttpSession
from requests.adapters import HTTPAdapter

PLAN = json.loads(open(os.environ["BENCH_MIXED_PLAN"], encoding="utf-8").read()) if os.environ.get("BENCH_MIXED_PLAN") else {}
SAMPLES: list = []
SUBMITTED: list[int] = []  # dossiers submitted by the load, waiting to be accepted (one gevent process)
_ADDRESS = [0]
NET = random.randint(20, 240)
LOOKUPS_PER_ADDRESS = 12


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **kwargs):
    SAMPLES.append((name, response_time, None if exception is None else str(exception)[:200]))


@events.quitting.add_listener
def _dump(environment, **kwargs):
    out = os.environ.get("BENCH_MIXED_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as f:
            json.dump(SAMPLES, f)


class SourceAddressAdapter(HTTPAdapter):
    def __init__(self, source: str, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def _next_address() -> str:
    _ADDRESS[0] += 1
    n = _ADDRESS[0]
    return f"127.{NET}.{n // 250 % 250}.{n % 250 + 1}"


def _pdf(seed: int, size: int) -> bytes:
    rng = random.Random(seed)
    return b"%PDF-1.4\n%" + str(seed).encode() + b"\n" + rng.randbytes(size) + b"\n%%EOF\n"


FILES = [_pdf(i, PLAN.get("file_size", 100 * 1024)) for i in range(4)]


class Visitor(HttpUser):
    """One client doing all three kinds of work; each task is one user action."""

    wait_time = constant(0)

    def on_start(self):
        self.lookups = 0
        self.client.mount("http://", SourceAddressAdapter(_next_address()))
        self.token = random.choice(PLAN["tokens"])
        self.staff = None

    def _new_citizen(self):
        self.client.close()
        self.client.mount("http://", SourceAddressAdapter(_next_address()))
        self.lookups = 0

    # --- 70%: public pages -------------------------------------------------------------------

    @task(40)
    def tracking(self):
        if self.lookups >= LOOKUPS_PER_ADDRESS:
            self._new_citizen()
        self.lookups += 1
        code = random.choice(PLAN["codes"])
        if random.random() < 0.5:
            self.client.get(f"/tra-cuu?ma={code}", name="public: tracking page")
        else:
            self.client.get(f"/api/v1/dossiers/tracking/{code}", name="public: tracking API")

    @task(20)
    def catalogue_search(self):
        q = random.choice(PLAN["queries"])
        self.client.get("/thu-tuc", params={"q": q}, name="public: catalogue search")

    @task(10)
    def procedure_page(self):
        self.client.get(f"/thu-tuc/{random.choice(PLAN['procedures'])}", name="public: procedure page")

    # --- 20%: submissions (5 requests each, so weight 4) ---------------------------------------

    @task(4)
    def submission(self):
        auth = {"Authorization": f"Bearer {self.token}"}
        with self.client.post("/api/v1/dossiers/", json={"procedure_code": PLAN["submit_procedure"]}, headers=auth,
                              name="submit: create draft", catch_response=True) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code} {r.text[:120]}")
                return
            pk = r.json()["id"]
        r = self.client.patch(f"/api/v1/dossiers/{pk}", json={"form_data": PLAN["form"]}, headers=auth,
                              name="submit: PATCH e-form")
        if r.status_code != 200:
            return
        for n, component in enumerate(PLAN["components"]):
            self.client.post(
                f"/api/v1/dossiers/{pk}/attachments", headers=auth, name="submit: upload attachment",
                data={"component_id": component},
                files={"file": (f"giay-to-{n}.pdf", random.choice(FILES), "application/pdf")},
            )
        r = self.client.post(f"/api/v1/dossiers/{pk}/submit", headers=auth, name="submit: submit")
        if r.status_code == 200:
            SUBMITTED.append(pk)

    # --- 10%: staff ----------------------------------------------------------------------------

    def _staff(self) -> HttpSession:
        if self.staff is None:
            s = HttpSession(self.host, self.environment.events.request, self)
            s.get("/dang-nhap/", name="staff: login page")
            with s.post("/dang-nhap/", data={"username": PLAN["staff_user"], "password": PLAN["staff_password"],
                                             "csrfmiddlewaretoken": s.cookies.get("csrftoken", "")},
                        allow_redirects=False, name="staff: log in", catch_response=True) as r:
                if r.status_code != 302:
                    r.failure(f"log-in answered {r.status_code}")
            self.staff = s
        return self.staff

    @task(3)
    def reception_inbox(self):
        self._staff().get("/can-bo/tiep-nhan/", name="staff: reception inbox")

    @task(3)
    def work_inbox(self):
        self._staff().get(f"/can-bo/ho-so/?trang-thai=4&trang={random.randint(1, 3)}", name="staff: work inbox")

    @task(4)
    def accept(self):
        s = self._staff()
        if not SUBMITTED:
            s.get("/can-bo/tiep-nhan/", name="staff: reception inbox")
            return
        pk = SUBMITTED.pop(0)
        page = s.get(f"/can-bo/ho-so/{pk}/", name="staff: dossier page")
        data = {"csrfmiddlewaretoken": s.cookies.get("csrftoken", "")}
        for component in PLAN["components"]:
            data[f"form-{component}"] = "electronic"
            data[f"count-{component}"] = "1"
        with s.post(f"/can-bo/ho-so/{pk}/tiep-nhan/", data=data, allow_redirects=False, name="staff: accept",
                    catch_response=True) as r:
            if r.status_code != 302:
                found = re.search(r"<title>(.*?)</title>", r.text or "")
                r.failure(f"accept answered {r.status_code} {found.group(1) if found else ''}")
        del page
