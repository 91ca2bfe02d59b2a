"""The decision log page works out each row's cell texts in Python (``web/ccb/pages.py``
``_logged``); the rows it renders are exactly those the template's own expressions gave."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ccb.documents import DEFERRAL
from web.ccb.pages import _logged

if TYPE_CHECKING:
    from flask import Flask

ROW = "{% from 'macros.html' import dt %}{% for d in rows %}" + (
    "<td>{{ dt(d.decided_at) }}<br><small>{{ d.decider }}</small></td>"
    "<td><a href=\"{{ d.change_href }}\">{{ d.change_request_title or d.change_request_id }}</a></td>"
    "<td>{{ d.outcome }}{% if d.reason_text %}<br><small class=\"reason\">{{ d.reason_text }}"
    "</small>{% endif %}</td><td>{{ d.tally_text }}</td><td>{{ d.quorum_text }}</td>"
    "<td>{{ d.tie_text }}</td><td><a href=\"{{ d.evidence_href }}\">{{ d.evidence_text }}</a></td>"
) + "{% endfor %}"
"""The cells of today's row (``ccb/decision_log.html``) that ``_logged`` works out."""

TEMPLATE_BEFORE = "{% from 'macros.html' import dt %}{% for d in rows %}" + (
    "<td>{{ dt(d.decided_at) }}<br><small>{{ names.get(d.decided_by, '') }}</small></td>"
    "<td><a href=\"{{ url_for('changes.detail', change_id=d.change_request_id) }}\">"
    "{{ d.change_request_title or d.change_request_id }}</a></td>"
    "<td>{{ d.outcome }}{% if d.reason %}<br><small class=\"reason\">"
    "{{ deferral_reasons.get(d.reason, d.reason) }}{% if d.quorum and not d.quorum.met %}; "
    "quorum not met{% endif %}</small>{% endif %}</td>"
    "<td>{% if d.tally %}{{ d.tally.approve }}/{{ d.tally.reject }}/{{ d.tally.abstain }}"
    "{% endif %}</td>"
    "<td>{% if d.quorum %}{{ 'met' if d.quorum.met else 'not met' }}: "
    "{{ d.quorum.present|length }} present, {{ d.quorum.functions|join(', ') }}"
    "{% if d.quorum.proxies %}; proxies: {% for p in d.quorum.proxies %}"
    "{{ names.get(p.holder_id) }} for {{ names.get(p.grantor_id) }}"
    "{% if not loop.last %}, {% endif %}{% endfor %}{% endif %}{% else %}out of meeting"
    "{% endif %}</td>"
    "<td>{{ d.tie_break or '—' }}{% if d.casting_vote %} ({{ d.casting_vote }}){% endif %}</td>"
    "<td>{% if d.meeting_id %}<a href=\"{{ url_for('ccb.meeting', meeting_id=d.meeting_id, "
    "tab='history') }}\">meeting events {{ d.evidence.event_versions|join(', ') }}</a>"
    "{% else %}<a href=\"{{ url_for('changes.detail', change_id=d.change_request_id, "
    "tab='history') }}\">change request events {{ d.evidence.event_versions|join(', ') }}</a>"
    "{% endif %}</td>"
) + "{% endfor %}"
"""The same cells as the template wrote them before (from each decision's own fields)."""

PEOPLE = ["p1", "p2", "p<3>", "gone"]
NAMES = {"p1": "Ana", "p2": "Bo & Co", "p<3>": "<Cy>"}
text = st.text(alphabet="ab<&>\"' -", max_size=6)
ident = st.sampled_from(["c1", "c-2", "x y", "ü&"])

proxy = st.fixed_dictionaries({"holder_id": st.sampled_from(PEOPLE),
                               "grantor_id": st.sampled_from(PEOPLE)})
quorum = st.one_of(st.none(), st.just({}), st.fixed_dictionaries({}, optional={
    "met": st.booleans(), "present": st.lists(st.sampled_from(PEOPLE), max_size=3),
    "functions": st.lists(text, max_size=3), "proxies": st.lists(proxy, max_size=3)}))
tally = st.one_of(st.none(), st.just({}), st.fixed_dictionaries({}, optional={
    k: st.one_of(st.none(), st.integers(0, 9)) for k in ("approve", "reject", "abstain")}))
decision = st.fixed_dictionaries({
    "decided_at": st.datetimes(timezones=st.just(timezone.utc),
                               min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    "decided_by": st.one_of(st.none(), st.sampled_from(PEOPLE)),
    "change_request_id": ident, "change_request_title": st.one_of(st.none(), text),
    "outcome": st.sampled_from(["approved", "deferred"]),
    "reason": st.one_of(st.none(), st.just(""), st.sampled_from([*DEFERRAL, "other"])),
    "quorum": quorum, "tally": tally,
    "tie_break": st.one_of(st.none(), st.just(""), text),
    "casting_vote": st.one_of(st.none(), st.just(""), text),
    "meeting_id": st.one_of(st.none(), st.just(""), ident),
    "evidence": st.one_of(st.just({}), st.fixed_dictionaries(
        {"event_versions": st.lists(st.integers(1, 99), max_size=4)})),
})


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture],
          deadline=None)
@given(rows=st.lists(decision, max_size=4))
def test_each_cell_is_what_the_template_wrote_before(app: Flask,
                                                     rows: list[dict[str, Any]]) -> None:
    with app.test_request_context("/decision-log"):
        before = app.jinja_env.from_string(TEMPLATE_BEFORE).render(
            rows=rows, names=NAMES, deferral_reasons=DEFERRAL)
        after = app.jinja_env.from_string(ROW).render(
            rows=[_logged(d, NAMES) for d in rows])
    assert after == before


def test_the_page_reads_no_votes(app: Flask) -> None:
    from app.ccb.queries import LOGGED, _decision_query

    listed = str(_decision_query(LOGGED))
    assert "rm_decisions.votes" not in listed and "rm_decisions.tally" in listed
    assert "rm_decisions.votes" in str(_decision_query())
