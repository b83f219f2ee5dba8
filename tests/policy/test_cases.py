"""A table of realistic tickets through the full engine (`decide`).

Every row asserts level, near miss, category, after hours, on-call page, priority and due time.
Unless a row says otherwise it arrives Monday 2026-11-30 11:00 ET (16:00 UTC), in business hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.policy import decide

MON = "2026-11-30T16:00:00Z"
# (level, priority to set, due) for a MON arrival
U = ("urgent", "urgent", "2026-11-30T18:00:00Z")
T = ("time_sensitive", "high", "2026-11-30T20:00:00Z")
N = ("none", None, None)


@dataclass(frozen=True)
class Case:
    id: str
    subject: str
    body: str
    expect: tuple  # (level, priority, due)
    category: str
    event: str = "created"
    html: bool = False
    near: bool = False
    after: bool = False
    page: bool = False
    at: str = MON
    current: str | None = None
    known: str | None = None
    holidays: tuple = ()


def c(*args, **kwargs) -> Case:
    return Case(*args, **kwargs)


TEXT_CASES = [
    # --- urgent, every category, created in business hours
    c("urgent-subject-incident", "URGENT: API returning 503", "since 9:40 all calls fail", U, "incident"),
    c(
        "urgent-bracket",
        "[Urgent] Dashboard not loading",
        "Hi, the dashboard has been blank since this morning.",
        U,
        "incident",
    ),
    c("urgent-hashtag", "#urgent webhooks", "Our webhooks stopped working at 10:02.", U, "incident"),
    c("urgent-bang", "Urgent!!!", "Everything is down for our users.", U, "incident"),
    c("urgent-hyphen-request", "urgent-request: SDK", "The iOS SDK is timing out on every evaluation.", U, "incident"),
    c("urgent-body-only", "API problem", "Hello, this is urgent: we get 502 on /v1/evaluations.", U, "incident"),
    c("urgent-lower", "help", "pls look, urgent. vendor service disruption", U, "incident"),
    c("urgent-fraud", "URGENT - fraud", "We see a fraud attack: bot traffic on signups since 1am.", U, "fraud_attack"),
    c("urgent-takeover", "Urgent", "Account takeover attempts are being approved.", U, "fraud_attack"),
    c(
        "urgent-synthetic",
        "Urgent: synthetic identity ring",
        "Dozens of approvals look like synthetic identities.",
        U,
        "fraud_attack",
    ),
    c("urgent-stolen", "urgent", "applications with stolen identities got approved", U, "fraud_attack"),
    c("urgent-locked-out", "Urgent: locked out", "password reset email never arrives", U, "account_access"),
    c("urgent-sso", "URGENT SSO", "Our SSO login fails for the whole team.", U, "account_access"),
    c("urgent-cant-log-in", "Urgent", "I can't log in to the dashboard.", U, "account_access"),
    c("urgent-curly-cant", "Urgent", "We can\u2019t log in since the update.", U, "account_access"),
    c("urgent-2fa", "urgent 2FA", "2FA codes are rejected", U, "account_access"),
    c("urgent-workflow", "Urgent workflow change", "Please change the workflow before launch.", U, "workflow_update"),
    c("urgent-journey", "URGENT", "We need the journey updated with a new tag.", U, "workflow_update"),
    c("urgent-other", "URGENT", "Please call me back.", U, "other"),
    c("urgent-other-question", "Urgent question", "Who is our account manager?", U, "other"),
    c("urgent-in-quotes", "\u201cUrgent\u201d", "Nothing else to add.", U, "other"),
    c("urgent-colon-end", "Re: billing", "Status: URGENT", U, "other"),
    c("urgent-yes", "Question", "Is this urgent? Yes.", U, "other"),
    c("urgent-not-sure", "Help", "Not sure who to ask, but this is URGENT", U, "other"),
    c("urgent-no-comma", "Re: your question", "No, this is urgent. The API is down.", U, "incident"),
    c("urgent-not-responding-comma", "API", "API not responding, urgent!", U, "incident"),
    c("urgent-after-negated-sentence", "x", "Yesterday was not urgent. Today it is urgent.", U, "other"),
    c("urgent-and-time-sensitive", "Time sensitive and urgent", "both words", U, "other"),
    c("urgent-wins-over-ts", "Time-sensitive", "Actually this became urgent, API down", U, "incident"),
    c("urgent-multiline", "outage", "Team,\n\nthe dashboard is unavailable.\nURGENT.\n\nThanks", U, "incident"),
    c("urgent-500", "urgent", "Getting 500 on every call", U, "incident"),
    c("urgent-504", "urgent", "504 Gateway Timeout from the API", U, "incident"),
    c("urgent-degraded", "Urgent: degraded", "Latency degraded badly", U, "incident"),
    c("urgent-longest-phrase", "URGENT", "The API is down and we are locked out of the dashboard", U, "account_access"),
    c("urgent-tie-order", "URGENT", "outage or attack, we cannot tell", U, "fraud_attack"),
    c("urgent-mixed-case", "uRgEnT", "x", U, "other"),
    c("urgent-em-dash", "URGENT\u2014please read", "x", U, "other"),
    c("urgent-apostrophe-s", "x", "It's urgent's sake", U, "other"),
    # --- time sensitive
    c("ts-subject", "Time-sensitive: threshold change", "please update our journey threshold", T, "workflow_update"),
    c("ts-caps", "TIME SENSITIVE", "New outcome rule needed", T, "workflow_update"),
    c("ts-en-dash", "time \u2013 sensitive", "rule change request", T, "workflow_update"),
    c("ts-em-dash", "time\u2014sensitive", "x", T, "other"),
    c("ts-u2010", "time\u2010sensitive", "x", T, "other"),
    c("ts-u2011", "time\u2011sensitive", "x", T, "other"),
    c("ts-line-break", "request", "This is time\nsensitive: we launch Friday.", T, "other"),
    c("ts-many-spaces", "x", "time     sensitive", T, "other"),
    c("ts-account", "Time sensitive", "Our admin is locked out", T, "account_access"),
    c("ts-password", "Time-Sensitive", "password reset email missing", T, "account_access"),
    c("ts-incident", "time sensitive", "reports are not loading", T, "incident"),
    c("ts-fraud", "Time-sensitive", "follow up on last week's fraud review", T, "fraud_attack"),
    c("ts-body-only", "Threshold", "It is time-sensitive, please change the threshold.", T, "workflow_update"),
    c("ts-urgent-negated", "not urgent but time sensitive", "x", T, "other"),
    c("ts-urgent-negated-comma", "Not urgent, just time-sensitive", "x", T, "other"),
    c("ts-with-urgent-quoted", "x", "Time sensitive.\n\n> This is urgent\n", T, "other"),
    # --- negated: no escalation
    c("neg-not", "Question", "This is not urgent", N, "other"),
    c("neg-no-action", "FYI", "no urgent action needed", N, "other"),
    c("neg-isnt-ts", "Q", "It isn't time sensitive", N, "other"),
    c("neg-non-hyphen", "Non-urgent question", "about invoices", N, "other"),
    c("neg-nonurgent", "nonurgent", "x", N, "other"),
    c("neg-non-space", "non urgent", "x", N, "other"),
    c("neg-non-ts", "non time-sensitive", "workflow tweak", N, "workflow_update"),
    c("neg-never", "x", "It's never urgent with us", N, "other"),
    c("neg-nothing", "x", "nothing urgent, just the threshold", N, "workflow_update"),
    c("neg-without", "x", "without urgent pressure", N, "other"),
    c("neg-dont-curly", "x", "We don\u2019t consider it urgent", N, "other"),
    c("neg-doesnt-ts", "x", "it doesn't seem time-sensitive", N, "other"),
    c("neg-not-really", "x", "not really that urgent", N, "other"),
    c("neg-caps", "NOT URGENT", "x", N, "other"),
    c("neg-not-wrapped", "x", "this is not\nurgent", N, "other"),
    c("neg-both", "x", "Not urgent and not time sensitive.", N, "other"),
    c("neg-sso-down", "not urgent", "SSO down for one test user", N, "incident"),
    # --- near misses and traps
    c("near-urgnet", "x", "Any news? This is urgnet for us.", N, "other", near=True),
    c("near-urgant", "urgant", "x", N, "other", near=True),
    c("near-ugrent", "UGRENT", "x", N, "other", near=True),
    c("near-urgently", "x", "We need this urgently", N, "other", near=True),
    c("near-urgency", "High urgency", "x", N, "other", near=True),
    c("near-urgen", "x", "urgen!!", N, "other", near=True),
    c("near-time-senstive", "time senstive", "x", N, "other", near=True),
    c("near-time-sensative", "time-sensative", "journey update", N, "workflow_update", near=True),
    c("near-timesensitive", "timesensitive", "x", N, "other", near=True),
    c("near-time-underscore", "time_sensitive", "x", N, "other", near=True),
    c("near-sensitivity", "x", "there is some time sensitivity here", N, "other", near=True),
    c("near-urgnet-incident", "x", "API down, urgnet", N, "incident", near=True),
    c("trap-agent", "x", "The agent answered quickly.", N, "other"),
    c("trap-regent", "Regent Street office", "x", N, "other"),
    c("trap-insurgent", "x", "The insurgent group in the movie", N, "other"),
    c("trap-argent", "Argent bank", "x", N, "other"),
    c("trap-current", "x", "Our current plan", N, "other"),
    c("trap-urged", "x", "We urged our users to retry", N, "other"),
    c("trap-sensitive-data", "x", "This contains sensitive data", N, "other"),
    c("trap-sometimes", "x", "sometimes sensitive fields are masked", N, "other"),
    c("trap-time-insensitive", "x", "the job is time insensitive", N, "other"),
    c("trap-emergent", "x", "an emergent issue with detergent", N, "other"),
    c("trap-sergeant", "x", "Sergeant Pepper", N, "other"),
    c("trap-negated-near", "x", "not urgently needed", N, "other"),
    c("trap-no-terms", "Invoice", "Please send the October invoice.", N, "other"),
    c("trap-downtown", "x", "our downtown office", N, "other"),
    c("trap-price-500", "x", "we paid $500 and 1500 more", N, "other"),
    c("trap-version", "x", "version 503.2 released", N, "other"),
    # --- comments: body only, subject ignored, category kept
    c("comment-subject-ignored", "URGENT: API down", "Any update?", N, "incident", event="comment", known="incident"),
    c("comment-body-urgent", "whatever", "This is now urgent, the API is down again", U, "incident", event="comment"),
    c("comment-keeps-category", "", "Now it's urgent!", U, "fraud_attack", event="comment", known="fraud_attack"),
    c("comment-no-known-category", "", "Now it's urgent!", U, "other", event="comment"),
    c(
        "comment-new-category",
        "",
        "Urgent: we are locked out now",
        U,
        "account_access",
        event="comment",
        known="incident",
    ),
    c(
        "comment-ts",
        "",
        "Update: this is time sensitive",
        T,
        "workflow_update",
        event="comment",
        known="workflow_update",
    ),
    c(
        "comment-quoted-urgent",
        "",
        "Thanks!\n\nOn Mon, Nov 30, 2026 at 9:00 AM Support <s@x.com> wrote:\n> Is this urgent?",
        N,
        "other",
        event="comment",
    ),
    c("comment-gt-quoted", "", "> urgent\nthanks, works now", N, "other", event="comment"),
    c(
        "comment-original-message",
        "",
        "Fine now.\n-----Original Message-----\nURGENT API down",
        N,
        "other",
        event="comment",
    ),
    c(
        "comment-outlook",
        "",
        "ok\n\nFrom: Bob\nSent: Monday\nTo: support\nSubject: URGENT",
        N,
        "other",
        event="comment",
    ),
    c(
        "comment-zendesk-marker",
        "",
        "Still failing, urgent!\n\n##- Please type your reply above this line -##\n\nnot urgent",
        U,
        "other",
        event="comment",
    ),
    c(
        "comment-zendesk-marker-below",
        "",
        "thanks\n##- Please type your reply above this line -##\nURGENT outage",
        N,
        "other",
        event="comment",
    ),
    c("comment-from-prose", "", "From: our monitoring, the API is down. Urgent.", U, "incident", event="comment"),
    c(
        "comment-near-miss-keeps-category",
        "",
        "urgnet pls",
        N,
        "account_access",
        event="comment",
        known="account_access",
        near=True,
    ),
    c(
        "comment-wrapped-header",
        "",
        "Done.\n\nOn Mon, Nov 30, 2026 at 10:00 AM Bob Smith <\nbob@x.com> wrote:\n> urgent",
        N,
        "other",
        event="comment",
    ),
    # --- HTML
    c("html-urgent", "x", "<p>This is <strong>URGENT</strong></p>", U, "other", html=True),
    c("html-entity", "x", "<p>time&nbsp;sensitive &amp; more</p>", T, "other", html=True),
    c("html-blockquote", "x", "<p>Thanks</p><blockquote>This is urgent, outage</blockquote>", N, "other", html=True),
    c(
        "html-gmail-quote",
        "",
        '<div>ok</div><div class="gmail_quote"><div>On Mon, Nov 30, 2026 at 9:00 AM Bob &lt;b@x.com&gt; wrote:<br></div><blockquote>urgent</blockquote></div>',
        N,
        "other",
        event="comment",
        html=True,
    ),
    c("html-script", "x", "<script>var urgent = 1;</script><p>hello</p>", N, "other", html=True),
    c("html-style", "x", "<style>.urgent{color:red}</style>hello", N, "other", html=True),
    c("html-br-split", "x", "time<br>sensitive", T, "other", html=True),
    c("html-table", "x", "<table><tr><td>Status</td><td>urgent</td></tr></table>", U, "other", html=True),
    c(
        "html-outlook-block",
        "",
        "<div>See below, urgent</div><hr><div><b>From:</b> Support<br><b>Sent:</b> Monday<br>not urgent</div>",
        U,
        "other",
        event="comment",
        html=True,
    ),
    c("html-not-urgent", "x", "<p>This is <em>not</em> urgent</p>", N, "other", html=True),
    c("html-near-miss", "x", "<p>urgnet</p>", N, "other", html=True, near=True),
    c(
        "html-fraud",
        "Urgent",
        "<ul><li>fraudulent applications</li><li>since 2am</li></ul>",
        U,
        "fraud_attack",
        html=True,
    ),
    # --- never lower
    c(
        "keep-urgent-on-ts",
        "",
        "time sensitive",
        ("time_sensitive", None, T[2]),
        "other",
        event="comment",
        current="urgent",
    ),
    c(
        "keep-high-on-ts",
        "",
        "time sensitive",
        ("time_sensitive", None, T[2]),
        "other",
        event="comment",
        current="high",
    ),
    c("raise-normal-to-high", "", "time sensitive", T, "other", event="comment", current="normal"),
    c("raise-high-to-urgent", "", "urgent", U, "other", event="comment", current="high"),
    c("keep-urgent-on-urgent", "", "urgent", ("urgent", None, U[2]), "other", event="comment", current="urgent"),
    c("none-keeps-high", "", "thanks", N, "other", event="comment", current="high"),
    c("none-keeps-low", "", "thanks", N, "other", event="comment", current="low"),
]


def night(level, due):
    return (level, "urgent" if level == "urgent" else "high", due)


TIME_CASES = [
    # --- exact edges, Monday 2026-11-30 (EST, UTC-5)
    c(
        "edge-0759",
        "URGENT outage",
        "",
        night("urgent", "2026-11-30T14:59:00Z"),
        "incident",
        at="2026-11-30T12:59:00Z",
        after=True,
        page=True,
    ),
    c("edge-0800", "URGENT outage", "", night("urgent", "2026-11-30T15:00:00Z"), "incident", at="2026-11-30T13:00:00Z"),
    c("edge-1959", "URGENT outage", "", night("urgent", "2026-12-01T02:59:00Z"), "incident", at="2026-12-01T00:59:00Z"),
    c(
        "edge-2000",
        "URGENT outage",
        "",
        night("urgent", "2026-12-01T03:00:00Z"),
        "incident",
        at="2026-12-01T01:00:00Z",
        after=True,
        page=True,
    ),
    c(
        "edge-seconds-round-up",
        "URGENT outage",
        "",
        night("urgent", "2026-12-01T03:00:00Z"),
        "incident",
        at="2026-12-01T00:59:30Z",
    ),
    c(
        "edge-ts-0800",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-11-30T17:00:00Z"),
        "other",
        at="2026-11-30T13:00:00Z",
    ),
    c(
        "edge-ts-0759",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-11-30T17:00:00Z"),
        "other",
        at="2026-11-30T12:59:00Z",
        after=True,
    ),
    c(
        "edge-ts-1600-to-2000",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-12-01T01:00:00Z"),
        "other",
        at="2026-11-30T21:00:00Z",
    ),
    c(
        "edge-ts-1800-to-tue",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-12-01T15:00:00Z"),
        "other",
        at="2026-11-30T23:00:00Z",
    ),
    c(
        "edge-ts-seconds",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-11-30T18:01:00Z"),
        "other",
        at="2026-11-30T14:00:20Z",
    ),
    # --- Friday night to Monday
    c(
        "fri-1800-ts",
        "Time sensitive",
        "threshold",
        night("time_sensitive", "2026-11-30T15:00:00Z"),
        "workflow_update",
        at="2026-11-27T23:00:00Z",
    ),
    c(
        "fri-2100-ts",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-11-30T17:00:00Z"),
        "other",
        at="2026-11-28T02:00:00Z",
        after=True,
    ),
    c(
        "fri-2100-urgent-incident",
        "URGENT API down",
        "",
        night("urgent", "2026-11-28T04:00:00Z"),
        "incident",
        at="2026-11-28T02:00:00Z",
        after=True,
        page=True,
    ),
    c(
        "fri-2100-urgent-workflow",
        "URGENT workflow",
        "",
        night("urgent", "2026-11-28T04:00:00Z"),
        "workflow_update",
        at="2026-11-28T02:00:00Z",
        after=True,
    ),
    c(
        "sat-0300-ts",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-11-30T17:00:00Z"),
        "other",
        at="2026-11-28T08:00:00Z",
        after=True,
    ),
    c(
        "sat-0230-fraud",
        "Urgent - fraud attack",
        "hundreds of fraudulent applications",
        night("urgent", "2026-11-28T09:30:00Z"),
        "fraud_attack",
        at="2026-11-28T07:30:00Z",
        after=True,
        page=True,
    ),
    c(
        "sat-0230-locked",
        "Urgent: locked out",
        "password reset email never arrives",
        night("urgent", "2026-11-28T09:30:00Z"),
        "account_access",
        at="2026-11-28T07:30:00Z",
        after=True,
    ),
    c(
        "sat-urgent-other",
        "URGENT",
        "call me",
        night("urgent", "2026-11-28T20:00:00Z"),
        "other",
        at="2026-11-28T18:00:00Z",
        after=True,
        page=True,
    ),
    c(
        "sun-2359-ts",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-11-30T17:00:00Z"),
        "other",
        at="2026-11-30T04:59:00Z",
        after=True,
    ),
    c(
        "sun-near-miss-night",
        "urgnet",
        "",
        ("none", None, None),
        "other",
        at="2026-11-29T10:00:00Z",
        near=True,
        after=True,
    ),
    c("sun-none-night", "hello", "", ("none", None, None), "other", at="2026-11-29T10:00:00Z", after=True),
    # --- March 8 2026: clocks go forward (EST UTC-5 -> EDT UTC-4)
    c(
        "dst-mar-fri-ts",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-03-09T14:00:00Z"),
        "other",
        at="2026-03-06T23:00:00Z",
    ),
    c(
        "dst-mar-urgent-across-change",
        "URGENT outage",
        "",
        night("urgent", "2026-03-08T08:30:00Z"),
        "incident",
        at="2026-03-08T06:30:00Z",
        after=True,
        page=True,
    ),
    c(
        "dst-mar-mon-0830-edt",
        "URGENT outage",
        "",
        night("urgent", "2026-03-09T14:30:00Z"),
        "incident",
        at="2026-03-09T12:30:00Z",
    ),
    c(
        "dst-mar-prev-mon-0730-est",
        "URGENT outage",
        "",
        night("urgent", "2026-03-02T14:30:00Z"),
        "incident",
        at="2026-03-02T12:30:00Z",
        after=True,
        page=True,
    ),
    c(
        "dst-mar-mon-2000-edt",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-03-10T16:00:00Z"),
        "other",
        at="2026-03-10T00:00:00Z",
        after=True,
    ),
    c(
        "dst-mar-mon-1930-est",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-03-03T16:30:00Z"),
        "other",
        at="2026-03-03T00:30:00Z",
    ),
    c(
        "dst-mar-sun-ts",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-03-09T16:00:00Z"),
        "other",
        at="2026-03-08T15:00:00Z",
        after=True,
    ),
    # --- November 1 2026: clocks go back (EDT UTC-4 -> EST UTC-5)
    c(
        "dst-nov-fri-ts",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-11-02T16:00:00Z"),
        "other",
        at="2026-10-30T23:00:00Z",
    ),
    c(
        "dst-nov-urgent-across-change",
        "URGENT outage",
        "",
        night("urgent", "2026-11-01T07:30:00Z"),
        "incident",
        at="2026-11-01T05:30:00Z",
        after=True,
        page=True,
    ),
    c(
        "dst-nov-mon-0759-est",
        "URGENT outage",
        "",
        night("urgent", "2026-11-02T14:59:00Z"),
        "incident",
        at="2026-11-02T12:59:00Z",
        after=True,
        page=True,
    ),
    c(
        "dst-nov-mon-0800-est",
        "URGENT outage",
        "",
        night("urgent", "2026-11-02T15:00:00Z"),
        "incident",
        at="2026-11-02T13:00:00Z",
    ),
    c(
        "dst-nov-prev-mon-0830-edt",
        "URGENT outage",
        "",
        night("urgent", "2026-10-26T14:30:00Z"),
        "incident",
        at="2026-10-26T12:30:00Z",
    ),
    c(
        "dst-nov-sun-ts",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-11-02T17:00:00Z"),
        "other",
        at="2026-11-01T15:00:00Z",
        after=True,
    ),
    # --- holidays configured
    c(
        "holiday-thanksgiving-urgent",
        "URGENT outage",
        "",
        night("urgent", "2026-11-26T17:00:00Z"),
        "incident",
        at="2026-11-26T15:00:00Z",
        after=True,
        page=True,
        holidays=("2026-11-26",),
    ),
    c(
        "holiday-thanksgiving-locked",
        "URGENT locked out",
        "",
        night("urgent", "2026-11-26T17:00:00Z"),
        "account_access",
        at="2026-11-26T15:00:00Z",
        after=True,
        holidays=("2026-11-26",),
    ),
    c(
        "holiday-skip-ts",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-11-27T15:00:00Z"),
        "other",
        at="2026-11-25T23:00:00Z",
        holidays=("2026-11-26",),
    ),
    c(
        "no-holiday-same-ts",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-11-26T15:00:00Z"),
        "other",
        at="2026-11-25T23:00:00Z",
    ),
    c(
        "holiday-christmas-ts",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-12-28T16:00:00Z"),
        "other",
        at="2026-12-25T00:00:00Z",
        holidays=("2026-12-25",),
    ),
    c(
        "holiday-two-days",
        "Time sensitive",
        "",
        night("time_sensitive", "2027-01-04T17:00:00Z"),
        "other",
        at="2026-12-31T15:00:00Z",
        after=True,
        holidays=("2026-12-31", "2027-01-01"),
    ),
    c(
        "holiday-day-before-is-open",
        "URGENT API down",
        "",
        night("urgent", "2026-12-24T17:00:00Z"),
        "incident",
        at="2026-12-24T15:00:00Z",
        holidays=("2026-12-25",),
    ),
    # --- offsets other than Z
    c(
        "offset-plus-one",
        "URGENT outage",
        "",
        night("urgent", "2026-11-30T18:00:00Z"),
        "incident",
        at="2026-11-30T17:00:00+01:00",
    ),
    c(
        "offset-et",
        "Time sensitive",
        "",
        night("time_sensitive", "2026-12-01T15:00:00Z"),
        "other",
        at="2026-11-30T18:00:00-05:00",
    ),
    c(
        "offset-microseconds",
        "URGENT",
        "",
        night("urgent", "2026-11-30T18:01:00Z"),
        "other",
        at="2026-11-30T16:00:00.250000+00:00",
    ),
]

ALL_CASES = TEXT_CASES + TIME_CASES


def test_the_table_is_large_and_ids_are_unique():
    assert len(ALL_CASES) >= 150
    assert len({case.id for case in ALL_CASES}) == len(ALL_CASES)


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.id for case in ALL_CASES])
def test_case(case, policy, policy_with, ticket):
    if case.holidays:
        policy = policy_with(hours={"holidays": list(case.holidays)})
    decision = decide(
        ticket(
            case.body,
            case.subject,
            event=case.event,
            at=case.at,
            body_is_html=case.html,
            current_priority=case.current,
            known_category=case.known,
        ),
        policy,
    )
    level, priority, due = case.expect
    assert (decision.urgency, decision.near_miss, decision.category) == (level, case.near, case.category), (
        decision.explanation
    )
    assert (decision.after_hours, decision.on_call) == (case.after, case.page), decision.explanation
    assert decision.priority == priority
    assert decision.response_due_iso() == due
